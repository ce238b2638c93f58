"""Contributions over HTTP: `/api/contributions` (JSON API) and the pages `/beitragen`,
`/beitragen/pruefen` (only on a server with writes enabled).

* `POST /api/contributions` (multipart: `file`, `kind`, `graph`, `source_title`, `source_url`,
  `source_publisher`, `source_date`, `comment`; `check=1` only checks and keeps nothing): a
  contributor token (scope `contribute:PATTERN`) for a graph its pattern covers. The upload is
  parsed and validated against the live store plus the change (a dry run of the write path);
  the answer is the report with rows and cells, the change in words and its HTML. A valid
  submission is kept as `pending` (201), one with errors as `invalid` with its report (422);
  nothing reaches the store either way (kg.graph.contributions: where and why).
* `GET /api/contributions?status=…`, `GET /api/contributions/{id}`: a reviewer sees every
  submission, a contributor its own.
* `POST /api/contributions/{id}/approve|reject` (`comment`): review scope. Approval commits the
  pending graph and its inferences in one transaction through the write path; 409 if the
  submission is not pending (any more): a replay, or another reviewer was first.

CSRF: every call needs the token in the `Authorization` header, which a browser never adds on its
own (there is no cookie) and which CORS refuses to pages of other origins (kg.web.cors); a
cross-site form post therefore arrives without it and gets 401.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.parser
import email.policy
import importlib
import json
import logging
import tempfile
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from kg.errors import BadRequest, BodyTooLarge, ContributionRefused, Forbidden, KgError, NotFound, UnsupportedMediaType
from kg.graph import write
from kg.graph.changes import ChangeMeta
from kg.graph.contributions import (
    RDF_EXTENSIONS,
    SPREADSHEET_EXTENSIONS,
    STATUSES,
    Checked,
    Contributions,
    Problem,
    Record,
    SourceInfo,
    describe_change,
    parse_rdf,
    problems_from_report,
    replace_graph_update,
)
from kg.i18n import Msg
from kg.rdf import RDF_TYPE
from kg.web.auth import Principal, authenticate, contributor, graph_refusal, require, reviewer_only, tokens
from kg.web.http import error_response, media_type, read_body
from kg.web.render import contribute as render
from kg.web.render.pages import BUILTIN_LABELS
from kg.web.routes.linkeddata import page_context
from kg.web.state import service

log = logging.getLogger("hilfenetz.contributions")

#: labels of the RDF terms a change shows that the ontology does not label (rdf:type, rdfs:label, …)
_TERM_LABELS = {**BUILTIN_LABELS, RDF_TYPE: Msg("Typ", "type")}
#: Multipart framing around the file: the body may exceed the file limit by this much.
_FORM_OVERHEAD = 64 * 1024
#: The kinds the form offers before the spreadsheet importer is there: RDF only.
RDF_KIND = ("rdf", "RDF (Turtle, TriG, N-Triples)")


def contributions_of(state: Any) -> Contributions:
    """The app's submissions directory (made on first use, crash leftovers reconciled)."""
    found = getattr(state, "contributions", None)
    if isinstance(found, Contributions):
        return found
    c = Contributions.for_store(state.settings.store_path, getattr(state.settings, "contributions_dir", None))
    c.reconcile(state.store)
    state.contributions = c
    return c


# ------------------------------------------------------------------------------- the form


