"""The spec's own examples through the validator the service's answers are checked with: every
valid example passes, every invalid one fails, so the validator is shown to bite."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.web.reconcile.schemas import EXAMPLES, check, kinds


def _examples(which: str) -> list[tuple[str, Path]]:
    return [(kind, path) for kind in kinds() for path in sorted((EXAMPLES / kind / which).glob("*.json"))]


VALID = _examples("valid")
INVALID = _examples("invalid")


def test_there_are_examples_of_both_sorts() -> None:
    assert len(VALID) >= 20 and len(INVALID) >= 10
    assert {k for k, _ in INVALID} >= {"manifest", "reconciliation-query-batch", "reconciliation-result-batch",
                                       "data-extension-response"}


@pytest.mark.parametrize(("kind", "path"), VALID, ids=[f"{k}/{p.name}" for k, p in VALID])
def test_valid_example_passes(kind: str, path: Path) -> None:
    check(kind, json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(("kind", "path"), INVALID, ids=[f"{k}/{p.name}" for k, p in INVALID])
def test_invalid_example_fails(kind: str, path: Path) -> None:
    with pytest.raises(jsonschema.ValidationError):
        check(kind, json.loads(path.read_text(encoding="utf-8")))


def test_type_reference_resolves() -> None:
    """suggest-types-response refers to type.json: a type without a name must fail through it."""
    check("suggest-types-response", {"result": [{"id": "hn:Land", "name": "Land"}]})
    with pytest.raises(jsonschema.ValidationError):
        check("suggest-types-response", {"result": [{"id": "hn:Land"}]})
