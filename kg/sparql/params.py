"""Typed parameters of the named queries in `queries/*.rq`: parse, validate, bind.

Why a module of its own (below the server): the REST API, the tests and the build all need the
same answer to "which parameters does this file take, and is this value acceptable?", and none of
them may splice a value into query text. A parameter is a SPARQL variable of the query; the API
binds it as an RDF term with pyoxigraph substitutions, so a value can only ever *be* a term.

Header syntax (one line per parameter, after the `# title:` / `# description:` lines that
`kg.sparql.catalog` reads)::

    # param: municipality iri(hn:AdministrativeArea) - <https://w3id.org/hilfenetz/id/area/05562014>
    # param: lifePhase concept(life-phase) - hnid:concept/life-phase/infancy
    # param: fromYear integer - 2018
    # param: since date 2012-01-01 2017-01-01
    # param: text string(80) - "Gladbeck"

i.e. `name type default example`, where `-` means "no default" (the variable stays unbound:
the query then answers for all values). Types: `iri(ClassCurie)` — an existing instance of the
class; `resource` — any IRI that is the subject of a triple; `concept(scheme)` — a concept in
`hnid:concept/{scheme}`; `string` / `string(N)` (at most N characters, default 200);
`integer`; `date` (`YYYY-MM-DD`). Old-style lines (`name iri <default>` without a typed class,
with the default fixed in a `VALUES` block) are still read as *documentation-only* parameters:
not bindable, so the API does not offer them; no file in `queries/` uses that form any more.
A header default is applied by `bind` (the API), not by the query text: run as a plain file
(at /sparql, `kg query`), such a query leaves the variable unbound and answers for all values.

Rules a parameterised query must follow (checked when the file is loaded): the variable is
projected; it is never the target of `BIND(... AS ?p)` (pyoxigraph replaces the variable in the
algebra, so an assignment would be silently lost); it occurs in a required triple pattern (then
unbound means "all") or only inside `FILTER(COALESCE(... ?p ..., true))`, never in a bare
`BOUND(?p)` (the optimiser folds that to false for a variable no pattern binds).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import ParamError, QueryFileError, QueryFilesError
from kg.rdf import HNID, PREFIXES, XSD

# queries_catalog is a pure module (no web framework, no store); it only lives in kg.web
from kg.sparql.catalog import ExampleQuery, load_example, with_prefixes

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE = re.compile(r"^(iri|resource|concept|string|integer|date)(?:\(([^()\s]*)\))?$")
_IRI_OK = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,12}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DEFAULT_STRING_MAX = 200


def expand_curie(text: str, prefixes: Mapping[str, str] = PREFIXES) -> str | None:
    """`<iri>` → iri; `hn:Foo` → full IRI; anything else → None."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if ":" in text:
        prefix, local = text.split(":", 1)
        if prefix in prefixes and not local.startswith("//"):
            return prefixes[prefix] + local
    return None


@dataclass(frozen=True)
class ParamSpec:
    """One typed parameter: the SPARQL variable `name`, its type and header default/example."""

    name: str
    type: str  # iri | concept | string | integer | date
    arg: str | None = None  # class IRI (iri), scheme IRI (concept), max length (string)
    default: str | None = None
    example: str | None = None
    bindable: bool = True
    raw: str = ""

    @property
    def type_label(self) -> str:
        """The type as written in the header (for documentation and OpenAPI descriptions)."""
        if self.arg is None:
            return self.type
        return f"{self.type}({_shorten(self.arg)})"

    def openapi_schema(self) -> dict[str, Any]:
        """JSON Schema of the request value (query strings: always a string on the wire)."""
        schema: dict[str, Any]
        if self.type == "integer":
            schema = {"type": "integer"}
        elif self.type == "date":
            schema = {"type": "string", "format": "date"}
        elif self.type in ("iri", "concept", "resource"):
            schema = {"type": "string", "format": "iri"}
        else:
            schema = {"type": "string", "maxLength": self.max_length}
        if self.default is not None:
            schema["default"] = _plain(self.default)
        if self.example is not None:
            schema["examples"] = [_plain(self.example)]
        return schema

    @property
    def max_length(self) -> int:
        return int(self.arg) if self.type == "string" and self.arg else DEFAULT_STRING_MAX


def _shorten(iri: str) -> str:
    for p, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return f"{p}:{iri[len(ns):]}"
    return f"<{iri}>"


def _plain(token: str) -> str:
    """A header token as the plain request value it stands for (IRI without brackets, CURIE
    expanded, quotes removed)."""
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] == '"':
        return token[1:-1]
    iri = expand_curie(token)
    return iri if iri is not None else token


def _tokens(text: str) -> list[str]:
    """Split a param line: whitespace-separated, but "quoted strings" and (parenthesised
    comments) stay one token."""
    return re.findall(r'"[^"]*"|\([^)]*\)|\S+', text)


