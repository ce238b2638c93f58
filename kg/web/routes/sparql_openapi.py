"""The OpenAPI description of `/sparql` (SPARQL 1.1 Protocol): parameters, bodies, answers.

Why written out here and not generated: the handlers read the raw request (repeated parameters,
three body media types, the fast lane in kg.web.routes.sparql skips FastAPI's parameter
machinery), so FastAPI sees no parameters to describe. These tables are attached to the route
declarations (`openapi_extra`, `responses`); the lane answers the requests, the routes stay for
this description and for the other methods. The media types come from the one format table
(kg.web.negotiation), so the description cannot drift from what the endpoint serves.

Swagger UI's "Try it out" (/api/docs) fills each parameter with its `example` and sends the
first media type of the 200 answer as `Accept`, so the examples are a query that runs on any
store and the SPARQL JSON results come first.
"""

from __future__ import annotations

from typing import Any

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS

EXAMPLE_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
EXAMPLE_UPDATE = ('INSERT DATA { GRAPH <https://example.org/g> '
                  '{ <https://example.org/s> <https://example.org/p> "o" } }')

_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_IRI_LIST = {"type": "array", "items": {"type": "string", "format": "uri"}}


def _iri_param(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": text, "style": "form",
            "explode": True, "schema": _IRI_LIST}


_DATASET = (
    _iri_param("default-graph-uri", "A graph of the query's default graph (repeatable; replaces FROM). Without "
               "it and without FROM, the default graph is the union of all named graphs."),
    _iri_param("named-graph-uri", "A named graph of the query's dataset (repeatable; replaces FROM NAMED)."),
)
_USING = (
    _iri_param("using-graph-uri", "Update only: a graph of the WHERE clause's default graph (repeatable; "
               "like USING; not together with USING or WITH in the update)."),
    _iri_param("using-named-graph-uri",
               "Update only: a named graph of the WHERE clause (repeatable; like USING NAMED)."),
)
_TIMEOUT = {"name": "timeout", "in": "query", "required": False,
            "description": "Deadline in seconds (greater than 0); capped by the server's own limit, which is the "
                           "default. A query past its deadline is stopped and answered with 503.",
            "schema": {"type": "number", "exclusiveMinimum": 0}}
_FORMAT = {"name": "format", "in": "query", "required": False,
           "description": "Answer format, instead of `Accept` (for links and browsers). Short names: "
                          + ", ".join(f"`{k}`" for k in sorted({n for f in (*RESULT_FORMATS, *GRAPH_FORMATS)
                                                                 for n in f.names}))
                          + "; a media type of the list below works too. A value that names no format "
                            "is ignored (Accept decides).",
           "schema": {"type": "string"}}
_QUERY_PARAM = {"name": "query", "in": "query", "required": False,
                "description": "The SPARQL query (URL-encoded). Without it, GET answers the service description.",
                "schema": {"type": "string"}, "example": EXAMPLE_QUERY}


def _answer_media() -> dict[str, Any]:
    """The 200 answer's media types: SELECT/ASK results first (Swagger UI sends the first as Accept)."""
    content: dict[str, Any] = {}
    for fmt in RESULT_FORMATS:
        schema: dict[str, Any] = {"type": "object"} if fmt.key == "json" else {"type": "string"}
        content[fmt.media_type] = {"schema": schema}
    for fmt in GRAPH_FORMATS:
        graph_schema: dict[str, Any] = {} if fmt.key == "jsonld" else {"type": "string"}  # JSON: object or array
        content.setdefault(fmt.media_type, {"schema": graph_schema})
    return content


