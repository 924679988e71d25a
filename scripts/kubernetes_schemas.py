"""Kubeconform's schema folders from the kubernetes-validate wheel, offline and reproducibly.

Usage: ``python scripts/kubernetes_schemas.py WHEEL OUT``

The wheel (pinned by hash in scripts/kubernetes-schemas-requirements.txt) holds, for each
Kubernetes release, a folder ``vX.Y.0-local-strict`` of JSON schemas generated from that
release's OpenAPI document, one file a kind (``deployment-apps-v1.json``) whose ``$ref`` point
into a shared ``/api/_definitions.json``. kubeconform wants each file standalone, so this copies
the definitions a kind reaches (and only those) into the kind's own ``$defs`` and points its
references there. It writes ``OUT/vX.Y.0-standalone-strict/<kind>-<group>-<version>.json``, the
layout of kubeconform's ``-schema-location`` template ``OUT/{{ .NormalizedKubernetesVersion
}}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json``.

Standard library only: it runs before the project's own packages are installed.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

# The releases the chart is checked against: the oldest its Chart.yaml accepts and the newest
# the wheel knows.
RELEASES = ("v1.29.0", "v1.37.0")
PREFIX = "kubernetes_validate/kubernetes-json-schema/"
SHARED_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")


def _rewrite(node: Any, found: set[str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                match = SHARED_REF.match(value)
                if match is None:
                    raise SystemExit(f"unexpected $ref {value!r}")
                found.add(match.group(1))
                out[key] = f"#/$defs/{match.group(1)}"
            else:
                out[key] = _rewrite(value, found)
        return out
    if isinstance(node, list):
        return [_rewrite(item, found) for item in node]
    return node


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The schema with every definition it reaches, directly or not, in its own $defs."""
    found: set[str] = set()
    result: dict[str, Any] = _rewrite(schema, found)
    defs: dict[str, Any] = {}
    pending = sorted(found)
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        if name not in definitions:
            raise SystemExit(f"missing definition {name}")
        more: set[str] = set()
        defs[name] = _rewrite(definitions[name], more)
        pending.extend(sorted(more - defs.keys()))
    if defs:
        result["$defs"] = dict(sorted(defs.items()))
    return result


def main(wheel: str, out: str) -> None:
    target = Path(out)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for release in RELEASES:
            folder = f"{PREFIX}{release}-local-strict/"
            definitions = json.loads(archive.read(folder + "_definitions.json"))["$defs"]
            dest = target / f"{release}-standalone-strict"
            dest.mkdir(parents=True, exist_ok=True)
            count = 0
            for name in names:
                if not name.startswith(folder) or not name.endswith(".json"):
                    continue
                base = name[len(folder) :]
                if "/" in base or base.startswith("_") or base == "all.json":
                    continue
                schema = json.loads(archive.read(name))
                text = json.dumps(standalone(schema, definitions), sort_keys=True)
                (dest / base).write_text(text + "\n", encoding="utf-8")
                count += 1
            if count == 0:
                raise SystemExit(f"no schemas for {release} in {wheel}")
            print(f"{dest}: {count} schemas", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
