"""The `/sparql` endpoint: SPARQL 1.1 Query Protocol (and Update when a write token is set).

How a query is answered, top-down (this module is in that order):

  sparql_get / sparql_post    the handlers: GET and HEAD, POST
   1. read_get / read_post    read the request: the operation's text and its parameters
   answer_query               steps 2 to 5 for one query:
   2. check_query             refusals that need no store (timeout=, nesting, SERVICE allow-list)
   3. choose_format           the result or graph format the client accepts (406 if none)
   4. run_job                 from the answer cache, inline (one index scan), streamed from a
                              worker, or in a worker under the deadline (run_in_pool)
   5. _answer / _failure      the HTTP answer: 200, HEAD or 304 with a strong ETag, or the error
  run_update                  the update path (POST only, with the write token)
  SparqlLane                  the fast lane: GET, HEAD and POST on /sparql reach the same two
                              handlers straight from the middleware stack, skipping FastAPI's
                              router (measured: a fifth of the CPU of a point lookup)

GET `?query=`, POST form-encoded, POST `application/sparql-query`; `default-graph-uri` and
`named-graph-uri` form the dataset (they replace FROM/FROM NAMED); without them the default graph
is the union of all named graphs. Answers are negotiated (kg.web.negotiation), computed in
worker processes with a deadline (kg.query.pool), cached by (query, dataset, format, store
version) and carry a strong ETag (304 on If-None-Match). GET without a query returns the service
description. Errors are answered in protocol terms: 400 syntax (with line and column), 403
forbidden SERVICE/LOAD target, 405 wrong method, 406 no acceptable format, 413 limits,
415 wrong media type, 422 shape violation, 503 deadline.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kg.errors import KgError, NotAcceptable
from kg.graph.changes import ChangeMeta
from kg.graph.write import apply_update
from kg.i18n import Msg
from kg.query.cache import CachedAnswer
from kg.query.execute import execute_inline, run_with_parser_stack
from kg.query.messages import QueryAnswer, QueryJob
from kg.query.pool import ClientGone, QueryTimeout, WorkerCrashed
from kg.rdf import PREFIXES
from kg.sparql import text as sparql_text
from kg.web.auth import actor, admin_only, require, tokens
from kg.web.http import (
    BodyTooLarge,
    charset_ok,
    error,
    error_response,
    etag,
    etag_of,
    media_type,
    not_modified,
    read_body,
    scope_header,
    too_large,
    valid_iri,
)
from kg.web.metrics import METRICS
from kg.web.negotiation import (
    ALL_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    describe_offers,
    negotiate,
)
from kg.web.render.service_description import description_response
from kg.web.routes import sparql_openapi as doc
from kg.web.state import service

log = logging.getLogger("hilfenetz.server")

FORM = "application/x-www-form-urlencoded"
QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"


def _metric(kind: str, name: str, *args: Any, **labels: Any) -> None:
    try:
        getattr(METRICS, kind)(name, *args, **labels)
    except Exception:  # noqa: BLE001 - metrics must never break a request
        pass


class Params:
    """Protocol parameters from the URL and (for form posts) the body, with repeats kept."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def one(self, name: str) -> str | None:
        vals = self.all(name)
        return vals[0] if vals else None


def url_pairs(request: Request) -> list[tuple[str, str]]:
    """The URL's parameters with repeats, decoded as Starlette's `request.query_params` does
    (latin-1 bytes, then percent-decoding as UTF-8), without building its multi-dict."""
    raw = request.scope.get("query_string") or b""
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []


# ------------------------------------------------------------------------------------------
# how a request is answered


async def sparql_get(request: Request) -> Response:
    """GET and HEAD: a query, or the service description when there is no `query` parameter."""
    read = read_get(request)  # 1. read the request
    if read is None:
        return await description_response(request, service(request))
    if isinstance(read, Response):
        return read
    text, params = read
    return await answer_query(request, text, params)  # 2.–5.


