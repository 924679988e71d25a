# The two commands: `make run` and `make test`. Both install what a fresh Debian machine lacks.
SHELL := /bin/bash
PY := .venv/bin/python
export DATABASE_URL ?= postgres://mazad:mazad@127.0.0.1:5432/mazad
export REDIS_URL ?= redis://127.0.0.1:6379/0
export STRIPE_API_BASE ?= http://127.0.0.1:12111

.PHONY: run test check lint typecheck layers pytest messages services clean soak bench upgrade backup \
	cluster cluster-test cluster-faults cluster-down bench-cluster

run:
	@env -u DATABASE_URL -u REDIS_URL scripts/run.sh

# The main suite, then the faults across hosts (tests/cluster) as a step of their own.
test:
	scripts/bootstrap.sh test-deps
	scripts/bootstrap.sh services
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory pytest
	$(MAKE) --no-print-directory cluster-faults

check: lint typecheck layers
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check --fail-level WARNING

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	.venv/bin/mypy .

# Which package may import which: the contracts in pyproject.toml (docs/architecture.md, "Layers").
layers:
	.venv/bin/lint-imports --no-cache

pytest:
	$(PY) -m pytest --create-db $(PYTEST_ARGS)

services:
	scripts/bootstrap.sh services

# The benchmarks (bench/README.md): starts its own PostgreSQL, Redis, stripe-mock, web processes,
# worker and clock on loopback, runs every scenario beside its ceiling, writes bench/results/.
bench:
	scripts/bootstrap.sh test-deps
	$(PY) -m bench.run $(BENCH_ARGS)

# The hot lot and the 1,000-watcher fan-out on one host, then through the balancer on the two
# web hosts of the cluster, in one run (bench/cluster.py; root): bench/results/cluster/.
bench-cluster:
	scripts/bootstrap.sh test-deps
	$(PY) -m cluster down >/dev/null
	env -u DATABASE_URL -u REDIS_URL $(PY) -m bench.cluster $(BENCH_ARGS); \
		status=$$?; $(PY) -m cluster down >/dev/null; exit $$status

messages:
	$(PY) manage.py makemessages -l ar --ignore=.venv --ignore=node_modules --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf var/static var/test-media var/test-private tests/artifacts

# Mixed load with faults at random times on a stack of its own, then the invariants
# (tests/faults/soak.py). `make soak SOAK_MINUTES=2` is a short run.
SOAK_MINUTES ?= 30
soak:
	scripts/bootstrap.sh test-deps
	$(PY) -m tests.faults.soak --minutes $(SOAK_MINUTES) --report var/soak-report.json

# Python packages come from uv.lock only. `make upgrade` moves the lock to the newest versions the
# ranges in pyproject.toml allow, prints what changed and runs `make test`: commit it when green.
upgrade:
	scripts/upgrade.sh

# A pgBackRest backup of the cluster (full the first time, then incremental) and a copy of the
# stored files: scripts/backup.sh and docs/operations.md (PGDATA, PGPORT, BACKUP_DIR, ...).
backup:
	scripts/backup.sh backup

# Mazad on many hosts (README, "Many hosts"): network namespaces of this machine on a bridge of
# their own (10.77.0.0/24), a TLS load balancer, two web hosts, a worker, two clocks, PostgreSQL
# with a synchronous standby, Redis with a replica and three Sentinels. Needs root (ip netns).
# `make cluster` runs it until Ctrl-C; `make cluster-test` breaks hosts under it (tests/cluster;
# `make test` runs them too, after the main suite, as `cluster-faults`); `make cluster-down`
# removes whatever an interrupted run left behind. A leftover of an interrupted run is removed
# before the tests start and everything is removed after them, whatever their outcome; the
# whole step is bounded (CLUSTER_TEST_MINUTES).
cluster:
	scripts/bootstrap.sh test-deps
	@env -u DATABASE_URL -u REDIS_URL $(PY) -m cluster up

CLUSTER_TEST_MINUTES ?= 45
cluster-test:
	scripts/bootstrap.sh test-deps
	scripts/bootstrap.sh services
	$(MAKE) --no-print-directory cluster-faults CLUSTER_PYTEST_ARGS="$(PYTEST_ARGS)"

cluster-faults:
	$(PY) -m cluster down
	MAZAD_CLUSTER_TESTS=1 timeout -k 60 $(CLUSTER_TEST_MINUTES)m \
		$(PY) -m pytest --create-db -m cluster tests/cluster $(CLUSTER_PYTEST_ARGS); \
		status=$$?; $(PY) -m cluster down; exit $$status

cluster-down:
	$(PY) -m cluster down