def parse_form(body: bytes, content_type: str | None) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name -> (file name or None, bytes)."""
    mtype, _ = media_type(content_type)
    if mtype != "multipart/form-data":
        raise UnsupportedMediaType("Send the contribution as multipart/form-data (a file and its fields).",
                                   de="Den Beitrag als multipart/form-data senden (Datei und Felder).")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not msg.is_multipart():
        raise BadRequest("Malformed multipart/form-data body.", de="Fehlerhafter multipart/form-data-Body.")
    out: dict[str, tuple[str | None, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            out[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return out


def _text(form: dict[str, tuple[str | None, bytes]], name: str, limit: int = 2000) -> str:
    value = form.get(name, (None, b""))[1].decode("utf-8", errors="replace").strip()
    if len(value) > limit:
        raise BadRequest(f"The field {name!r} is longer than {limit} characters.",
                         de=f"Das Feld {name!r} ist länger als {limit} Zeichen.")
    return value


# ------------------------------------------------------------------------------- checking


def _importer() -> Any | None:
    """The spreadsheet importer (kg.graph.tabular.importer), imported when first needed: it loads
    openpyxl and the template kinds, which a read-only server never uses."""
    try:
        return importlib.import_module("kg.graph.tabular.importer")
    except ImportError:  # a build without the spreadsheet import
        return None


def check_upload(state: Any, graph: str, kind: str, filename: str, data: bytes, source: SourceInfo,
                 submitter: str = "") -> Checked:
    """Parse the upload and check the new content of `graph` against the store: syntax errors
    and SHACL violations become problems (with rows and cells where the file has them)."""
    ext = Path(filename).suffix.lower()
    if ext in SPREADSHEET_EXTENSIONS:
        return _check_spreadsheet(state, graph, kind, filename, data, source, submitter)
    if ext not in RDF_EXTENSIONS:
        parse_rdf(data, filename, graph)  # raises the 415 naming the accepted formats
    try:
        triples = parse_rdf(data, filename, graph)
    except BadRequest as exc:
        line = _line_of(str(exc), filename)
        return Checked([], [Problem(exc.de or str(exc), str(exc), row=line)])
    return Checked(triples, dry_run(state, graph, triples))


def _line_of(message: str, filename: str) -> int | None:
    head = message.split(": ", 1)[0]
    parts = head[len(filename):].split(":") if head.startswith(filename) else []
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def template_kinds() -> list[str]:
    """The spreadsheet template kinds (offers, organisations, …), none without the importer."""
    if _importer() is None:
        return []
    return list(importlib.import_module("kg.graph.tabular.templates").KINDS)


def _resolver(state: Any) -> Any:
    """The importer's reference index of the store, kept per store version: building it reads the
    250,000 reference triples (seconds on the real graph), the same for every check until a write."""
    cached = getattr(state, "contribution_resolver", None)
    if cached is not None and cached[0] == state.version:
        return cached[1]
    resolver = importlib.import_module("kg.graph.tabular.resolve").Resolver(state.store)
    state.contribution_resolver = (state.version, resolver)
    return resolver


def _check_spreadsheet(state: Any, graph: str, kind: str, filename: str, data: bytes,
                       source: SourceInfo, submitter: str) -> Checked:
    """A filled template through the importer's plan (parse, resolve, map, validate against the
    whole graph; writes nothing). The pending graph is the target graph's current content with
    the plan applied, so approval and review treat every upload alike."""
    mod = _importer()
    if mod is None:
        raise UnsupportedMediaType(
            "Spreadsheet templates are not read by this server version; upload Turtle or TriG.",
            de="Tabellenvorlagen liest diese Server-Version nicht; bitte Turtle oder TriG hochladen.")
    kinds = template_kinds()
    if kind not in kinds:
        raise BadRequest(f"A spreadsheet needs its template kind (kind= one of {', '.join(kinds)}), not {kind!r}.",
                         de=f"Eine Tabelle braucht ihre Vorlagenart (kind= eine von {', '.join(kinds)}), "
                            f"nicht {kind!r}.")
    date = None
    if source.date:
        try:
            date = dt.date.fromisoformat(source.date)
        except ValueError:
            raise BadRequest(f"The source date {source.date!r} is not a date (YYYY-MM-DD).",
                             de=f"Das Quellendatum {source.date!r} ist kein Datum (JJJJ-MM-TT).") from None
    meta = mod.SourceMeta(title=source.title or Path(filename).stem, publisher=source.publisher or submitter,
                          date=date)
    with tempfile.TemporaryDirectory(prefix="kg-upload-") as tmp:
        path = Path(tmp) / Path(filename).name
        path.write_bytes(data)
        try:
            plan = mod.plan_import(state.store, path, kind, meta, graph=graph, resolver=_resolver(state))
        except KgError:
            raise
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, UnicodeDecodeError) as exc:
            # openpyxl's errors for a file that is not a workbook (a renamed PDF, a broken download)
            return Checked([], [Problem(
                f"{filename}: keine lesbare Tabelle (.xlsx) – bitte die Vorlage verwenden ({type(exc).__name__}).",
                f"{filename}: not a readable spreadsheet (.xlsx) – please use the template ({type(exc).__name__}).")])
    log.info("contribution check (%s, %s): %s", kind, filename, {k: round(v, 3) for k, v in plan.timings.items()})
    problems = [Problem(p.message.de, p.message.en, severity=str(p.severity), row=p.row, column=p.column,
                        letter=p.letter, candidates=[str(c) for c in (p.candidates or [])]) for p in plan.problems]
    g = ox.NamedNode(graph)
    current = {q for q in state.store.quads_for_pattern(None, None, None, g)}
    content = (current - {q for q in plan.removed_quads if q.graph_name == g}) | \
        {q for q in plan.quads if q.graph_name == g}
    triples = sorted((ox.Triple(q.subject, q.predicate, q.object) for q in content), key=str)
    return Checked(triples, problems)


def dry_run(state: Any, graph: str, triples: list[ox.Triple]) -> list[Problem]:
    """Validate `graph` := `triples` against the live store without writing to it: a staging
    checkpoint, the change applied there, the write path's incremental validation."""
    import shutil

    store = state.store
    root = state.snapshot_root or Path(tempfile.gettempdir())
    staging_dir = Path(tempfile.mkdtemp(prefix=".contribution-check-", dir=str(root)))
    try:
        store.flush()
        store.backup(str(staging_dir / "store"))
        staging = ox.Store(str(staging_dir / "store"))
        staging.update(replace_graph_update(graph, triples))
        diff = write.diff_stores(store, staging, [graph])
        if diff.empty():
            return []
        ok, _ttl, report_json, _text, _full = write.validate_change(store, staging, diff)
        del staging
        return [] if ok else problems_from_report(report_json)
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)


