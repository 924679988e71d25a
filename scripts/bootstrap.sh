#!/usr/bin/env bash
# Everything `make run` and `make test` need on a fresh Debian machine (as root), in one place.
#
#   scripts/bootstrap.sh run-deps     uv, the locked Python packages (uv.lock), npm packages, stripe-mock, messages
#   scripts/bootstrap.sh test-deps    the above plus PostgreSQL, pgBackRest, Redis, Chromium, fonts,
#                                     the test OpenID Connect provider (npm, tests/identity/provider),
#                                     Prometheus (apt-get) and versitygw, an S3-compatible server (Go),
#                                     helm, kubeconform (Go) and the Kubernetes schemas (PyPI)
#   scripts/bootstrap.sh services     start PostgreSQL, Redis and stripe-mock on loopback (idempotent)
#   scripts/bootstrap.sh stripe-mock  start stripe-mock only (idempotent)
#   scripts/bootstrap.sh uv           install uv only (var/tools/uv)
#   scripts/bootstrap.sh helm-tools   helm, kubeconform and the Kubernetes schemas only (the chart's tests)
#
# Every step checks before it acts, so running it twice is quick and harmless.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STRIPE_MOCK_VERSION="v0.197.0"
# The S3-compatible server of the object-storage tests. v1.0.14 is the last release whose go.mod
# asks for no newer Go than bookworm-backports' 1.23 (later ones need 1.24).
VERSITYGW_VERSION="v1.0.14"
# The chart's tests (tests/deploy/test_helm.py): helm renders and lints deploy/helm/mazad,
# kubeconform checks every manifest against the Kubernetes API's JSON schemas. Helm v3.21 asks
# for Go 1.26 (its go.mod); kubeconform v0.7.0 for Go 1.24.
HELM_VERSION="v3.21.4"
HELM_GO_MIN="1.26"
# Helm's Makefile stamps the Kubernetes version of its client-go (v0.36 in v3.21.4's go.mod) into
# the binary, which `helm template` and `helm lint` assume; `go install` alone leaves 1.20.
HELM_KUBE_VERSION="1.36"
KUBECONFORM_VERSION="v0.7.0"
KUBECONFORM_GO_MIN="1.24"
# Where the Go found here is older than a tool asks for (bookworm's newest is 1.23), that Go fetches
# this toolchain from the Go module proxy, checked against the Go checksum database, for the build.
NEWER_GO_TOOLCHAIN="go1.26.0"
STRIPE_MOCK_PORT="${STRIPE_MOCK_PORT:-12111}"
PG_VERSION=15
PG_PORT=5432
REDIS_PORT="${REDIS_PORT:-6379}"
RUN_DIR="$ROOT/var/run"
mkdir -p "$RUN_DIR" "$ROOT/var/log"

log() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mxx\033[0m %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do port_open "$port" && return 0; sleep 0.1; done
  die "$name did not start on port $port"
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# uv, pinned with its hashes in scripts/uv-requirements.txt, in a virtualenv of its own.
UV_HOME="$ROOT/var/tools/uv"
UV="$UV_HOME/bin/uv"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 UV_PROJECT_ENVIRONMENT="$VENV"

find_python() {
  # The first Python 3.11-3.13 on PATH (requires-python in pyproject.toml).
  local candidate
  for candidate in python3 python3.13 python3.12 python3.11; do
    command -v "$candidate" >/dev/null || continue
    if "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

install_uv() {
  local want python
  want="$(sha256sum scripts/uv-requirements.txt | cut -d' ' -f1)"
  if [ -x "$UV" ] && stamp_ok "$UV_HOME/.mazad-stamp" "$want"; then return 0; fi
  python="$(find_python)" || die "Python 3.11, 3.12 or 3.13 is needed (python3 on PATH is $(python3 --version 2>&1))"
  log "installing uv from scripts/uv-requirements.txt (hash-checked)"
  rm -rf "$UV_HOME"
  "$python" -m venv "$UV_HOME" 2>/dev/null || { apt_install python3-venv; rm -rf "$UV_HOME"; "$python" -m venv "$UV_HOME"; }
  "$UV_HOME/bin/python" -m pip install -q --disable-pip-version-check --no-deps --require-hashes \
    -r scripts/uv-requirements.txt
  echo "$want" > "$UV_HOME/.mazad-stamp"
}

python_packages() {
  # $1 is "run" (what the platform needs) or "test" (plus the test tools, `--extra dev`).
  # Everything comes from uv.lock, never from pyproject.toml's ranges. For the tests the lock
  # must also agree with pyproject.toml (--locked), so a range changed without `make upgrade`
  # or `uv lock` stops the run.
  local python
  install_uv
  python="$(find_python)" || die "Python 3.11, 3.12 or 3.13 is needed"
  if [ "$1" = "test" ]; then
    log "checking uv.lock against pyproject.toml and installing the locked Python packages"
    "$UV" sync --locked --extra dev --python "$python" -q || die "uv.lock and pyproject.toml disagree, or the locked packages did not install (make upgrade refreshes the lock)"
  else
    # `make run` after `make test` keeps the test tools rather than removing them.
    if "$VENV/bin/python" -c "import pytest" 2>/dev/null; then
      "$UV" sync --frozen --extra dev --python "$python" -q
    else
      "$UV" sync --frozen --python "$python" -q
    fi
  fi
  "$PY" -c "import django, channels" || die "the Python packages did not install"
}

npm_packages() {
  local want
  want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok node_modules/.mazad-stamp "$want"; then
    command -v npm >/dev/null || apt_install npm
    log "installing front-end packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    echo "$want" > node_modules/.mazad-stamp
  fi
}

# The tests' OpenID Connect provider (node's oidc-provider, standing in for a national digital-ID
# service) has its own package.json and lock, so the site's front-end packages stay as they are.
identity_provider_packages() {
  local dir=tests/identity/provider want
  want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok "$dir/node_modules/.mazad-stamp" "$want"; then
    command -v npm >/dev/null || apt_install npm
    log "installing the test identity provider (npm ci --prefix $dir)"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    echo "$want" > "$dir/node_modules/.mazad-stamp"
  fi
}

# stripe-mock is built from its Go module into var/tools/bin. It needs Go >= $GO_MIN; a machine with
# none or an older one (Debian 12's golang-go is 1.19) gets Debian's own newer Go: golang-go where
# the release has a new enough one (Debian 13), else golang-$GO_BACKPORT-go from bookworm-backports.
GO_MIN="1.22"
GO_BACKPORT="1.23"
TOOLS_BIN="$ROOT/var/tools/bin"

stripe_mock_bin() {
  if [ -x "$TOOLS_BIN/stripe-mock" ]; then echo "$TOOLS_BIN/stripe-mock"; return; fi
  if command -v stripe-mock >/dev/null; then command -v stripe-mock; return; fi
  echo "$TOOLS_BIN/stripe-mock"
}

go_ok() {
  # $1: a go binary; true when it runs and is at least $2 (default $GO_MIN).
  local version want="${2:-$GO_MIN}"
  version="$("$1" env GOVERSION 2>/dev/null)" || return 1
  version="${version#go}"
  [ "$(printf '%s\n%s\n' "$want" "$version" | sort -V | head -1)" = "$want" ]
}

find_go() {
  # The first Go of at least $1 (default $GO_MIN): the one on PATH, else one of Debian's.
  local candidate
  for candidate in "$(command -v go 2>/dev/null)" /usr/lib/go-1.*/bin/go; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && go_ok "$candidate" "${1:-$GO_MIN}" && { echo "$candidate"; return 0; }
  done
  return 1
}

install_go() {
  local candidate
  candidate="$(apt-cache policy golang-go 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*:\)\{0,1\}\([0-9.]*\).*/\2/p')"
  if [ -z "$candidate" ] && [ "$APT_UPDATED" -eq 0 ]; then
    as_root apt-get update -qq; APT_UPDATED=1
    candidate="$(apt-cache policy golang-go 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*:\)\{0,1\}\([0-9.]*\).*/\2/p')"
  fi
  if [ -n "$candidate" ] && [ "$(printf '%s\n%s\n' "$GO_MIN" "$candidate" | sort -V | head -1)" = "$GO_MIN" ]; then
    log "installing Go $candidate from Debian (golang-go)"
    apt_install golang-go
    return
  fi
  . /etc/os-release
  [ "${VERSION_CODENAME:-}" = "bookworm" ] || die "Go >= $GO_MIN is needed to build stripe-mock; this machine's Debian offers golang-go ${candidate:-none}"
  log "Go >= $GO_MIN is missing (Debian 12 has ${candidate:-none}): installing golang-$GO_BACKPORT-go from bookworm-backports"
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | as_root tee /etc/apt/sources.list.d/mazad-bookworm-backports.sources >/dev/null
  fi
  as_root apt-get update -qq; APT_UPDATED=1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports "golang-$GO_BACKPORT-go" >/dev/null
}

install_stripe_mock() {
  local go
  [ -x "$TOOLS_BIN/stripe-mock" ] && stamp_ok "$TOOLS_BIN/.stripe-mock-version" "$STRIPE_MOCK_VERSION" && return 0
  go="$(find_go)" || { install_go; go="$(find_go)" || die "no Go >= $GO_MIN after installing it"; }
  log "building stripe-mock $STRIPE_MOCK_VERSION with $("$go" version | cut -d' ' -f3) ($go)"
  mkdir -p "$TOOLS_BIN"
  # GOTOOLCHAIN=local: build with the Go found here, never fetch another toolchain.
  GOBIN="$TOOLS_BIN" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    "$go" install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
  echo "$STRIPE_MOCK_VERSION" > "$TOOLS_BIN/.stripe-mock-version"
}

install_versitygw() {
  local go
  [ -x "$TOOLS_BIN/versitygw" ] && stamp_ok "$TOOLS_BIN/.versitygw-version" "$VERSITYGW_VERSION" && return 0
  # Its go.mod asks for Go 1.23 (bookworm-backports' golang-1.23-go where Debian's is older).
  go="$(find_go 1.23)" || { install_go; go="$(find_go 1.23)" || die "no Go >= 1.23 after installing it"; }
  log "building versitygw $VERSITYGW_VERSION with $("$go" version | cut -d' ' -f3) ($go)"
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    "$go" install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  echo "$VERSITYGW_VERSION" > "$TOOLS_BIN/.versitygw-version"
}

# helm and kubeconform are built from their Go modules like stripe-mock. The schemas come from
# the kubernetes-validate wheel on PyPI (pinned by hash in scripts/kubernetes-schemas-requirements.txt),
# which vendors the JSON schemas generated from each Kubernetes release's OpenAPI document;
# scripts/kubernetes_schemas.py makes kubeconform's standalone files of them (README of the chart).
# Sets `go` and `toolchain` for a tool whose go.mod asks for Go >= $1: the Go found here with
# GOTOOLCHAIN=local when it is new enough, else the Debian one fetching $NEWER_GO_TOOLCHAIN.
go_for() {
  if go="$(find_go "$1")"; then
    toolchain=local
  else
    go="$(find_go 1.21)" || { install_go; go="$(find_go 1.21)" || die "no Go >= 1.21 after installing it"; }
    toolchain="$NEWER_GO_TOOLCHAIN"
  fi
}

install_helm_tools() {
  local go toolchain
  if ! { [ -x "$TOOLS_BIN/helm" ] && stamp_ok "$TOOLS_BIN/.helm-version" "$HELM_VERSION kubernetes-$HELM_KUBE_VERSION"; }; then
    go_for "$HELM_GO_MIN"
    log "building helm $HELM_VERSION with $(GOTOOLCHAIN=$toolchain "$go" version | cut -d' ' -f3) ($go)"
    mkdir -p "$TOOLS_BIN"
    local major="${HELM_KUBE_VERSION%%.*}" minor="${HELM_KUBE_VERSION#*.}" ldflags
    ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
    GOBIN="$TOOLS_BIN" GOTOOLCHAIN="$toolchain" GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
      "$go" install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    echo "$HELM_VERSION kubernetes-$HELM_KUBE_VERSION" > "$TOOLS_BIN/.helm-version"
  fi
  if ! { [ -x "$TOOLS_BIN/kubeconform" ] && stamp_ok "$TOOLS_BIN/.kubeconform-version" "$KUBECONFORM_VERSION"; }; then
    go_for "$KUBECONFORM_GO_MIN"
    log "building kubeconform $KUBECONFORM_VERSION with $(GOTOOLCHAIN=$toolchain "$go" version | cut -d' ' -f3) ($go)"
    mkdir -p "$TOOLS_BIN"
    GOBIN="$TOOLS_BIN" GOTOOLCHAIN="$toolchain" GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
      "$go" install -trimpath -ldflags "-s -w -X main.version=$KUBECONFORM_VERSION" \
      "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
    echo "$KUBECONFORM_VERSION" > "$TOOLS_BIN/.kubeconform-version"
  fi
  install_kubernetes_schemas
}

KUBERNETES_SCHEMAS="$ROOT/var/tools/kubernetes-json-schema"

install_kubernetes_schemas() {
  local want wheels
  want="$(cat scripts/kubernetes-schemas-requirements.txt scripts/kubernetes_schemas.py | sha256sum | cut -d' ' -f1)"
  stamp_ok "$KUBERNETES_SCHEMAS/.mazad-stamp" "$want" && return 0
  install_uv
  log "fetching the Kubernetes JSON schemas (scripts/kubernetes-schemas-requirements.txt, hash-checked)"
  wheels="$(mktemp -d)"
  "$UV_HOME/bin/python" -m pip download -q --disable-pip-version-check --no-deps --require-hashes \
    --only-binary=:all: -d "$wheels" -r scripts/kubernetes-schemas-requirements.txt
  rm -rf "$KUBERNETES_SCHEMAS"
  "$UV_HOME/bin/python" scripts/kubernetes_schemas.py "$wheels"/kubernetes_validate-*.whl "$KUBERNETES_SCHEMAS"
  rm -rf "$wheels"
  echo "$want" > "$KUBERNETES_SCHEMAS/.mazad-stamp"
}

start_stripe_mock() {
  install_stripe_mock
  if port_open "$STRIPE_MOCK_PORT"; then return 0; fi
  log "starting stripe-mock on 127.0.0.1:$STRIPE_MOCK_PORT"
  rm -f "$RUN_DIR/stripe-mock-https.sock"
  nohup "$(stripe_mock_bin)" -http-addr "127.0.0.1:$STRIPE_MOCK_PORT" -https-unix "$RUN_DIR/stripe-mock-https.sock" \
    >"$ROOT/var/log/stripe-mock.log" 2>&1 &
  echo $! > "$RUN_DIR/stripe-mock.pid"
  wait_port "$STRIPE_MOCK_PORT" stripe-mock
}

messages() {
  command -v msgfmt >/dev/null || apt_install gettext
  local want
  want="$(cat locale/*/LC_MESSAGES/*.po | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok "$ROOT/var/.messages-stamp" "$want"; then
    log "compiling the message catalogues"
    "$PY" manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
    echo "$want" > "$ROOT/var/.messages-stamp"
  fi
}

run_deps() {
  # PDF receipts are drawn by WeasyPrint, which needs Pango; Noto covers Arabic.
  apt_install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core gettext
  python_packages run
  npm_packages
  install_stripe_mock
  messages
}

# Debian's prometheus (with promtool), for the metrics tests, which start a server of their own on
# a free loopback port: the package's own service is kept from starting while it installs
# (policy-rc.d) and disabled, so nothing of it runs on the machine.
install_prometheus() {
  dpkg-query -W -f='${Status}' prometheus 2>/dev/null | grep -q "install ok installed" && return 0
  local policy=/usr/sbin/policy-rc.d made=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod +x "$policy"
    made=1
  fi
  apt_install prometheus
  if [ "$made" -eq 1 ]; then as_root rm -f "$policy"; fi
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
}

test_deps() {
  # redis-sentinel, haproxy, openssl and iproute2: the many-host cluster (make cluster);
  # poppler-utils: the documents' first pages as pictures in the tests.
  apt_install postgresql pgbackrest redis-server redis-sentinel haproxy openssl iproute2 \
    chromium fonts-noto-core fonts-noto-ui-core poppler-utils gettext libpango-1.0-0 \
    libpangoft2-1.0-0 ca-certificates
  install_prometheus
  python_packages test
  npm_packages
  identity_provider_packages
  install_stripe_mock
  install_versitygw
  install_helm_tools
  messages
}

start_postgres() {
  if ! port_open "$PG_PORT"; then
    log "starting PostgreSQL $PG_VERSION"
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$PG_VERSION main"; then
      as_root pg_createcluster "$PG_VERSION" main >/dev/null
    fi
    as_root pg_ctlcluster "$PG_VERSION" main start
    wait_port "$PG_PORT" PostgreSQL
  fi
  local psql=(runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAX)
  [ "$(id -u)" -eq 0 ] || psql=(sudo -u postgres psql -v ON_ERROR_STOP=1 -qtAX)
  for _ in $(seq 1 50); do "${psql[@]}" -c "select 1" >/dev/null 2>&1 && break; sleep 0.2; done
  if [ "$("${psql[@]}" -c "show max_connections")" -lt 300 ]; then
    log "raising PostgreSQL max_connections to 300 (concurrency tests open many)"
    "${psql[@]}" -c "alter system set max_connections = 300" >/dev/null
    as_root pg_ctlcluster "$PG_VERSION" main restart
    wait_port "$PG_PORT" PostgreSQL
    for _ in $(seq 1 50); do "${psql[@]}" -c "select 1" >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  if [ "$("${psql[@]}" -c "select count(*) from pg_roles where rolname = 'mazad'")" = "0" ]; then
    log "creating the database role mazad"
    "${psql[@]}" -c "create role mazad login password 'mazad' createdb"
  fi
  if [ "$("${psql[@]}" -c "select count(*) from pg_database where datname = 'mazad'")" = "0" ]; then
    "${psql[@]}" -c "create database mazad owner mazad"
  fi
}

start_redis() {
  if port_open "$REDIS_PORT"; then return 0; fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --logfile "$ROOT/var/log/redis.log" --pidfile "$RUN_DIR/redis.pid" >/dev/null
  wait_port "$REDIS_PORT" Redis
}

services() {
  start_postgres
  start_redis
  start_stripe_mock
}

case "${1:-}" in
  run-deps) run_deps ;;
  test-deps) test_deps ;;
  services) services ;;
  stripe-mock) start_stripe_mock ;;
  uv) install_uv ;;
  versitygw) install_versitygw ;;
  helm-tools) install_helm_tools ;;
  *) die "usage: $0 run-deps|test-deps|services|stripe-mock|versitygw|helm-tools|uv" ;;
esac
