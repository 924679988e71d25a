#!/usr/bin/env bash
# `make run`: the whole platform on one machine with demo data (SQLite, in-memory channel layer).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
STRIPE_MOCK_PORT="${STRIPE_MOCK_PORT:-12111}"

scripts/bootstrap.sh run-deps
PY="$ROOT/.venv/bin/python"
export DJANGO_SETTINGS_MODULE=config.settings.base
# Visitors get the site's own error pages; DEBUG=true, a developer's explicit choice, shows
# Django's technical ones instead (README, Configuration).
export DEBUG="${DEBUG:-false}"
unset DATABASE_URL REDIS_URL
export STRIPE_API_BASE="http://127.0.0.1:$STRIPE_MOCK_PORT"
# stripe-mock sends no webhooks: the worker posts the signed events Stripe would (development only).
export STRIPE_EMULATE_EVENTS=true
export SITE_URL="http://$HOST:$PORT"

started=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap cleanup INT TERM EXIT

if ! (exec 3<>"/dev/tcp/127.0.0.1/$STRIPE_MOCK_PORT") 2>/dev/null; then
  scripts/bootstrap.sh stripe-mock
  started+=("$(cat var/run/stripe-mock.pid)")
fi

"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo

"$PY" manage.py seed_payments_demo

"$ROOT/.venv/bin/daphne" -b "$HOST" -p "$PORT" config.asgi:application &
started+=("$!")
# The payment worker: runs payment jobs and processes the provider's events; stopped with the rest.
"$PY" manage.py run_payment_worker &
started+=("$!")
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && break
  sleep 0.1
done

# The first request starts the web process's background work (the clock, the heartbeat).
"$PY" -c "import urllib.request as u; u.urlopen('http://$HOST:$PORT/readyz', timeout=10)" 2>/dev/null || true
echo
echo "  Mazad is running at http://$HOST:$PORT/   (Ctrl-C stops everything started here)"
case "${DEBUG,,}" in true|1|yes|on) echo "  DEBUG is on: errors show Django's technical pages (for developers only)." ;; esac
echo
"$PY" manage.py seed_demo --logins
echo
wait