def commit_contribution(state: Any, record: Record, triples: list[ox.Triple], actor: str) -> str | None:
    """Make the target graph the pending graph through the write path (validated, with its
    inferences and its change record, one transaction); raises the write's error if refused.
    Returns the id of the recorded change (None if the graph already held exactly this)."""
    meta = ChangeMeta(actor=actor, action="contribution", source=record.pending_graph,
                      comment=record.decision_comment)
    g = ox.NamedNode(record.graph)
    validate = state.settings.validate_writes
    with state.write_lock:
        current = set(state.store.quads_for_pattern(None, None, None, g))
        new = {ox.Quad(t.subject, t.predicate, t.object, g) for t in triples}
        if any(isinstance(x, ox.BlankNode) for q in (*current, *new) for x in (q.subject, q.object)):
            # blank nodes get new identities with every parse: the graph is replaced by an update
            outcome = write.apply_update(state, replace_graph_update(record.graph, triples), base_iri=None,
                                         validate=validate, graphs=[record.graph], meta=meta)
        else:  # the exact difference, through the write path's fast lane for known quads
            outcome = write.apply_change(state, sorted(new - current, key=str), sorted(current - new, key=str),
                                         validate=validate, meta=meta)
    if not outcome.ok:
        err = outcome.error()
        if outcome.kind == "violation":
            raise ContributionRefused(
                "The approval was refused: the contribution no longer validates against the current graph; it stays "
                f"pending.\n{outcome.report_text}",
                de="Die Freigabe wurde abgelehnt: der Beitrag ist gegen den aktuellen Stand nicht mehr gültig; er "
                   "bleibt offen.")
        raise err
    return outcome.change_id