async def sparql_post(request: Request) -> Response:
    """POST: a query or an update, form-encoded or direct."""
    read = await read_post(request)  # 1. read the request
    if isinstance(read, Response):
        return read
    operation, text, params = read
    if operation == "update":
        return await run_update(request, text, params)
    return await answer_query(request, text, params)  # 2.–5.


async def answer_query(request: Request, text: str, params: Params) -> Response:
    """Steps 2 to 5 for one query (already read from the request), under all limits."""
    state = service(request)
    started = time.monotonic()
    checked = await check_query(state.settings, text, params)  # 2. refusals that need no store
    if isinstance(checked, Response):
        return checked
    limit, facts = checked
    formats = choose_format(request, facts.form, params)  # 3. what the client accepts (406)
    if isinstance(formats, Response):
        return formats
    result_fmt, graph_fmt = formats
    dataset = read_dataset(params)
    if isinstance(dataset, Response):
        return dataset
    default_graphs, named_graphs = dataset
    form = facts.form
    chosen = result_fmt if form in ("SELECT", "ASK") else graph_fmt if form else None
    version = state.version
    key = (
        facts.normalised,
        tuple(default_graphs),
        tuple(named_graphs),
        result_fmt.key if result_fmt else None,
        graph_fmt.key if graph_fmt else None,
        version,
    )
    cached = state.cache.get(key)  # 4. run: answered before for this store version?
    if cached is not None:
        _metric("inc", "hilfenetz_sparql_cache_total", result="hit")
        return _answer(request, cached)  # 5. answer: 200, HEAD or 304 with the ETag
    _metric("inc", "hilfenetz_sparql_cache_total", result="miss")
    job = make_job(text, default_graphs, named_graphs, result_fmt, graph_fmt, state.settings)
    return await run_job(request, state, job, facts, key, version, chosen, started, limit)  # 4 and 5


#: FastAPI's route keywords for the OpenAPI description (kg.web.routes.sparql_openapi).
GET_DOC: dict[str, Any] = {"tags": ["sparql"], "operation_id": "sparql_query_get", "summary": "SPARQL query (GET)",
                           "description": doc.GET_DESCRIPTION, "openapi_extra": doc.GET_EXTRA,
                           "responses": doc.QUERY_RESPONSES, "response_class": Response}
#: HEAD is the same handler as its own, undocumented operation (no duplicate operation id).
HEAD_DOC: dict[str, Any] = {"include_in_schema": False}
POST_DOC: dict[str, Any] = {"tags": ["sparql"], "operation_id": "sparql_post",
                            "summary": "SPARQL query or update (POST)",
                            "description": doc.POST_DESCRIPTION, "openapi_extra": doc.POST_EXTRA,
                            "responses": doc.POST_RESPONSES, "response_class": Response}


async def sparql_other(request: Request) -> Response:
    """Other methods are not part of the protocol."""
    return error(
        405,
        f"{request.method} is not allowed on /sparql; use GET or POST.",
        f"{request.method} ist auf /sparql nicht erlaubt; GET oder POST verwenden.",
        headers={"Allow": "GET, HEAD, POST"},
    )


# ------------------------------------------------------------------------------------------
# 1. reading the request


def read_get(request: Request) -> tuple[str, Params] | Response | None:
    """Step 1 for GET and HEAD: the query and the URL's parameters, an error, or None when
    there is no `query` (then the answer is the service description)."""
    params = Params(url_pairs(request))
    if params.all("update"):
        return error(
            405,
            "SPARQL Update must be sent with POST, not GET.",
            "SPARQL Update muss per POST gesendet werden, nicht per GET.",
            headers={"Allow": "POST"},
        )
    queries = params.all("query")
    if not queries:
        return None
    if len(queries) > 1:
        return error(400, "Exactly one `query` parameter is allowed.", "Genau ein `query`-Parameter ist erlaubt.")
    return queries[0], params


