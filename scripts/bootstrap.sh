#!/usr/bin/env bash
# Everything `make run` and `make test` need on a fresh Debian machine (as root), in one place.
#
#   scripts/bootstrap.sh run-deps     virtualenv, Python and npm packages, stripe-mock, messages
#   scripts/bootstrap.sh test-deps    the above plus PostgreSQL, Redis, Chromium, fonts (apt-get)
#   scripts/bootstrap.sh services     start PostgreSQL, Redis and stripe-mock on loopback (idempotent)
#   scripts/bootstrap.sh stripe-mock  start stripe-mock only (idempotent)
#
# Every step checks before it acts, so running it twice is quick and harmless.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STRIPE_MOCK_VERSION="v0.197.0"
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

python_packages() {
  # $1 is "" (what the platform needs to run) or "[dev]" (plus the test tools);
  # an install with the test tools also serves `make run`.
  local extras=$1
  local hash
  hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ ! -x "$PY" ]; then
    log "creating the virtualenv in .venv"
    python3 -m venv "$VENV" || { apt_install python3-venv; rm -rf "$VENV"; python3 -m venv "$VENV"; }
  fi
  if stamp_ok "$VENV/.mazad-stamp" "$hash-[dev]" || stamp_ok "$VENV/.mazad-stamp" "$hash-$extras"; then
    return 0
  fi
  log "installing Python packages${extras:+ with $extras}"
  "$PY" -m pip install -q --disable-pip-version-check --upgrade pip
  "$PY" -m pip install -q --disable-pip-version-check ".$extras" 2>&1 | grep -v -e "Warning" -e "^ *!!" -e "^ *\*\*\*" -e "^ *$" >&2 || true
  "$PY" -c "import django, channels" || die "the Python packages did not install"
  echo "$hash-$extras" > "$VENV/.mazad-stamp"
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

stripe_mock_bin() {
  local gobin
  if command -v stripe-mock >/dev/null; then command -v stripe-mock; return; fi
  gobin="$(go env GOBIN 2>/dev/null || true)"
  [ -n "$gobin" ] || gobin="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
  echo "$gobin/stripe-mock"
}

install_stripe_mock() {
  local bin
  bin="$(stripe_mock_bin)"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || die "Go is needed to install stripe-mock (go install github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION)"
    log "installing stripe-mock $STRIPE_MOCK_VERSION with go install"
    go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
  fi
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
  python_packages ""
  npm_packages
  install_stripe_mock
  messages
}

test_deps() {
  apt_install postgresql redis-server chromium fonts-noto-core fonts-noto-ui-core gettext \
    libpango-1.0-0 libpangoft2-1.0-0 ca-certificates
  python_packages "[dev]"
  npm_packages
  install_stripe_mock
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
  *) die "usage: $0 run-deps|test-deps|services|stripe-mock" ;;
esac