def _error(text: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": text, "content": _TEXT}
    if headers:
        answer["headers"] = headers
    return answer


_RETRY = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
_RESULTS_TEXT = ("SELECT/ASK: " + ", ".join(f.media_type for f in RESULT_FORMATS) + ". CONSTRUCT/DESCRIBE: "
                 + ", ".join(f.media_type for f in GRAPH_FORMATS) + ". Chosen by `Accept` (q-values) or `format=`.")

#: Answers of a query (GET or POST).
QUERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The results. " + _RESULTS_TEXT + " GET without `query`: the service description "
                         "(Turtle and the other graph formats).",
          "content": _answer_media(),
          "headers": {"ETag": {"description": "Strong validator of this answer for this store version.",
                               "schema": {"type": "string"}}}},
    304: {"description": "Not modified: the answer named in If-None-Match is current."},
    400: _error("Bad request: a syntax error (with line and column), an empty query, a repeated `query`, an "
                "invalid graph IRI, a bad `timeout`, brackets nested too deeply, or a SPARQL Update sent as a query."),
    403: _error("A SERVICE or LOAD target that is not on the server's allow-list."),
    406: _error("None of the accepted media types fits this kind of query; the answer lists the available ones."),
    413: _error("The answer exceeds the server's row or size limit, or the request body is too large."),
    414: _error("The URL is longer than the server accepts: send the query with POST."),
    429: _error("Too many requests from this client.", _RETRY),
    503: _error("The query passed its deadline (or waited too long for a free worker), a query worker failed, "
                "or the store could not be read.", _RETRY),
}

#: Further answers of POST, which also carries SPARQL Update.
UPDATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("Update without a bearer token (Authorization: Bearer …).",
                {"WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}}}),
    403: _error("Update with a wrong token or on a server without writes; or a SERVICE/LOAD target that is not "
                "allowed."),
    405: _error("SPARQL Update on a read-only server."),
    415: _error("A Content-Type other than application/x-www-form-urlencoded, application/sparql-query and "
                "application/sparql-update, or a charset other than UTF-8."),
    422: _error("The update would violate the SHACL shapes; nothing was changed. The validation report is the "
                "body (JSON or Turtle when asked for in Accept, else text)."),
    507: _error("The disk is full; nothing was changed."),
}

GET_EXTRA: dict[str, Any] = {
    "parameters": [_QUERY_PARAM, *_DATASET, _TIMEOUT, _FORMAT],
}

_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "A SPARQL query (exactly one of `query` and `update`)."},
        "update": {"type": "string", "description": "A SPARQL Update (needs the write token)."},
        "default-graph-uri": _IRI_LIST,
        "named-graph-uri": _IRI_LIST,
        "using-graph-uri": _IRI_LIST,
        "using-named-graph-uri": _IRI_LIST,
        "timeout": {"type": "number", "exclusiveMinimum": 0},
        "format": {"type": "string"},
    },
    "example": {"query": EXAMPLE_QUERY},
}
_FORM_ENCODING = {name: {"style": "form", "explode": True}
                  for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")}

POST_EXTRA: dict[str, Any] = {
    "parameters": [*_DATASET, *_USING, _TIMEOUT, _FORMAT],
    "requestBody": {
        "required": True,
        "description": "The operation: a query or an update as the whole body (UTF-8), or as the `query` or "
                       "`update` field of a form (the form's other fields as for GET). With a direct body the "
                       "dataset parameters go in the URL.",
        "content": {
            "application/sparql-query": {"schema": {"type": "string"}, "example": EXAMPLE_QUERY},
            "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA, "encoding": _FORM_ENCODING},
            "application/sparql-update": {"schema": {"type": "string"}, "example": EXAMPLE_UPDATE},
        },
    },
}

GET_DESCRIPTION = (
    "SPARQL 1.1 Protocol query via GET (HEAD answers the same headers without a body). Without `query`, "
    "the service description. Answers carry an ETag (304 on If-None-Match) and are cut at the server's deadline."
)
POST_DESCRIPTION = (
    "SPARQL 1.1 Protocol query or update via POST: `application/sparql-query`, `application/sparql-update`, or a "
    "form (`application/x-www-form-urlencoded`) with `query` or `update`. Updates need the write token "
    "(Authorization: Bearer …) and are validated against the SHACL shapes before they are committed."
)

#: All answers of POST (a query or an update); an update's 200 is `OK` as text.
POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **QUERY_RESPONSES,
    200: {**QUERY_RESPONSES[200], "description": QUERY_RESPONSES[200]["description"] + " An update: `OK` (text/plain).",
          "content": {**QUERY_RESPONSES[200]["content"], "text/plain": {"schema": {"type": "string"}}}},
    **UPDATE_RESPONSES,
}
