"""scripts/kubernetes_schemas.py: each kind's schema standalone, with what it reaches."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.harness.servers import ROOT


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "kubernetes_schemas", ROOT / "scripts" / "kubernetes_schemas.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_schema_gets_every_definition_it_reaches_and_no_other():
    definitions = {
        "Spec": {"properties": {"meta": {"$ref": "/api/_definitions.json#/$defs/Meta"}}},
        "Meta": {"properties": {"labels": {"$ref": "/api/_definitions.json#/$defs/Labels"}}},
        "Labels": {"type": "object"},
        "Props": {"properties": {"not": {"$ref": "/api/_definitions.json#/$defs/Props"}}},
        "Unused": {"type": "string"},
    }
    kind = {"properties": {"spec": {"$ref": "/api/_definitions.json#/$defs/Spec"}}}

    result = load().standalone(kind, definitions)

    assert result["properties"]["spec"] == {"$ref": "#/$defs/Spec"}
    assert set(result["$defs"]) == {"Spec", "Meta", "Labels"}
    assert result["$defs"]["Meta"]["properties"]["labels"] == {"$ref": "#/$defs/Labels"}
    # The input is left as it was.
    assert kind["properties"]["spec"]["$ref"].startswith("/api/")


def test_a_recursive_definition_is_copied_once():
    # Inside the shared file a definition may point to another with a local reference.
    definitions = {"Props": {"items": {"$ref": "#/$defs/Props"}}}
    kind = {"$ref": "/api/_definitions.json#/$defs/Props"}

    result = load().standalone(kind, definitions)

    assert result["$defs"] == {"Props": {"items": {"$ref": "#/$defs/Props"}}}
