"""The Reconciliation API 0.2 JSON schemas (tests/fixtures/reconciliation, see SOURCES.md there)
as jsonschema validators: one per kind of document, `check(kind, document)` raises on an invalid one.

Why Draft 7: the schemas declare `http://json-schema.org/schema#` (no draft) and use `definitions`
and `contains`, which Draft 7 has; the spec repository's own test.sh validates them the same way.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reconciliation"
SCHEMAS = FIXTURES / "schemas"
EXAMPLES = FIXTURES / "examples"
#: where the schemas' relative references ("type.json") resolve
BASE = "https://reconciliation-api.github.io/specs/0.2/schemas/"


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(doc, default_specification=DRAFT7)
        resources += [(BASE + path.name, resource), (doc.get("$id", BASE + path.name), resource)]
    stub = json.loads((FIXTURES / "swagger-security-scheme.json").read_text(encoding="utf-8"))
    resources.append((stub["$id"], Resource.from_contents(stub, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> jsonschema.Draft7Validator:
    """The validator of `kind` (a schema file name without .json, e.g. "manifest")."""
    schema = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
    schema = {**schema, "$id": BASE + f"{kind}.json"}  # resolve "type.json" next to it
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, registry=registry())


def check(kind: str, document: Any) -> None:
    """Raise jsonschema.ValidationError (the first error) unless `document` is a valid `kind`."""
    validator(kind).validate(document)


def kinds() -> list[str]:
    """The kinds that have a 0.2 schema."""
    return sorted(p.stem for p in SCHEMAS.glob("*.json"))