async def read_post(request: Request) -> tuple[str, str, Params] | Response:
    """Step 1 for POST: ("query" or "update", the operation's text, its parameters), or an error.
    Form-encoded (`query=`/`update=` with the other parameters) or direct (the body is the
    operation, the parameters are in the URL)."""
    state = service(request)
    mtype, mparams = media_type(request.headers.get("content-type"))
    in_url = url_pairs(request)
    try:
        body = await read_body(request, state.settings.max_body_bytes)
    except BodyTooLarge:
        return too_large(state.settings.max_body_bytes)
    if mtype == FORM:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return error(400, "The form body is not valid UTF-8.", "Der Formular-Body ist kein gültiges UTF-8.")
        params = Params(in_url + parse_qsl(text, keep_blank_values=True))
        queries, updates = params.all("query"), params.all("update")
        if queries and updates:
            return error(400, "Send either `query` or `update`, not both.",
                         "Entweder `query` oder `update` senden, nicht beides.")
        if len(queries) > 1 or len(updates) > 1:
            return error(400, "Exactly one `query` or `update` parameter is allowed.",
                         "Genau ein `query`- oder `update`-Parameter ist erlaubt.")
        if queries:
            return "query", queries[0], params
        if updates:
            return "update", updates[0], params
        return error(400, "The form has no `query` or `update` field.",
                     "Das Formular enthält kein Feld `query` oder `update`.")
    if mtype in (QUERY_MEDIA, UPDATE_MEDIA):
        if not charset_ok(mparams):
            return error(
                415,
                f"{mtype} must be UTF-8 (charset={mparams.get('charset')} is not supported).",
                f"{mtype} muss UTF-8 sein (charset={mparams.get('charset')} wird nicht unterstützt).",
            )
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return error(400, "The request body is not valid UTF-8.", "Der Request-Body ist kein gültiges UTF-8.")
        params = Params(in_url)
        if params.all("query") or params.all("update"):
            return error(400,
                         "With a direct POST the operation is the body; do not also send `query`/`update` in the URL.",
                         "Bei direktem POST ist der Body die Operation; kein `query`/`update` zusätzlich in der URL.")
        return ("query" if mtype == QUERY_MEDIA else "update"), text, params
    return error(
        415,
        f"Unsupported Content-Type {mtype or '(none)'}: use {FORM}, {QUERY_MEDIA} or {UPDATE_MEDIA}.",
        f"Nicht unterstützter Content-Type {mtype or '(keiner)'}: {FORM}, {QUERY_MEDIA} oder {UPDATE_MEDIA} verwenden.",
    )


# ------------------------------------------------------------------------------------------
# 2. checks before any work


def _timeout(params: Params, configured: float) -> float | str:
    """The effective deadline in seconds, or an error message for a bad `timeout=`."""
    raw = params.one("timeout")
    if raw is None or raw == "":
        return configured
    try:
        value = float(raw)
    except ValueError:
        return f"`timeout` must be a number of seconds, not {raw!r}."
    if not value > 0:
        return "`timeout` must be greater than 0."
    return min(value, configured)


def forbidden_response(
    text: str, allow: tuple[str, ...], targets: tuple[sparql_text.RemoteTarget, ...] | None = None
) -> Response | None:
    """403 if the text names a SERVICE or LOAD target whose host is not allow-listed."""
    allowed = {h.lower() for h in allow}
    found = targets if targets is not None else tuple(sparql_text.remote_targets(text))
    bad = [t for t in found if t.host is None or t.host not in allowed]
    if not bad:
        return None
    t = bad[0]
    what = t.iri or t.text
    return error(
        403,
        f"{t.keyword} {what} is not allowed: federated calls and remote loads may only go to allow-listed hosts "
        f"(allowed: {', '.join(allow) or 'none'}).",
        f"{t.keyword} {what} ist nicht erlaubt: föderierte Aufrufe und Ladevorgänge nur zu freigegebenen Hosts "
        f"(freigegeben: {', '.join(allow) or 'keine'}).",
    )


#: Texts longer than this are scanned for their nesting in a thread, not in the event loop.
_SCAN_INLINE_CHARS = 32 * 1024