def keep_approved(state: Any, record: Record, upload: Path, change_id: str | None, actor: str) -> dict[str, Any]:
    """Keep an approved contribution under the project's data/contributions/ (kg.graph.kept) so
    that `kg build` rebuilds it: the uploaded file, its kind and graph, the source as the importer
    used it, who submitted and who approved it, and the change id.

    Why a failure warns and does not refuse: the reviewer's decision is made and committed (the
    store and its change history hold the contribution, and the submission directory keeps the
    file); refusing after the commit could not undo it, and refusing every approval up front would
    make a deployment from a read-only checkout (the usual container image) unable to accept
    contributions at all. So the approval stands, and the log (WARNING) and the API answer
    (`kept_for_build.kept` false with a German and English reason) say that `kg build` will not
    rebuild it — and `kg build` itself names such changes when it replaces them."""
    from kg.graph import kept as keeping

    root = getattr(state.settings, "project_root", None)
    ext = Path(record.filename).suffix.lower()
    if record.kind != "rdf" and ext in SPREADSHEET_EXTENSIONS:
        fmt = "spreadsheet"
        mod = _importer()
        title = record.source.title or Path(record.filename).stem
        publisher = record.source.publisher or record.submitter
        tool = mod.TOOL if mod is not None else keeping.TOOL
    else:
        fmt, title, publisher, tool = "rdf", record.source.title, record.source.publisher, keeping.TOOL
    source = {"title": title, "publisher": publisher, "licence": None, "date": record.source.date or None,
              "url": record.source.url or None, "comment": record.source.comment or None}
    try:
        if root is None:
            raise OSError("the server has no project root (setting project_root: kg serve --project, or its "
                          "environment variable)")
        path = keeping.keep(Path(root), upload.read_bytes(), format=fmt, kind=record.kind if fmt != "rdf" else "rdf",
                            graph=record.graph, original_file_name=record.filename, suffix=ext, source=source,
                            approved_by=actor, via="web", change_id=change_id, submitted_by=record.submitter,
                            tool_version=tool)
    except OSError as exc:
        msg = keeping.not_kept_message(str(exc), Path(root) if root else None)
        log.warning("contribution %s approved but not kept: %s", record.id, msg.en)
        return {"kept": False, "path": None, "de": msg.de, "en": msg.en}
    log.info("contribution %s approved and kept as %s", record.id, path)
    return {"kept": True, "path": str(path), "de": None, "en": None}


# ------------------------------------------------------------------------------- answers


def _lang(request: Request) -> str:
    q = request.query_params.get("lang", "")
    return q if q in ("de", "en") else "de"


def _payload(state: Any, record: Record, request: Request, *, review: bool,
             triples: list[ox.Triple] | None = None) -> dict[str, Any]:
    """The record as JSON with the change against the current graph and its HTML."""
    vocab = state.linked_data.vocab.get(state.store, state.version)
    lang = _lang(request)
    if triples is None:
        triples = contributions_of(state).pending_triples(record.id) if record.status != "invalid" else []

    def label_of(iri: str) -> str | None:
        found = vocab.label(iri, lang)
        if found is None and iri in _TERM_LABELS:
            return _TERM_LABELS[iri].text(lang)
        return found

    changes = [asdict(c) for c in describe_change(state.store, record.graph, triples, label_of)]
    out = record.to_json()
    out["changes"] = changes
    out["html"] = render.submission_html(out, changes, lang, review=review)
    return out


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


