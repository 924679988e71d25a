#!/usr/bin/env bash
# `make upgrade`: refresh uv.lock to the newest versions pyproject.toml's ranges allow, say what
# changed, install them and run the whole suite (`make test`). Commit uv.lock only when it passes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/bootstrap.sh uv
UV="$ROOT/var/tools/uv/bin/uv"
export UV_PYTHON_DOWNLOADS=never

versions() { "$UV" export --frozen --all-extras --no-hashes --no-header --no-emit-project --no-annotate | grep '==' | sed 's/ *;.*//' | sort -u; }

before="$(mktemp)"; after="$(mktemp)"
trap 'rm -f "$before" "$after"' EXIT
versions > "$before"
"$UV" lock --upgrade -q
versions > "$after"

echo
echo "What changed in uv.lock:"
python3 - "$before" "$after" <<'PY'
import sys

def read(path):
    pins = {}
    for line in open(path, encoding="utf-8"):
        name, _, version = line.strip().partition("==")
        pins.setdefault(name.lower(), set()).add(version)
    return {name: ", ".join(sorted(v)) for name, v in pins.items()}

old, new = read(sys.argv[1]), read(sys.argv[2])
rows = [(n, old.get(n, "(new)"), new.get(n, "(removed)")) for n in sorted(old.keys() | new.keys())
        if old.get(n) != new.get(n)]
for name, a, b in rows:
    print(f"  {name:32} {a:>14} -> {b}")
print(f"  {len(rows)} package(s) changed" if rows else "  nothing: every package is already the newest its range allows")
PY
echo
make --no-print-directory test
echo
echo "The suite passed with the new lock: review 'git diff uv.lock' and commit it."