async def nesting_refusal(text: str, what: str) -> Response | None:
    """400 if the text nests brackets deeper than sparql_text.MAX_NESTING, else None.

    Why before the parser: pyoxigraph's parser recurses per level and a stack overflow kills
    the process (a query worker, or for updates the server itself)."""
    if len(text) > _SCAN_INLINE_CHARS:
        depth = await asyncio.to_thread(sparql_text.too_deep, text)
    else:
        depth = sparql_text.too_deep(text)
    if depth is None:
        return None
    _metric("inc", "hilfenetz_sparql_refused_total", reason="nesting")
    limit = sparql_text.MAX_NESTING
    noun_en, noun_de = ("query", "Die Abfrage") if what == "query" else ("update", "Das Update")
    return error(
        400,
        f"The {noun_en} nests brackets {depth} levels deep; the limit is {limit} levels "
        "of { }, ( ) and [ ] together.",
        f"{noun_de} verschachtelt Klammern {depth} Ebenen tief; erlaubt sind höchstens {limit} Ebenen "
        "von { }, ( ) und [ ] zusammen.",
    )


async def check_query(settings: Any, text: str, params: Params) -> tuple[float, Any] | Response:
    """Step 2: the refusals that need no store: a bad `timeout=`, an empty text, brackets
    nested too deeply, an update sent as a query, a SERVICE/LOAD target not allow-listed.
    Else (the deadline in seconds, the query's facts: form, normalised text, single pattern)."""
    limit = _timeout(params, settings.timeout)
    if isinstance(limit, str):
        return error(400, limit)
    if not text.strip():
        return error(400, "The query is empty.", "Die Abfrage ist leer.")
    deep = await nesting_refusal(text, "query")
    if deep is not None:
        return deep
    facts = sparql_text.query_facts(text)
    if facts.form is None and facts.is_update:
        return error(
            400,
            "This is a SPARQL Update, not a query: send it with POST as `update=` or application/sparql-update.",
            "Das ist ein SPARQL Update, keine Abfrage: per POST als `update=` oder application/sparql-update senden.",
        )
    forbidden = forbidden_response(text, settings.service_allow, facts.targets)
    if forbidden is not None:
        _metric("inc", "hilfenetz_sparql_refused_total", reason="service")
        return forbidden
    return limit, facts


# ------------------------------------------------------------------------------------------
# 3. the format


def choose_format(request: Request, form: str | None, params: Params) -> tuple[Any, Any] | Response:
    """Step 3: (result format, graph format) from `Accept` and `format=`, or 406 when nothing
    the client accepts fits the query's form. Both are negotiated: the form of a query the
    parser cannot classify is only known to the worker."""
    accept = request.headers.get("accept")
    fmt_param = tuple(params.all("format"))
    result_fmt = negotiate(accept, RESULT_FORMATS, fmt_param)
    graph_fmt = negotiate(accept, GRAPH_FORMATS, fmt_param)
    if form in ("SELECT", "ASK") and result_fmt is None:
        return error(406, f"No acceptable format for {form} results; available: {describe_offers(RESULT_FORMATS)}.",
                     f"Kein passendes Format für {form}-Ergebnisse; verfügbar: {describe_offers(RESULT_FORMATS)}.")
    if form in ("CONSTRUCT", "DESCRIBE") and graph_fmt is None:
        return error(406, f"No acceptable format for {form} results; available: {describe_offers(GRAPH_FORMATS)}.",
                     f"Kein passendes Format für {form}-Ergebnisse; verfügbar: {describe_offers(GRAPH_FORMATS)}.")
    return result_fmt, graph_fmt


def read_dataset(params: Params) -> tuple[list[str], list[str]] | Response:
    """The protocol dataset (`default-graph-uri`, `named-graph-uri`; they replace FROM and
    FROM NAMED), or 400 for a value that is not an IRI."""
    default_graphs = params.all("default-graph-uri")
    named_graphs = params.all("named-graph-uri")
    bad = [g for g in default_graphs + named_graphs if not valid_iri(g)]
    if bad:
        return error(400, f"Not a valid graph IRI: {bad[0]!r}.", f"Keine gültige Graph-IRI: {bad[0]!r}.")
    return default_graphs, named_graphs