async def _run(fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


# ------------------------------------------------------------------------------- handlers


async def submit(request: Request) -> Response:
    """POST /api/contributions: check an upload; keep it (pending or invalid) unless `check=1`."""
    state = service(request)
    try:
        principal = require(request, tokens(state), contributor)
        limit = int(getattr(state.settings, "max_upload_bytes", 8 * 1024 * 1024))
        body = await read_body(request, limit + _FORM_OVERHEAD)
        form = parse_form(body, request.headers.get("content-type"))
        filename, data = form.get("file", (None, b""))
        if not filename:
            raise BadRequest("The form has no file (field `file`).",
                             de="Das Formular enthält keine Datei (Feld `file`).")
        if len(data) > limit:
            raise BodyTooLarge(limit)
        graph = _text(form, "graph") or principal.default_graph() or ""
        refusal = graph_refusal(principal, graph)
        if refusal is not None:
            raise Forbidden(refusal.en, de=refusal.de)
        kind = _text(form, "kind") or RDF_KIND[0]
        source = SourceInfo(_text(form, "source_title"), _text(form, "source_url"), _text(form, "source_publisher"),
                            _text(form, "source_date"), _text(form, "comment"))
        only_check = _text(form, "check") in ("1", "true") or request.query_params.get("check") in ("1", "true")
        checked = await _run(check_upload, state, graph, kind, Path(filename).name, data, source,
                             principal.name)
        store = contributions_of(state)
        record = Record(id=store.new_id(), status="pending" if checked.ok else "invalid", submitter=principal.name,
                        graph=graph, kind=kind, filename=Path(filename).name, created=_now(), source=source,
                        problems=checked.problems)
        if only_check:
            record.status = "checked"
        payload = await _run(lambda: _payload(state, record, request, review=False, triples=checked.triples))
        record.counts = payload["counts"] = counts_of(payload["changes"])
        if only_check:
            payload["id"], payload["kept"] = None, False
            return _json(payload, 200)
        await _run(store.create, record, data, checked.triples if checked.ok else [])
        payload["kept"] = True
        location = f"{request.scope.get('root_path', '')}/api/contributions/{record.id}"
        return _json(payload, 201 if checked.ok else 422, {"Location": location})
    except KgError as exc:
        return error_response(exc)


def counts_of(changes: list[dict[str, Any]]) -> dict[str, int]:
    return {"resources": len(changes), "added": sum(len(c["added"]) for c in changes),
            "changed": sum(len(c["changed"]) for c in changes), "removed": sum(len(c["removed"]) for c in changes)}


def _now() -> str:
    from kg.graph.contributions import now

    return now()


def _may_see(principal: Principal, record: Record) -> bool:
    return principal.reviewer or record.submitter == principal.name


async def list_contributions(request: Request) -> Response:
    """GET /api/contributions?status=…: a reviewer's view of all, a contributor's of its own."""
    state = service(request)
    try:
        principal = authenticate(request, tokens(state))
        status = request.query_params.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}.",
                             de=f"status muss einer von {', '.join(STATUSES)} sein.")
        records = contributions_of(state).records(status, None if principal.reviewer else principal.name)
        return _json({"contributions": [r.to_json() for r in records]})
    except KgError as exc:
        return error_response(exc)


async def get_contribution(request: Request) -> Response:
    """GET /api/contributions/{id}: the record, its report and its change against the current graph."""
    state = service(request)
    try:
        principal = authenticate(request, tokens(state))
        record = contributions_of(state).get(request.path_params["cid"])
        if not _may_see(principal, record):
            raise Forbidden("This contribution belongs to another contributor.",
                            de="Dieser Beitrag gehört jemand anderem.")
        payload = await _run(lambda: _payload(state, record, request, review=principal.reviewer))
        return _json(payload)
    except KgError as exc:
        return error_response(exc)