def parse_param(line: str) -> ParamSpec:
    """Parse the value of one `# param:` line (raises ValueError with a readable message)."""
    body = re.split(r"\s+[—–]\s+", line.strip(), maxsplit=1)[0]
    toks = _tokens(body)
    if len(toks) < 2:
        raise ValueError(f"param line needs at least 'name type': {line!r}")
    name, typ, rest = toks[0], toks[1], toks[2:]
    if not _NAME.match(name):
        raise ValueError(f"invalid parameter name {name!r}")
    m = _TYPE.match(typ)
    if not m:
        raise ValueError(
            f"unknown parameter type {typ!r} (iri(Class), resource, concept(scheme), string, integer, date)"
        )
    kind, arg = m.group(1), m.group(2)
    values = [t for t in rest if not (t.startswith("(") and t.endswith(")"))]
    default = values[0] if values and values[0] != "-" else None
    example = values[1] if len(values) > 1 else None
    # `iri` without a class is the old documentation-only form (default fixed in a VALUES block)
    legacy = kind == "iri" and arg is None
    if kind == "iri" and arg:
        iri = expand_curie(arg)
        if iri is None:
            raise ValueError(f"class {arg!r} is not a known CURIE or <IRI>")
        arg = iri
    elif kind == "concept":
        if not arg:
            raise ValueError("concept parameters need a scheme: concept(life-phase)")
        arg = arg if arg.startswith("http") else f"{HNID}concept/{arg}"
    elif kind == "string" and arg is not None and not arg.isdigit():
        raise ValueError(f"string length {arg!r} is not a number")
    elif kind in ("integer", "date", "resource") and arg:
        raise ValueError(f"{kind} takes no argument")
    return ParamSpec(name=name, type=kind, arg=arg or None, default=default, example=example,
                     bindable=not legacy, raw=line)


@dataclass(frozen=True)
class NamedQuery:
    """A query file with its typed parameters; `text` is exactly what runs (file + prefixes)."""

    example: ExampleQuery
    params: tuple[ParamSpec, ...]
    path: Path
    columns: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.example.name

    @property
    def text(self) -> str:
        return with_prefixes(self.example.text)

    @property
    def bindable(self) -> tuple[ParamSpec, ...]:
        return tuple(p for p in self.params if p.bindable)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.bindable if p.name == name), None)


def _dummy(spec: ParamSpec) -> Any:
    if spec.type == "integer":
        return ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))
    if spec.type == "date":
        return ox.Literal("2000-01-01", datatype=ox.NamedNode(XSD + "date"))
    if spec.type == "string":
        return ox.Literal("x")
    return ox.NamedNode("urn:x-hilfenetz:check")


def _columns(text: str) -> tuple[str, ...]:
    """Parse and run on an empty store; the projected variables (SELECT) or ().

    The pyoxigraph result object must die in the thread that made it (it is not sendable), so it
    never outlives this function — not even in an exception's traceback."""
    result = ox.Store().query(text)
    if isinstance(result, ox.QuerySolutions):
        return tuple(v.value for v in result.variables)
    return ()


def _substitution_problem(text: str, specs: list[ParamSpec]) -> str | None:
    """None if every parameter can be substituted (pyoxigraph's own check), else its message."""
    try:
        ox.Store().query(text, substitutions={ox.Variable(s.name): _dummy(s) for s in specs})
    except (RuntimeError, ValueError, SyntaxError) as exc:
        return str(exc)
    return None