# ------------------------------------------------------------------------------------------
# 4. running the query


def make_job(text: str, default_graphs: list[str], named_graphs: list[str], result_fmt: Any, graph_fmt: Any,
             settings: Any) -> QueryJob:
    """The worker job of a query: its text, the dataset, the formats and the result limits."""
    job = QueryJob(
        query=text,
        result_format=result_fmt.key if result_fmt else None,
        graph_format=graph_fmt.key if graph_fmt else None,
        default_graph=default_graphs if (default_graphs or named_graphs) else None,
        named_graphs=named_graphs if (default_graphs or named_graphs) else None,
        union_default_graph=True,
        base_iri=settings.endpoint_url(),  # relative IRIs resolve against the endpoint (as for updates)
        max_rows=settings.max_result_rows,
        max_bytes=settings.max_result_bytes,
        prefixes=PREFIXES,  # read only, here and in the worker
        default_prefixes=PREFIXES,  # like `kg query`: hn:, hnid:, skos: … work without PREFIX
    )
    if default_graphs and not named_graphs:
        job.named_graphs = []
    if named_graphs and not default_graphs:
        job.default_graph = []
    return job


async def run_job(request: Request, state: Any, job: QueryJob, facts: Any, key: tuple[object, ...], version: str,
                  chosen: Any, started: float, limit: float) -> Response:
    """Step 4 and 5 for a query not in the cache: a single-pattern lookup right here under a
    small cap (execute_inline), a large SELECT streamed from its worker (StreamedAnswer), any
    other in a worker under the deadline; the answer goes into the cache (_Finisher)."""
    settings = state.settings
    form = facts.form
    outcome: QueryAnswer | Response | None = None
    if facts.single_pattern and settings.inline_queries:
        outcome = execute_inline(state.store, job, settings.inline_max_rows, settings.inline_max_bytes)
        _metric("inc", "hilfenetz_sparql_inline_total", result="answered" if outcome is not None else "to_worker")
    finish = _Finisher(request, key, version, chosen.key if chosen else "json", form)
    if outcome is None:
        if form == "SELECT" and settings.stream_after_bytes > 0 and request.method != "HEAD" \
                and not scope_header(request.scope, b"if-none-match"):
            job.stream_after = settings.stream_after_bytes
            return StreamedAnswer(request, job, finish, started=started, limit=limit)
        outcome = await run_in_pool(request, job, started=started, limit=limit, form=form)
    if isinstance(outcome, Response):
        return outcome
    return finish(outcome)


class _Finisher:
    """Turns a worker's complete answer into the HTTP answer: the error response, or the body
    with its ETag, entered into the answer cache (when the store version is still current)."""

    def __init__(self, request: Request, key: tuple[object, ...], version: str, format_key: str,
                 form: str | None) -> None:
        self.request = request
        self.key = key
        self.version = version
        self.format_key = format_key
        self.form = form

    def content_type(self, answer: QueryAnswer | None = None) -> str:
        return ALL_FORMATS[(answer.format_key if answer else None) or self.format_key].content_type

    def entry(self, answer: QueryAnswer, body: bytes) -> CachedAnswer:
        """The cache entry for `body` (the whole answer), keeping it when the version is current."""
        tag = etag(answer.digest, self.version) if answer.digest else etag_of(body, self.version)
        entry = CachedAnswer(self.content_type(answer), body, tag)
        state = service(self.request)
        if self.version == state.version:
            state.cache.put(self.key, entry)
        _metric("inc", "hilfenetz_sparql_queries_total", form=self.form or "unknown")
        return entry

    def __call__(self, answer: QueryAnswer) -> Response:
        if not answer.ok:
            return _failure(answer, self.form)
        return _answer(self.request, self.entry(answer, answer.body))


#: True in the task of a request whose streamed answer this module cut off on purpose.
_CUT_ON_PURPOSE: contextvars.ContextVar[bool] = contextvars.ContextVar("hilfenetz_cut_on_purpose", default=False)


