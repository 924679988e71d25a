# The two commands: `make run` and `make test`. Both install what a fresh Debian machine lacks.
SHELL := /bin/bash
PY := .venv/bin/python
export DATABASE_URL ?= postgres://mazad:mazad@127.0.0.1:5432/mazad
export REDIS_URL ?= redis://127.0.0.1:6379/0
export STRIPE_API_BASE ?= http://127.0.0.1:12111

.PHONY: run test check lint typecheck layers pytest messages services clean soak bench upgrade backup \
	cluster cluster-test cluster-down

run:
	@env -u DATABASE_URL -u REDIS_URL scripts/run.sh

test:
	scripts/bootstrap.sh test-deps
	scripts/bootstrap.sh services
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory pytest

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
# `make cluster` runs it until Ctrl-C; `make cluster-test` breaks hosts under it (tests/cluster);
# `make cluster-down` removes whatever an interrupted run left behind.
cluster:
	scripts/bootstrap.sh test-deps
	@env -u DATABASE_URL -u REDIS_URL $(PY) -m cluster up

cluster-test:
	scripts/bootstrap.sh test-deps
	scripts/bootstrap.sh services
	MAZAD_CLUSTER_TESTS=1 $(PY) -m pytest --create-db -m cluster tests/cluster $(PYTEST_ARGS); \
		status=$$?; $(PY) -m cluster down; exit $$status

cluster-down:
	$(PY) -m cluster down
