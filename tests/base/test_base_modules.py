"""The base modules hold one way to do each basic thing: every IRI (kg.rdf), every exception
(kg.errors, answered over HTTP by kg.web.http.error_response), every German/English text pair
(kg.i18n); and modules import their neighbours plainly.

The scans read the source with `ast` (no imports of the scanned modules), so a new local IRI
constant, an exception class outside kg.errors or a guarded import of a sibling fails here with
the file and line."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
from pathlib import Path

import pytest

import kg
from kg import errors, rdf
from kg.errors import (
    BodyTooLarge,
    ClientGone,
    KgError,
    NotAcceptable,
    ParamError,
    QueryTimeout,
    WriteViolation,
)
from kg.i18n import Msg
from kg.web.http import error_response

KG = Path(kg.__file__).parent
#: kg/cli is rewritten by another change of the same issue; kg/rdf.py is where IRIs belong
SKIP = {KG / "rdf.py"}


def _sources() -> list[tuple[Path, ast.Module]]:
    out = []
    for path in sorted(KG.rglob("*.py")):
        if path in SKIP or (KG / "cli") in path.parents:
            continue
        out.append((path, ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return out


def _namespaces() -> set[str]:
    return {v for k, v in vars(rdf).items() if k.isupper() and isinstance(v, str) and v.startswith("http")}


def test_no_module_defines_its_own_iri_constants() -> None:
    namespaces = _namespaces()
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            # NAME = "http://…" (a redefinition) or rdflib.Namespace("http://…")
            value = None
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                value = node.value.value
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Namespace":
                value = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if isinstance(value, str) and any(value.startswith(ns) for ns in namespaces):
                found.append(f"{path.relative_to(KG.parent)}:{node.lineno}: {value}")
    assert found == [], "IRI constants belong in kg/rdf.py:\n" + "\n".join(found)


def test_every_exception_class_is_defined_in_kg_errors() -> None:
    ours = {name for name, v in vars(errors).items() if inspect.isclass(v) and issubclass(v, BaseException)}
    found = []
    for path, tree in _sources():
        if path == KG / "errors.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if any(b.endswith(("Error", "Exception")) or b in ours for b in bases):
                    found.append(f"{path.relative_to(KG.parent)}:{node.lineno}: class {node.name}")
    assert found == [], "exception classes belong in kg/errors.py:\n" + "\n".join(found)


def test_every_exception_of_kg_errors_is_a_kg_error_with_a_status() -> None:
    classes = [c for c in vars(errors).values() if inspect.isclass(c) and issubclass(c, BaseException)]
    assert len(classes) >= 25
    for cls in classes:
        assert issubclass(cls, KgError), cls
        assert 400 <= cls.http_status <= 599 or cls is ClientGone, cls
    # callers that catch the builtin keep working
    assert issubclass(ParamError, ValueError) and issubclass(errors.RemoteError, RuntimeError)


@pytest.mark.parametrize("module", ["kg.query.pool", "kg.sparql.params", "kg.store.remote", "kg.web.http",
                                    "kg.shacl.engine", "kg.serve.replicas"])
def test_old_import_places_still_work(module: str) -> None:
    names = {"kg.query.pool": ["QueryTimeout", "WorkerCrashed", "ClientGone"],
             "kg.sparql.params": ["QueryFileError", "QueryFilesError", "ParamError"],
             "kg.store.remote": ["RemoteError"], "kg.web.http": ["BodyTooLarge"],
             "kg.shacl.engine": ["ValidationFailure"], "kg.serve.replicas": ["ReplicaError"]}[module]
    mod = importlib.import_module(module)
    for name in names:
        assert getattr(mod, name) is getattr(errors, name)


def test_error_response_status_text_and_headers() -> None:
    r = error_response(BodyTooLarge(1000))
    assert r.status_code == 413
    assert r.body.decode() == ("The request body is larger than the limit of 1000 bytes.\n"
                               "Der Request-Body ist größer als das Limit von 1000 Bytes.\n")
    r = error_response(NotAcceptable("No acceptable format.", headers={"Vary": "Accept"}))
    assert (r.status_code, r.body, r.headers["vary"]) == (406, b"No acceptable format.\n", "Accept")
    assert error_response(QueryTimeout(2.0)).status_code == 503
    gone = error_response(ClientGone())
    assert (gone.status_code, gone.body) == (499, b"")


def test_error_response_negotiates_a_refused_write() -> None:
    exc = WriteViolation("refused", "the report", json.dumps({"conforms": False}), "[] a <x:Report> .", de="abgelehnt")
    as_json = error_response(exc, "application/json")
    assert (as_json.status_code, as_json.media_type, json.loads(as_json.body)) == (422, "application/json",
                                                                                   {"conforms": False})
    as_turtle = error_response(exc, "text/turtle")
    assert as_turtle.media_type.startswith("text/turtle") and as_turtle.body == b"[] a <x:Report> ."
    assert error_response(exc).body.decode() == "refused\nabgelehnt\n\nthe report"


def test_write_outcome_and_query_answer_name_their_exception() -> None:
    from kg.graph.write import DISK_FULL_DE, WriteOutcome
    from kg.query.messages import QueryAnswer

    full = WriteOutcome(False, "disk_full", "full")
    assert (type(full.error()).__name__, full.status, full.error().de) == ("DiskFull", 507, DISK_FULL_DE)
    syntax = WriteOutcome(False, "syntax", "error at 2:5: oops")
    assert str(syntax.error()).startswith("SPARQL update syntax error (line 2, column 5")
    assert syntax.status == 400
    assert WriteOutcome(True).status == 200
    rows = QueryAnswer(False, kind="too_many_rows", message="too many").error()
    assert (rows.http_status, str(rows), rows.kind) == (413, "too many", "too_many_rows")
    assert QueryAnswer(False, kind="store", message="gone").error().http_status == 503


def test_msg_picks_the_language() -> None:
    m = Msg("Entität", "Entity", "Entität / entity")
    assert [m.text(x) for x in ("de", "en", "both", "fr")] == ["Entität", "Entity", "Entität / entity", "Entity"]
    assert Msg("ja", "yes").text("both") == "ja / yes"


def test_no_guarded_or_probed_imports_of_kg_modules() -> None:
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Try):
                for inner in node.body:
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("kg"):
                        found.append(f"{path.relative_to(KG.parent)}:{inner.lineno}: guarded import")
                    if isinstance(inner, ast.Import) and any(a.name.startswith("kg") for a in inner.names):
                        found.append(f"{path.relative_to(KG.parent)}:{inner.lineno}: guarded import")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "find_spec":
                found.append(f"{path.relative_to(KG.parent)}:{node.lineno}: find_spec")
    assert found == [], "\n".join(found)


def test_every_kg_module_imports_on_its_own() -> None:
    """Plain imports at the top must not form a cycle: each module imports first, in a fresh
    set of kg modules (third-party modules stay loaded, so this takes seconds, not minutes)."""
    import sys

    names = [m.name for m in pkgutil.walk_packages([str(KG)], "kg.") if not m.name.startswith("kg.cli")]
    assert len(names) > 50
    saved = {k: v for k, v in sys.modules.items() if k == "kg" or k.startswith("kg.")}
    try:
        for name in names:
            for k in [k for k in sys.modules if k == "kg" or k.startswith("kg.")]:
                del sys.modules[k]
            importlib.import_module(name)
    finally:
        for k in [k for k in sys.modules if k == "kg" or k.startswith("kg.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_one_script_safe_json_helper_for_pages_and_the_query_ui() -> None:
    from kg.web.render.pages import script_json
    from kg.web.routes import ui

    data = {"x": "</script><!-- & -->"}
    for indent in (None, 1):
        text = script_json(data, indent=indent)
        assert "<" not in text and ">" not in text and "&" not in text
        assert json.loads(text) == data
    assert not hasattr(ui, "_json_for_script")
    assert ui.script_json is script_json
