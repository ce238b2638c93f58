"""Named queries: every `queries/*.rq` file, loaded once, its request values bound as RDF terms,
run as one page of solutions in a query worker.

The query text is never changed: request values are validated by `kg.sparql.params` and bound
as RDF terms (pyoxigraph substitutions). The HTTP side (`GET /api/queries/{name}`: formats,
pages, `Link` headers, OpenAPI) is kg.web.routes.queries.

The files are loaded when the service state is made (kg.query.service.ServiceState); a broken
file raises `QueryFileError` there, so the app does not start with a query silently missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.config import Settings, env_setting
from kg.query.messages import QueryAnswer, QueryJob
from kg.rdf import XSD
from kg.sparql.params import NamedQuery, bind, load_named_queries

#: Request parameters the API itself reads (not query parameters).
CONTROL = ("format", "page", "per_page")
_INTS = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                           "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
                           "unsignedShort", "unsignedByte")}
_FLOATS = {XSD + "decimal", XSD + "double", XSD + "float"}
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def queries_dir_for(settings: Settings) -> Path:
    """`{project_root}/queries` of the settings, else the process setting `queries`
    ($HILFENETZ_QUERIES), else the checkout this package runs from."""
    if settings.project_root:
        return Path(settings.project_root) / "queries"
    configured = env_setting("queries")
    return Path(configured) if configured is not None else _PACKAGE_ROOT / "queries"


def load_catalogue(queries_dir: Path) -> dict[str, NamedQuery]:
    """The named queries of the folder by name, in file order.

    Raises kg.sparql.params.QueryFileError when a file is broken (the app must not start)."""
    return {q.name: q for q in load_named_queries(queries_dir)}


def iter_names(queries_dir: Path) -> Iterator[str]:
    """Names of the served queries (for tests and the CLI)."""
    return (q.name for q in load_named_queries(queries_dir))


def bind_values(query: NamedQuery, values: Mapping[str, str], store: Any) -> dict[str, Any]:
    """The request values as `{variable: RDF term}`, checked against the store (cheap pattern
    lookups with LIMIT 1); raises kg.sparql.params.ParamError (422 in the API)."""
    return bind(query, values, store, CONTROL)


def page_job(query: NamedQuery, bound: dict[str, Any], page: int, per_page: int, settings: Settings) -> QueryJob:
    """The worker job for one page of a named query: the unchanged text, the request values as
    substitutions, the union default graph (as served at /sparql)."""
    return QueryJob(
        query=query.text,
        result_format=None,
        graph_format=None,
        union_default_graph=True,
        substitutions=dict(bound) or None,
        page=((page - 1) * per_page, per_page),
        max_rows=settings.max_result_rows,
        max_bytes=settings.max_result_bytes,
    )


def page_of(answer: QueryAnswer) -> tuple[list[str], list[list[Any]], int]:
    """(columns, the rows of the page as terms, total number of rows) of a worker's `page` answer."""
    return answer.columns, answer.page_rows or [], answer.rows


def catalogue_entry(query: NamedQuery, url: str) -> dict[str, Any]:
    """What `GET /api/queries` lists for one query (`url`: where it is served)."""
    data = query.example.to_json()
    return {
        "name": query.name,
        "title": data["title"],
        "description": data["description"],
        "url": url,
        "columns": list(query.columns),
        "params": [{"name": p.name, "type": p.type_label, "default": p.default, "example": p.example}
                   for p in query.bindable],
        "query": query.text,
    }


# ----------------------------------------------------------------------------- values


def plain(term: Any) -> Any:
    """A term as a plain JSON value: IRI string, number/boolean for numeric/boolean literals,
    else the lexical form; blank nodes as `_:id`; unbound → None."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        try:
            if dt in _INTS:
                return int(term.value)
            if dt in _FLOATS:
                return float(term.value)
            if dt == XSD + "boolean":
                return term.value in ("true", "1")
        except ValueError:
            return term.value
        return term.value
    return str(term)


def jsonld_value(term: Any) -> Any:
    """A term as a JSON-LD value object (keeps datatype and language)."""
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": term.datatype.value}