async def _comment(request: Request) -> str:
    body = await read_body(request, 64 * 1024)
    mtype, _ = media_type(request.headers.get("content-type"))
    text = ""
    if mtype == "application/json" and body:
        try:
            data = json.loads(body)
        except ValueError:
            raise BadRequest("The body is not JSON.", de="Der Body ist kein JSON.") from None
        text = str(data.get("comment", "")) if isinstance(data, dict) else ""
    elif mtype == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qs

        text = parse_qs(body.decode("utf-8", errors="replace")).get("comment", [""])[0]
    elif body:
        raise UnsupportedMediaType("Send the comment as JSON ({\"comment\": …}) or a form.",
                                   de="Den Kommentar als JSON ({\"comment\": …}) oder Formular senden.")
    if len(text) > 4000:
        raise BadRequest("The comment is longer than 4000 characters.", de="Der Kommentar ist länger als 4000 Zeichen.")
    return text.strip()


async def _decide(request: Request, approve: bool) -> Response:
    state = service(request)
    try:
        principal = require(request, tokens(state), reviewer_only)
        comment = await _comment(request)
        if not approve and not comment:
            raise BadRequest("A rejection needs a comment (the reason).", de="Eine Ablehnung braucht einen Kommentar.")
        store = contributions_of(state)
        cid = request.path_params["cid"]

        kept: dict[str, Any] = {}

        def commit(record: Record, triples: list[ox.Triple]) -> None:
            record.decision_comment = comment
            change_id = commit_contribution(state, record, triples, principal.name)
            kept.update(keep_approved(state, record, store.upload_path(record), change_id, principal.name))
            record.kept_for_build = dict(kept)

        record = await _run(store.decide, cid, principal.name, comment, approve, commit)
        payload = await _run(lambda: _payload(state, record, request, review=True))
        return _json(payload)
    except KgError as exc:
        return error_response(exc)


async def approve(request: Request) -> Response:
    """POST /api/contributions/{id}/approve."""
    return await _decide(request, True)


async def reject(request: Request) -> Response:
    """POST /api/contributions/{id}/reject."""
    return await _decide(request, False)


# ------------------------------------------------------------------------------- pages

_PAGE_HEADERS = {"Cache-Control": "no-cache"}


def kinds() -> list[tuple[str, str]]:
    """The kinds the form offers: the template kinds (German and English name), and RDF."""
    found: list[tuple[str, str]] = []
    if template_kinds():
        defs = importlib.import_module("kg.graph.tabular.templates").KINDS
        found = [(k, f"{d.de} / {d.en}") for k, d in defs.items()]
    return [*found, RDF_KIND]


async def contribute_page(request: Request) -> Response:
    """GET /beitragen: the submit page (the token is typed in; the script sends it in a header)."""
    state = service(request)
    ctx = page_context(request, state)
    links = [(f"{ctx.root}/beitragen/vorlage/{k}.xlsx", f"{label} (.xlsx)") for k, label in kinds()
             if k != RDF_KIND[0]]
    return HTMLResponse(render.contribute_page(ctx, kinds(), links), headers=_PAGE_HEADERS)


async def template(request: Request) -> Response:
    """GET /beitragen/vorlage/{kind}.xlsx: the empty template of a kind, as `kg template` writes it
    (generated from the shapes in the store, with an example row from the data)."""
    state = service(request)
    kind = request.path_params["kind"]
    if kind not in template_kinds():
        return error_response(NotFound(f"No template kind {kind!r}.", de=f"Keine Vorlagenart {kind!r}."))
    lang = _lang(request)

    def make() -> bytes:
        # kg.graph.tabular.sheets.write_template's steps, with the reference index kept per store
        # version (_resolver): building it took 13 s of a 14 s template on the real graph
        key = (kind, lang, state.version)
        cached = getattr(state, "contribution_template", None)
        if cached is not None and cached[0] == key:
            return bytes(cached[1])
        sheets = importlib.import_module("kg.graph.tabular.sheets")
        k = importlib.import_module("kg.graph.tabular.templates").kind(state.store, kind)
        sample = sheets.example(state.store, k, _resolver(state))
        with tempfile.TemporaryDirectory(prefix="kg-template-") as tmp:
            out = Path(tmp) / f"{kind}-vorlage.xlsx"
            sheets.write_sheet(out, k, [], fmt="xlsx", lang=lang, sample=sample)
            body = out.read_bytes()
        state.contribution_template = (key, body)
        return body

    try:
        body = await _run(make)
    except KgError as exc:
        return error_response(exc)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{kind}-vorlage.xlsx"',
                             "Cache-Control": "no-cache"})