def load_named_query(path: Path) -> NamedQuery:
    """Read, parse and check one file: header, parameters and the SPARQL itself (parsed and
    run on an empty store, with every bindable parameter substituted once, so a parameter that
    is not a projected variable is reported here and not at request time)."""
    try:
        example = load_example(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryFileError(path, f"cannot read: {exc}") from exc
    specs: list[ParamSpec] = []
    for line in example.params:
        try:
            specs.append(parse_param(line))
        except ValueError as exc:
            raise QueryFileError(path, f"param: {exc}") from exc
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise QueryFileError(path, "duplicate parameter names")
    for key, texts in (("title", example.title), ("description", example.description)):
        if not texts.get("en") or not texts.get("de"):
            raise QueryFileError(path, f"header needs '# {key}:' (English) and '# {key}@de:'")
    text = with_prefixes(example.text)
    try:
        columns = _columns(text)
    except SyntaxError as exc:
        raise QueryFileError(path, f"SPARQL syntax error: {exc}") from exc
    bindable = [s for s in specs if s.bindable]
    if bindable:
        problem = _substitution_problem(text, bindable)
        if problem:
            raise QueryFileError(path, f"parameter cannot be bound: {problem}")
        assigned = [s.name for s in bindable if re.search(rf"(?i)\bAS\s+\?{s.name}\b", text)]
        if assigned:
            # substitution replaces the variable syntactically: a BIND/AS target would be lost
            raise QueryFileError(path, f"parameters must not be assigned with AS: {', '.join(assigned)}")
        missing = [s.name for s in bindable if s.name not in columns]
        if missing:
            raise QueryFileError(path, f"parameters must be projected variables: {', '.join(missing)}")
    return NamedQuery(example=example, params=tuple(specs), path=path, columns=columns)


def load_named_queries(queries_dir: Path) -> list[NamedQuery]:
    """Every `*.rq` of the folder; the first broken file raises QueryFileError (never skipped)."""
    if not queries_dir.is_dir():
        return []
    return [load_named_query(p) for p in sorted(queries_dir.glob("*.rq"))]


def check_query_files(queries_dir: Path) -> list[QueryFileError]:
    """All problems of all files (for the build and `kg validate`: report every broken file)."""
    problems: list[QueryFileError] = []
    for p in sorted(queries_dir.glob("*.rq")) if queries_dir.is_dir() else []:
        try:
            load_named_query(p)
        except QueryFileError as exc:
            problems.append(exc)
    return problems


def require_valid_query_files(queries_dir: Path) -> int:
    """Raise QueryFilesError listing every broken file; else return the number of files.

    For the build: call it with `project_root / "queries"` so a broken file fails the build
    with the file name and the parser's message."""
    problems = check_query_files(queries_dir)
    if problems:
        raise QueryFilesError(problems)
    return len(list(queries_dir.glob("*.rq"))) if queries_dir.is_dir() else 0


# ----------------------------------------------------------------------------- values


_ASK_INSTANCE = "SELECT ?x ?c WHERE { ?x a ?c } LIMIT 1"
_ASK_SUBJECT = "SELECT ?x WHERE { ?x ?p ?o } LIMIT 1"
_ASK_CONCEPT = ("SELECT ?x ?s WHERE { ?x <http://www.w3.org/2004/02/skos/core#inScheme> ?s } LIMIT 1")


def _exists(store: Any, query: str, bindings: dict[str, Any]) -> bool:
    res = store.query(query, substitutions={ox.Variable(k): v for k, v in bindings.items()},
                      use_default_graph_as_union=True)
    return any(True for _ in res)


def coerce(spec: ParamSpec, value: str, store: Any | None) -> Any:
    """The RDF term for a request value, or ParamError. IRIs are checked against the store
    (an instance of the class / a concept of the scheme) when a store is given."""
    if spec.type == "integer":
        if not _INTEGER.match(value.strip()):
            raise ParamError(spec.name, "not an integer", "int_parsing")
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if spec.type == "date":
        v = value.strip()
        try:
            if not _DATE.match(v):
                raise ValueError
            _dt.date.fromisoformat(v)
        except ValueError:
            raise ParamError(spec.name, "not a date (YYYY-MM-DD)", "date_parsing") from None
        return ox.Literal(v, datatype=ox.NamedNode(XSD + "date"))
    if spec.type == "string":
        if len(value) > spec.max_length:
            raise ParamError(spec.name, f"longer than {spec.max_length} characters", "string_too_long")
        if any(ord(c) < 32 and c not in "\t" for c in value):
            raise ParamError(spec.name, "control characters are not allowed")
        return ox.Literal(value)
    # iri / resource / concept
    iri = value.strip()
    if iri.startswith("<") and iri.endswith(">"):
        iri = iri[1:-1]
    expanded = expand_curie(iri) if not iri.startswith(("http://", "https://", "urn:")) else None
    iri = expanded or iri
    if len(iri) > 2000 or not _IRI_OK.match(iri):
        raise ParamError(spec.name, "not an absolute IRI", "iri_parsing")
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        raise ParamError(spec.name, "not an absolute IRI", "iri_parsing") from None
    if store is None:
        return node
    if spec.type == "concept":
        if not _exists(store, _ASK_CONCEPT, {"x": node, "s": ox.NamedNode(spec.arg or "")}):
            raise ParamError(spec.name, f"not a concept of {spec.arg}", "unknown_concept")
    elif spec.arg:
        if not _exists(store, _ASK_INSTANCE, {"x": node, "c": ox.NamedNode(spec.arg)}):
            raise ParamError(spec.name, f"not an instance of {_shorten(spec.arg)}", "unknown_instance")
    elif not _exists(store, _ASK_SUBJECT, {"x": node}):
        raise ParamError(spec.name, "no such resource", "unknown_instance")
    return node


def bind(query: NamedQuery, values: Mapping[str, str], store: Any | None,
         ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Validate request values (plus header defaults) into `{variable name: RDF term}`.

    Unknown names raise ParamError (422 in the API) unless listed in `ignore` (the API's own
    `page`, `per_page`, `format`)."""
    ignored = set(ignore)
    errors: list[ParamError] = []
    for name in values:
        if name not in ignored and query.param(name) is None:
            errors.append(ParamError(name, "unknown parameter", "extra_forbidden"))
    if errors:
        raise errors[0]
    bound: dict[str, Any] = {}
    for spec in query.bindable:
        raw = values.get(spec.name)
        if raw is None or raw == "":
            if spec.default is None:
                continue
            raw = _plain(spec.default)
        bound[spec.name] = coerce(spec, raw, store)
    return bound


def run(store: Any, query: NamedQuery, bound: Mapping[str, Any]) -> Any:
    """Evaluate the unchanged query text with the bound terms (union default graph, as served)."""
    kwargs: dict[str, Any] = {"use_default_graph_as_union": True}
    if bound:
        kwargs["substitutions"] = {ox.Variable(k): v for k, v in bound.items()}
    return store.query(query.text, **kwargs)