class _CutStreamFilter(logging.Filter):
    """Drops uvicorn's "ASGI callable returned without completing response." for a streamed
    answer cut off on purpose (StreamedAnswer): ending without the last chunk is how the cut is
    made, and it is logged once already, as a warning that says why. Every other occurrence of
    that message (a real fault of some handler) still goes through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUT_ON_PURPOSE.get() and record.msg == "ASGI callable returned without completing response.")


logging.getLogger("uvicorn.error").addFilter(_CutStreamFilter())


class StreamedAnswer(Response):
    """A SELECT answered by a worker that may send its answer in parts (QueryJob.stream_after).

    Why: a large answer then leaves the server while the query still runs, as the Rust servers
    stream theirs, instead of being sent only once the worker has finished, moved it to this
    process in one piece and the event loop has got round to it. An answer that fits in one
    part (most) is answered exactly as before: ETag, 304, errors with their status codes. Once
    a part has gone out, the status line (200) has too; should the query then pass its
    deadline or a result limit, the connection is closed without the final chunk of the
    chunked body, so that no client can take the part for the whole answer (logged, and
    counted in `hilfenetz_sparql_streams_total{result="cut"}`)."""

    def __init__(self, request: Request, job: QueryJob, finish: _Finisher, *, started: float, limit: float) -> None:
        self.request = request
        self.job = job
        self.finish = finish
        self.started = started
        self.limit = limit
        self.status_code = 200
        self.background = None
        self.body = b""
        self.raw_headers = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        state = service(self.request)
        keep_max = state.cache.entry_max_bytes if state.cache.enabled else 0
        kept: list[bytes] | None = [] if keep_max else None
        kept_bytes = 0
        opened = False

        async def on_part(data: bytes) -> None:
            nonlocal opened, kept, kept_bytes
            if not opened:
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-type", self.finish.content_type().encode("latin-1")), *ANSWER_HEADERS]})
                opened = True
            await send({"type": "http.response.body", "body": data, "more_body": True})
            if await self.request.is_disconnected():  # the server drops what is sent to a gone client
                raise ClientGone()
            if kept is not None:
                kept_bytes += len(data)
                kept = kept if kept_bytes <= keep_max else None
                if kept is not None:
                    kept.append(data)

        outcome = await run_in_pool(self.request, self.job, started=self.started, limit=self.limit,
                                    form=self.finish.form, on_part=on_part)
        if not opened:  # it all came in one piece (or not at all): the usual answer
            response = outcome if isinstance(outcome, Response) else self.finish(outcome)
            await response(scope, receive, send)
            return
        if isinstance(outcome, QueryAnswer) and outcome.ok:
            await send({"type": "http.response.body", "body": outcome.body, "more_body": False})
            _metric("inc", "hilfenetz_sparql_streams_total", result="complete")
            if kept is not None and kept_bytes + len(outcome.body) <= keep_max:
                self.finish.entry(outcome, b"".join(kept) + outcome.body)
            else:
                _metric("inc", "hilfenetz_sparql_queries_total", form=self.finish.form or "unknown")
            return
        # the status line has gone out: nothing can be said in HTTP terms any more
        if isinstance(outcome, Response) and outcome.status_code == 499:
            _metric("inc", "hilfenetz_sparql_streams_total", result="client_gone")
            log.info("the client left during a streamed answer; its query was stopped")
            return
        reason = outcome.kind if isinstance(outcome, QueryAnswer) else f"HTTP {outcome.status_code}"
        _metric("inc", "hilfenetz_sparql_streams_total", result="cut")
        log.warning("a streamed answer was cut off after its first part (%s); the connection is closed", reason)
        # returning without the last body message makes the server close the connection (and
        # log an error about it, which _CutStreamFilter drops for this request's task)
        _CUT_ON_PURPOSE.set(True)


async def run_in_pool(
    request: Request, job: QueryJob, *, started: float, limit: float, form: str | None = None,
    on_part: Callable[[bytes], Awaitable[None]] | None = None,
) -> QueryAnswer | Response:
    """Run a job in the worker pool under the deadline `started + limit` (time.monotonic()).

    The answer, or the response for a query that did not finish: 503 at the deadline or when
    the worker died, 499 when the client went away. Shared by /sparql and the named queries,
    so both are cut at the same deadline with the same message."""
    state = service(request)
    try:
        return await state.pool.run(
            job,
            deadline=started + limit,
            limit=limit,
            queue_timeout=state.settings.queue_timeout,
            is_disconnected=request.is_disconnected,
            on_part=on_part,
        )
    except QueryTimeout as exc:
        _metric("inc", "hilfenetz_sparql_timeouts_total", stage="queue" if exc.queued else "running")
        return timeout_response(exc)
    except WorkerCrashed as exc:
        _metric("inc", "hilfenetz_sparql_worker_crashes_total")
        mem = state.pool.memory_limit
        limit_txt = f" of {mem // (1024 * 1024)} MB per query worker" if mem else ""
        return error(503, f"The query worker failed ({exc}); the query probably exceeded the memory limit{limit_txt}.",
                     "Der Abfrage-Worker ist ausgefallen; die Abfrage hat vermutlich das Speicherlimit"
                     f"{limit_txt and ' (' + str(mem // (1024 * 1024)) + ' MB)'} überschritten.")
    except ClientGone:
        return Response(status_code=499)
    finally:
        _metric("observe", "hilfenetz_sparql_query_duration_seconds", time.monotonic() - started,
                form=form or "unknown")


def timeout_response(exc: QueryTimeout) -> Response:
    limit = f"{exc.limit:g}"
    if exc.queued:
        return error(
            503,
            f"Query exceeded the time limit of {limit} s while waiting for a free worker (server busy); try again.",
            f"Zeitlimit von {limit} s überschritten, während die Abfrage auf einen freien Worker wartete; "
            "bitte erneut versuchen.",
            headers={"Retry-After": "2"},
        )
    return error(
        503,
        f"Query exceeded the time limit of {limit} s and was stopped.",
        f"Zeitlimit von {limit} s überschritten; die Abfrage wurde abgebrochen.",
        headers={"Retry-After": "1"},
    )


# ------------------------------------------------------------------------------------------
# 5. the answer


def failure_response(answer: QueryAnswer, form: str | None = None) -> Response:
    """The HTTP answer to a worker's error reply (syntax 400, limits 413, store 503, …)."""
    return _failure(answer, form)


