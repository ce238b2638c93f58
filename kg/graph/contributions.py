"""Contributions: submitted data that waits for review in its own pending graph, then is approved
(committed through the write path) or rejected (kept with the reason).

**Where a submission lives, and why not in the store.** Each submission is a directory
`CONTRIBUTIONS/<id>/` beside the store (setting `contributions_dir`): `record.json` (status, who,
when, the source, the report, the decisions), `pending.nt` (the pending graph: the full new content
of the target graph, N-Triples) and the uploaded file. The pending graph is *not* in the served
store: the union default graph of `/sparql` is pyoxigraph's union of every named graph, and
`GRAPH ?g { … }`, DESCRIBE, the entity pages, search and the network all read the store directly —
a pending graph in the store would leak through each of them unless every reader learned to
exclude it, and an explicit dataset list on every query would also cost the inline fast path.
Kept outside, pending data cannot be served by construction; approval is the one way in.

**Crash safety.** A new submission is written into `.tmp-<id>/` and renamed into place (one
`rename(2)`, atomic on POSIX): a crash leaves either no submission or a whole one (stray `.tmp-*`
directories are removed on open). Every later change of `record.json` is a write to a temporary
file, `fsync`, `os.replace`. Approval marks the record `approving` before the store commit and
`approved` after it; a crash between the two leaves `approving`, which `reconcile` resolves from
the store itself (the target graph equals the pending graph: approved; else back to pending).

**Concurrency.** Status changes take an exclusive `flock` on `CONTRIBUTIONS/.lock` (across
processes) and re-read the record under it: of two reviewers approving at once, the second finds
the status no longer `pending` and gets `Conflict` (409); a replayed approval likewise.

**The change a reviewer sees** (`describe_change`): the pending graph against the target graph's
current content, per resource, with labels: statements added, removed, and changed (same resource
and property, other value).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import BadRequest, Conflict, NotFound, UnsupportedMediaType
from kg.i18n import Msg
from kg.rdf import HNID, RDFS_LABEL, SKOS_PREFLABEL

PENDING_GRAPH_PREFIX = HNID + "graph/pending/"
STATUSES = ("invalid", "pending", "approving", "approved", "rejected")
#: Upload formats by file extension: RDF here, spreadsheets through the importer (kg.graph.tabular)
RDF_EXTENSIONS = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG, ".nt": ox.RdfFormat.N_TRIPLES}
SPREADSHEET_EXTENSIONS = (".xlsx", ".csv")
_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
_LABELS = (ox.NamedNode(RDFS_LABEL), ox.NamedNode(SKOS_PREFLABEL))


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Problem:
    """One finding of the check, where the file has rows and cells: row (1-based, as the
    spreadsheet shows), column name and letter; for RDF uploads the entity and property."""

    message_de: str
    message_en: str
    severity: str = "error"  # error | warning
    row: int | None = None
    column: str | None = None
    letter: str | None = None
    entity: str | None = None
    property: str | None = None
    candidates: list[str] = field(default_factory=list)


@dataclass
class SourceInfo:
    """Where the contributed facts come from (shown to the reviewer, kept with the record)."""

    title: str = ""
    url: str = ""
    publisher: str = ""
    date: str = ""
    comment: str = ""


@dataclass
class Record:
    """What is known of one submission (record.json)."""

    id: str
    status: str
    submitter: str
    graph: str
    kind: str
    filename: str
    created: str
    source: SourceInfo
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    decided_by: str | None = None
    decided_at: str | None = None
    decision_comment: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    #: after approval: whether the file was kept under the project's data/contributions/ for
    #: `kg build` (kg.graph.kept), where, or why not (de, en)
    kept_for_build: dict[str, Any] | None = None

    @property
    def pending_graph(self) -> str:
        return PENDING_GRAPH_PREFIX + self.id

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pending_graph"] = self.pending_graph
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Record:
        d = {k: v for k, v in d.items() if k != "pending_graph"}
        d["source"] = SourceInfo(**d.get("source", {}))
        d["problems"] = [Problem(**p) for p in d.get("problems", [])]
        return cls(**d)


@dataclass
class Checked:
    """A parsed and checked upload: the pending graph's triples and the problems found."""

    triples: list[ox.Triple]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


# ---------------------------------------------------------------------------------- parsing


def parse_rdf(data: bytes, filename: str, base_iri: str) -> list[ox.Triple]:
    """The triples of a Turtle, TriG or N-Triples upload (every graph of a TriG file goes into
    the one target graph); BadRequest naming line and column on a syntax error."""
    ext = Path(filename).suffix.lower()
    fmt = RDF_EXTENSIONS.get(ext)
    if fmt is None:
        raise UnsupportedMediaType(
            f"{filename!r}: not a file this upload reads; use a filled template (.xlsx) or Turtle/TriG (.ttl, .trig).",
            de=f"{filename!r}: dieses Format wird nicht angenommen; eine ausgefüllte Vorlage (.xlsx) oder "
               "Turtle/TriG (.ttl, .trig) hochladen.")
    try:
        return [ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(data, format=fmt, base_iri=base_iri, rename_blank_nodes=True)]
    except SyntaxError as exc:
        where = f"{filename}:{exc.lineno}:{exc.offset}" if getattr(exc, "lineno", None) else filename
        raise BadRequest(f"{where}: RDF syntax error: {exc}", de=f"{where}: RDF-Syntaxfehler: {exc}") from None
    except ValueError as exc:
        raise BadRequest(f"{filename}: RDF could not be read: {exc}",
                         de=f"{filename}: RDF konnte nicht gelesen werden: {exc}") from None