async def review_page(request: Request) -> Response:
    """GET /beitragen/pruefen: the review page."""
    state = service(request)
    return HTMLResponse(render.review_page(page_context(request, state)), headers=_PAGE_HEADERS)


# ------------------------------------------------------------------------------- OpenAPI

_ERR = {"401": {"description": "no token, or one nobody issued / kein oder unbekanntes Token"},
        "403": {"description": "the token lacks the scope or the graph / Scope oder Graph fehlt"}}
SUBMIT_DOC: dict[str, Any] = {
    "tags": ["contributions"],
    "summary": "Submit (or only check) a contribution / Beitrag einreichen oder prüfen",
    "description": "Multipart upload of a filled template (.xlsx) or Turtle/TriG with its kind, target graph "
                   "and source. Needs a token with a `contribute:PATTERN` scope covering the graph. The answer "
                   "is the validation report (rows and cells), the change in words and its HTML. `check=1` keeps "
                   "nothing; otherwise a valid file is kept as `pending` (201), one with errors as `invalid` "
                   "(422). Nothing is written to the store before a reviewer approves.",
    "openapi_extra": {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}, "kind": {"type": "string"},
            "graph": {"type": "string", "format": "iri"}, "source_title": {"type": "string"},
            "source_url": {"type": "string"}, "source_publisher": {"type": "string"},
            "source_date": {"type": "string"}, "comment": {"type": "string"},
            "check": {"type": "string", "enum": ["0", "1"]}}}}}}},
    "responses": {"200": {"description": "checked, nothing kept"}, "201": {"description": "kept as pending"},
                  "413": {"description": "file over the upload limit"},
                  "415": {"description": "not a file this upload reads"},
                  "422": {"description": "kept as invalid, with its report"}, **_ERR},
}
LIST_DOC: dict[str, Any] = {
    "tags": ["contributions"], "summary": "List contributions / Beiträge auflisten",
    "description": "Newest first; a reviewer sees all, a contributor its own.",
    "openapi_extra": {"parameters": [{"name": "status", "in": "query", "required": False,
                                      "schema": {"type": "string", "enum": list(STATUSES)}}]},
    "responses": {"200": {"description": "the contributions"}, **_ERR},
}
GET_DOC: dict[str, Any] = {
    "tags": ["contributions"], "summary": "One contribution with its report and change / Ein Beitrag",
    "responses": {"200": {"description": "record, report, change (`changes`, `html`)"},
                  "404": {"description": "no such contribution"}, **_ERR},
}
_DECIDE_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"comment": {"type": "string"}}}}}}}
APPROVE_DOC: dict[str, Any] = {
    "tags": ["contributions"], "summary": "Approve a pending contribution / Beitrag freigeben",
    "description": "Review scope. Commits the pending graph and its inferences in one transaction.",
    "openapi_extra": _DECIDE_BODY,
    "responses": {"200": {"description": "approved"}, "409": {"description": "not pending (any more)"},
                  "422": {"description": "no longer valid against the current graph; stays pending"}, **_ERR},
}
REJECT_DOC: dict[str, Any] = {
    "tags": ["contributions"], "summary": "Reject a pending contribution / Beitrag ablehnen",
    "description": "Review scope; the comment (the reason) is required and kept with the submission.",
    "openapi_extra": _DECIDE_BODY,
    "responses": {"200": {"description": "rejected"}, "409": {"description": "not pending (any more)"}, **_ERR},
}