#: Headers of every query answer, whole or streamed (the ETag and the type come with the answer).
ANSWER_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"vary", b"Accept"),
    (b"cache-control", b"public, max-age=0, must-revalidate"),
)


class AnswerResponse(Response):
    """A query answer (200, HEAD or 304) with its headers as raw bytes, built directly.

    Why not a plain Response: its constructor normalises every header through Starlette's
    header machinery, a measurable part of a point lookup; these headers are always the same
    few, in the form the protocol layer expects (lower-case names, latin-1 values)."""

    def __init__(self, entry: CachedAnswer, *, head: bool = False, not_modified: bool = False) -> None:
        self.status_code = 304 if not_modified else 200
        self.background = None
        self.body = b"" if head or not_modified else entry.body
        raw = [(b"etag", entry.etag.encode("latin-1")), *ANSWER_HEADERS]
        if not not_modified:  # HEAD: the headers a GET would have, Content-Length included
            raw.append((b"content-type", entry.content_type.encode("latin-1")))
            raw.append((b"content-length", str(len(entry.body)).encode("latin-1")))
        self.raw_headers = raw


def _answer(request: Request, entry: CachedAnswer) -> Response:
    scope = request.scope
    if not_modified(scope, entry.etag):
        return AnswerResponse(entry, not_modified=True)
    return AnswerResponse(entry, head=scope["method"] == "HEAD")