def problems_from_report(report_json: str) -> list[Problem]:
    """The SHACL report of a refused dry run (kg.shacl.report JSON) as problems."""
    out = []
    for r in json.loads(report_json or "{}").get("results", []):
        value = f" ({r['value']})" if r.get("value") else ""
        out.append(Problem(
            message_de=(r.get("message_de") or r.get("rule_de", "")) + value,
            message_en=(r.get("message_en") or r.get("rule_en", "")) + value,
            severity="error" if r.get("severity") == "Violation" else "warning",
            entity=r.get("focus_label") or r.get("focus_node"),
            property=r.get("path_label") or r.get("result_path")))
    return out


def replace_graph_update(graph: str, triples: Iterable[ox.Triple]) -> str:
    """The SPARQL Update that makes `graph` hold exactly `triples` (the write path commits only
    the difference, with the inferences, in one transaction)."""
    lines = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    return f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{lines}\n}} }}"


# ---------------------------------------------------------------------------------- the change


@dataclass
class Statement:
    """One statement of the change, for people: property and value with their labels."""

    property: str
    property_label: str
    value: str
    value_label: str
    is_iri: bool
    old_value: str | None = None  # for a changed statement: the value before
    old_label: str | None = None


@dataclass
class ResourceChange:
    """Everything that changes about one resource."""

    iri: str
    label: str
    new: bool
    added: list[Statement] = field(default_factory=list)
    removed: list[Statement] = field(default_factory=list)
    changed: list[Statement] = field(default_factory=list)


def current_triples(store: Any, graph: str) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))]


def _key(t: ox.Triple) -> str:
    return f"{t.subject} {t.predicate} {t.object}"


def describe_change(store: Any, graph: str, pending: list[ox.Triple],
                    label_of: Callable[[str], str | None]) -> list[ResourceChange]:
    """The pending graph against `graph`'s current content, per resource, with labels (from the
    pending data, then the store, then `label_of`, the vocabulary's labels, then the IRI)."""
    before = {_key(t): t for t in current_triples(store, graph)}
    after = {_key(t): t for t in pending}
    added = [after[k] for k in sorted(after.keys() - before.keys())]
    removed = [before[k] for k in sorted(before.keys() - after.keys())]
    labels: dict[str, str] = {}
    for t in pending:
        if t.predicate in _LABELS and isinstance(t.object, ox.Literal) and isinstance(t.subject, ox.NamedNode) \
                and (t.object.language in ("de", "", None) or t.subject.value not in labels):
            labels[t.subject.value] = t.object.value

    def name(term: Any) -> str:
        if isinstance(term, ox.Literal):
            return term.value
        if not isinstance(term, ox.NamedNode):
            return str(term)
        iri = term.value
        if iri not in labels:
            found = label_of(iri)
            if found is None:
                for p in _LABELS:
                    q = next(iter(store.quads_for_pattern(term, p, None, None)), None)
                    if q is not None:
                        found = q.object.value
                        break
            labels[iri] = found or iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri
        return labels[iri]

    def stmt(t: ox.Triple) -> Statement:
        return Statement(t.predicate.value, name(t.predicate), str(getattr(t.object, "value", t.object)),
                         name(t.object), isinstance(t.object, ox.NamedNode))

    subjects_before = {t.subject for t in before.values()}
    by_subject: dict[Any, ResourceChange] = {}
    for t in (*added, *removed):
        if t.subject not in by_subject:
            by_subject[t.subject] = ResourceChange(str(getattr(t.subject, "value", t.subject)), name(t.subject),
                                                   new=t.subject not in subjects_before)
    for s, rc in by_subject.items():
        adds = [t for t in added if t.subject == s]
        rems = [t for t in removed if t.subject == s]
        rem_by_pred: dict[Any, list[ox.Triple]] = {}
        for t in rems:
            rem_by_pred.setdefault(t.predicate, []).append(t)
        for t in adds:
            olds = rem_by_pred.get(t.predicate)
            if olds:
                old = olds.pop(0)
                st = stmt(t)
                st.old_value, st.old_label = str(getattr(old.object, "value", old.object)), name(old.object)
                rc.changed.append(st)
            else:
                rc.added.append(stmt(t))
        rc.removed = [stmt(t) for olds in rem_by_pred.values() for t in olds]
    return sorted(by_subject.values(), key=lambda r: (not r.new, r.label.lower()))


def counts(changes: list[ResourceChange]) -> dict[str, int]:
    return {"resources": len(changes), "added": sum(len(r.added) for r in changes),
            "changed": sum(len(r.changed) for r in changes), "removed": sum(len(r.removed) for r in changes)}