def _failure(answer: Any, form: str | None) -> Response:
    kind = answer.kind
    if kind == "not_acceptable":
        offers = RESULT_FORMATS if answer.message in ("SELECT", "ASK") else GRAPH_FORMATS
        text = f"No acceptable format for these results; available: {describe_offers(offers)}."
        return error_response(NotAcceptable(text))
    if kind in ("too_many_rows", "too_many_bytes"):
        _metric("inc", "hilfenetz_sparql_limit_total", limit=kind)
    return error_response(answer.error())


# ------------------------------------------------------------------------------------------
# updates


_UPDATE_WHAT = Msg("SPARQL Update", "SPARQL Update")


async def run_update(request: Request, text: str, params: Params) -> Response:
    """Apply one SPARQL Update (only with a write token), validated before commit."""
    state = service(request)
    settings = state.settings
    if not settings.writable:
        return error(
            405,
            "SPARQL Update is not enabled on this server (read-only).",
            "SPARQL Update ist auf diesem Server nicht aktiviert (nur lesend).",
            headers={"Allow": "GET, HEAD, POST"},
        )
    try:
        require(request, tokens(state), admin_only(_UPDATE_WHAT))
    except KgError as exc:
        return error_response(exc)
    if not text.strip():
        return error(400, "The update is empty.", "Das Update ist leer.")
    deep = await nesting_refusal(text, "update")
    if deep is not None:
        return deep
    using = params.all("using-graph-uri")
    using_named = params.all("using-named-graph-uri")
    bad = [g for g in using + using_named if not valid_iri(g)]
    if bad:
        return error(400, f"Not a valid graph IRI: {bad[0]!r}.", f"Keine gültige Graph-IRI: {bad[0]!r}.")
    if (using or using_named) and sparql_text.has_update_dataset_clause(text):
        return error(
            400,
            "using-graph-uri/using-named-graph-uri cannot be combined with USING or WITH in the update.",
            "using-graph-uri/using-named-graph-uri dürfen nicht mit USING oder WITH im Update kombiniert werden.",
        )
    forbidden = forbidden_response(text, settings.service_allow)
    if forbidden is not None:
        return forbidden
    update = sparql_text.inject_using(text, using, using_named)

    def work() -> Any:
        with state.write_lock:
            return apply_update(state, update, base_iri=settings.endpoint_url(), validate=settings.validate_writes,
                                meta=ChangeMeta(actor=actor(request), action="update"))

    # the update is parsed in this process: on a parser-sized stack (see nesting_refusal)
    outcome = await asyncio.get_running_loop().run_in_executor(None, run_with_parser_stack, work)
    return write_outcome_response(request, outcome)


def write_outcome_response(request: Request, outcome: Any, success: Response | None = None) -> Response:
    """Map a WriteOutcome to HTTP: 2xx, 400 syntax, 422 with the validation report, 507 full disk."""
    if outcome.ok:
        _metric("inc", "hilfenetz_writes_total", result="ok")
        return success or PlainTextResponse("OK\n", status_code=200)
    _metric("inc", "hilfenetz_writes_total", result=outcome.kind)
    return error_response(outcome.error(), request.headers.get("accept", ""))


# ------------------------------------------------------------------------------------------
# the fast lane


class _Route:
    """What the access log and the metrics read from `scope["route"]` (the route template)."""

    path = "/sparql"


class SparqlLane:
    """Plain ASGI: GET, HEAD and POST on `/sparql` go straight to their handlers above.

    Why: the endpoint is the hot path of the service, and FastAPI's routing, dependency
    solving and exception wrappers cost about a fifth of the server's CPU per point lookup
    (py-spy, 2026-11-22). The lane sits inside the service's own middlewares (limits, security
    headers, CORS, metrics, access log), so every request still passes them; only the router is
    skipped. The routes stay registered, for the OpenAPI description and for other methods."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/sparql":
            method = scope["method"]
            if method in ("GET", "HEAD", "POST"):
                scope["route"] = _Route
                request = Request(scope, receive, send)
                handler = sparql_post if method == "POST" else sparql_get
                response = await handler(request)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_lane(app: Any) -> None:
    """Add the lane; call before the other middlewares, so it is the innermost one."""
    app.add_middleware(SparqlLane)