# ---------------------------------------------------------------------------------- storage


class Contributions:
    """The submissions directory (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        for stray in self.dir.glob(".tmp-*"):  # a crash while a submission was being written
            shutil.rmtree(stray, ignore_errors=True)

    @staticmethod
    def for_store(store_path: Path, configured: Path | None = None) -> Contributions:
        """The directory of `store_path`'s submissions: the setting, else `.STORE.contributions`."""
        sp = Path(store_path)
        return Contributions(configured or sp.parent / f".{sp.name}.contributions")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across threads and processes (flock on a file of its own per holder)."""
        with open(self.dir / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _path(self, cid: str) -> Path:
        if not _ID.match(cid):
            raise NotFound(f"No contribution {cid!r}.", de=f"Keinen Beitrag {cid!r}.")
        return self.dir / cid

    def create(self, record: Record, upload: bytes, pending: list[ox.Triple]) -> Record:
        """Write a whole submission at once (temporary directory, fsync, rename)."""
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=str(self.dir)))
        try:
            write_atomic(tmp / ("upload" + Path(record.filename).suffix.lower()), upload)
            nt = ox.serialize(pending, format=ox.RdfFormat.N_TRIPLES) if pending else b""
            write_atomic(tmp / "pending.nt", nt or b"")
            write_atomic(tmp / "record.json", _dump(record))
            os.rename(tmp, self._path(record.id))
            _fsync_dir(self.dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return record

    @staticmethod
    def new_id() -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)

    def get(self, cid: str) -> Record:
        path = self._path(cid) / "record.json"
        try:
            return Record.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFound(f"No contribution {cid!r}.", de=f"Keinen Beitrag {cid!r}.") from None

    def upload_path(self, record: Record) -> Path:
        """The uploaded file as it was submitted."""
        return self._path(record.id) / ("upload" + Path(record.filename).suffix.lower())

    def pending_triples(self, cid: str) -> list[ox.Triple]:
        data = (self._path(cid) / "pending.nt").read_bytes()
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]

    def save(self, record: Record) -> None:
        write_atomic(self._path(record.id) / "record.json", _dump(record))

    def records(self, status: str | None = None, submitter: str | None = None) -> list[Record]:
        """Newest first."""
        out = []
        for d in sorted((p for p in self.dir.iterdir() if p.is_dir() and _ID.match(p.name)), reverse=True):
            with contextlib.suppress(NotFound, ValueError, OSError):
                r = self.get(d.name)
                if (status is None or r.status == status) and (submitter is None or r.submitter == submitter):
                    out.append(r)
        return out

    # -------------------------------------------------------------------------- decisions

    def decide(self, cid: str, actor: str, comment: str, approve: bool,
               commit: Callable[[Record, list[ox.Triple]], None]) -> Record:
        """Approve (call `commit`, which raises on a refused write) or reject a pending submission.
        Conflict (409) if it is not pending (any more): replayed, or another reviewer was first."""
        with self.locked():
            record = self.get(cid)
            if record.status != "pending":
                who = f" by {record.decided_by}" if record.decided_by else ""
                raise Conflict(
                    f"Contribution {cid} is {record.status}{who} (at {record.decided_at or '?'}), not pending: "
                    "nothing was changed.",
                    de=f"Beitrag {cid} ist bereits {STATUS_DE.get(record.status, record.status)}"
                       f"{' von ' + record.decided_by if record.decided_by else ''}, nicht mehr offen: "
                       "nichts wurde geändert.")
            if approve:
                record.status = "approving"
                self.save(record)
                try:
                    commit(record, self.pending_triples(cid))
                except BaseException:
                    record.status = "pending"
                    self.save(record)
                    raise
            record.status = "approved" if approve else "rejected"
            record.decided_by, record.decided_at, record.decision_comment = actor, now(), comment
            record.history.append({"at": record.decided_at, "by": actor, "action": record.status,
                                   "comment": comment})
            self.save(record)
            return record

    def reconcile(self, store: Any) -> list[str]:
        """Resolve records a crash left `approving`: approved if the target graph holds exactly
        the pending graph, else pending again. Returns the ids it changed."""
        changed = []
        with self.locked():
            for record in self.records(status="approving"):
                now_in_store = {_key(t) for t in current_triples(store, record.graph)}
                pending = {_key(t) for t in self.pending_triples(record.id)}
                record.status = "approved" if now_in_store == pending else "pending"
                record.history.append({"at": now(), "by": "kg", "action": f"recovered as {record.status}",
                                       "comment": ""})
                self.save(record)
                changed.append(record.id)
        return changed


STATUS_DE = {"invalid": "ungültig", "pending": "offen", "approving": "in Freigabe", "approved": "freigegeben",
             "rejected": "abgelehnt"}
STATUS_MSG = {k: Msg(v, k) for k, v in STATUS_DE.items()}


def _dump(record: Record) -> bytes:
    return json.dumps(record.to_json(), ensure_ascii=False, indent=1).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Atomic file write: temporary file in the same directory, fsync, rename (also kg.graph.kept's)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


