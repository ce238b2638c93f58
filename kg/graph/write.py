"""Validated, all-or-nothing writes: SPARQL Update and graph store changes.

Why this shape: every write must be checked against the SHACL shapes *before* it is committed, a
refused write must leave the store exactly as it was, and a curator's one-entity write must not
pay for validating the whole 467k-quad graph. So a write goes through five steps:

1. **stage**: the update runs on a staging copy of the store (a RocksDB checkpoint: hard links,
   milliseconds) — pyoxigraph evaluates any SPARQL Update there, with its own semantics;
2. **diff**: the change is what differs between the live store and the staging copy, compared
   only in the graphs the write can touch (the graph a graph-store request names, the graphs an
   update mentions; every graph for `GRAPH ?g`, `DROP ALL` and the like);
3. **validate** (kg.shacl.incremental.check_change, native engine): only the focus nodes the
   change can affect — the changed subjects and objects and the nodes that reach them through
   the shapes' paths — in both states; the write is refused (422 with the report) if a violation
   appears there that was not there before. Changes to the shapes or to subclass axioms are
   validated in full. tests/shacl/test_writes_property.py proves this equal to full validation;
4. **infer** (kg.graph.infer.derived_for): the derived triples of the subjects the change can affect
   are recomputed, so the inferred graph stays what a fresh `kg build` inference would give;
5. **commit**: data change and inferred-graph patch go to the live store as *one* SPARQL Update
   (`DELETE DATA`/`INSERT DATA`, pyoxigraph applies one update as one transaction) — exactly the
   validated quads, so the update is not evaluated a second time. Then `state.committed()`
   publishes a new snapshot to the query workers.

Blank nodes cannot be named in `DELETE DATA`, and `INSERT DATA` gives its blank nodes fresh
identities; a change that removes quads with blank nodes or adds quads to an existing blank node
is therefore committed by running the update itself on the live store (one transaction, as
validated up to RAND()/NOW()/UUID()/BNODE(), which may differ between the two runs), and the
inferred graph is patched right after in a second step, before the snapshot readers see.

A full disk (ENOSPC) is answered 507 and leaves the store unchanged; RocksDB then refuses every
write until its handle is reopened, so the writable handle is reopened (a read-only one serves
reads meanwhile if the disk is still full).
"""

from __future__ import annotations

import errno
import gc
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import DiskFull, QuerySyntaxError, WriteRefused, WriteViolation, syntax_message
from kg.graph import infer
from kg.graph.infer import AXIOM_GRAPHS
from kg.rdf import GRAPH_INFERRED, GRAPH_SHAPES, HN, PREFIXES, RDFS_LABEL
from kg.sparql.text import mentioned_iris, syntax_error_messages

log = logging.getLogger("hilfenetz.server.writes")

#: Graphs that are not data to be validated: the shapes themselves and derived triples.
_NOT_DATA = {GRAPH_SHAPES, GRAPH_INFERRED}
_INFERRED = ox.NamedNode(GRAPH_INFERRED)
_SHAPES = ox.NamedNode(GRAPH_SHAPES)


@dataclass
class WriteOutcome:
    """Result of one write attempt."""

    ok: bool
    kind: str = ""  # syntax | violation | error | disk_full
    message: str = ""
    report_turtle: str = ""
    report_json: str = ""
    report_text: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    message_de: str = ""  # the German of `message`, where there is one (kg.sparql.text.syntax_error_messages)

    @property
    def status(self) -> int:
        """The HTTP status this outcome calls for."""
        return 200 if self.ok else self.error().http_status

    def error(self) -> QuerySyntaxError | WriteRefused:
        """The exception a refused write stands for (kg.web.http.error_response answers it)."""
        if self.kind == "syntax":
            return QuerySyntaxError(syntax_message("SPARQL update", self.message),
                                    de=f"SPARQL-Syntaxfehler im Update: {self.message_de}" if self.message_de else None)
        if self.kind == "disk_full":
            return DiskFull(self.message, de=DISK_FULL_DE)
        if self.kind == "violation":
            return WriteViolation(
                "The write was refused: it violates the SHACL shapes; nothing was changed.",
                self.report_text, self.report_json, self.report_turtle,
                de="Der Schreibvorgang wurde abgelehnt: er verletzt die SHACL-Shapes; nichts wurde geändert.",
            )
        return WriteRefused(f"The update failed: {self.message}",
                            de="Das Update ist fehlgeschlagen; nichts wurde geändert.")


DISK_FULL_EN = (
    "The write was refused: the disk holding the store is full (No space left on device); nothing was changed."
)
DISK_FULL_DE = "Der Schreibvorgang wurde abgelehnt: der Datenträger des Stores ist voll; nichts wurde geändert."


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC, from the OS or as RocksDB reports it inside pyoxigraph's OSError text."""
    text = str(exc)
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in text or "NoSpace" in text


def _prefixes() -> dict[str, str]:
    """The project prefixes, usable in updates without PREFIX (as in queries)."""
    return dict(PREFIXES)


# ------------------------------------------------------------------------------------ the diff


@dataclass
class Diff:
    """What a write changes: quads (with their graph) and named graphs that appear or vanish."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not (self.added or self.removed or self.created or self.dropped)

    def nodes(self) -> set[Any]:
        """Subjects and objects of every changed quad."""
        out: set[Any] = set()
        for q in (*self.added, *self.removed):
            out.add(q.subject)
            out.add(q.object)
        return out


def _names(store: Any) -> set[str]:
    return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}


def _graph_term(name: str | None) -> Any:
    return ox.DefaultGraph() if name is None else ox.NamedNode(name)


def diff_stores(before: Any, after: Any, graphs: Iterable[str | None] | None) -> Diff:
    """The quads that differ between two stores, compared in `graphs` (None: the default graph;
    `graphs` None: every graph). `after` must be a checkpoint of `before` so that blank nodes
    they share have the same identifiers."""
    names_before, names_after = _names(before), _names(after)
    diff = Diff(created=names_after - names_before, dropped=names_before - names_after)
    todo: set[str | None] = {None} | (names_before | names_after if graphs is None else set(graphs))
    todo |= diff.created | diff.dropped
    for name in sorted(todo, key=lambda g: g or ""):
        g = _graph_term(name)
        a = before.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g) if name is None or name in names_before else b""
        b = after.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g) if name is None or name in names_after else b""
        if a == b:
            continue
        la, lb = set(a.splitlines()), set(b.splitlines())
        for lines, out in ((lb - la, diff.added), (la - lb, diff.removed)):
            if lines:
                for t in ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES):
                    out.append(ox.Quad(t.subject, t.predicate, t.object, g))
    return diff


def graphs_of_update(update: str, before: Any, base_iri: str | None = None) -> set[str | None] | None:
    """The graphs an update can change: those it mentions that exist (and new ones appear in the
    diff anyway); None when it may touch graphs it does not name (GRAPH ?g, ALL, NAMED).
    Relative IRIs count as pyoxigraph resolves them, against `base_iri` (a graph missed here
    would be a write silently lost: the change is committed from this diff)."""
    from urllib.parse import urljoin

    iris = mentioned_iris(update, PREFIXES)
    if iris is None:
        return None
    if base_iri:
        iris |= {urljoin(base_iri, i) for i in iris}
    return {None} | (iris & _names(before))


# ------------------------------------------------------------------------------ validation


_SHAPES_CACHE: dict[bytes, Any] = {}


def _shapes_of(store: Any) -> Any | None:
    """The store's shapes as a parsed kg.shacl.compile.ShapesGraph (None without shapes), cached
    by the bytes of the shapes graph: parsing them costs more than validating a write."""
    import hashlib

    import rdflib

    # kg.shacl loads rdflib (~0.5-1 s): imported on the first validated write, not with every server
    from kg.shacl.compile import ShapesGraph

    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=_SHAPES)
    if not data:
        return None
    key = hashlib.blake2b(data, digest_size=16).digest()
    sg = _SHAPES_CACHE.get(key)
    if sg is None:
        _SHAPES_CACHE.clear()
        sg = _SHAPES_CACHE[key] = ShapesGraph(rdflib.Graph().parse(data=data, format="nt"))
    return sg


def data_graphs(store: Any) -> list[str]:
    """The graphs a write is validated on: every named graph except shapes and inferred triples,
    and the default graph."""
    return ["default", *sorted(_names(store) - _NOT_DATA)]


def _report(outcome: Any, shapes: Any, store: Any) -> tuple[str, str, str]:
    """(Turtle, JSON, text) of the new violations, with labels of the focus nodes."""
    import rdflib

    # kg.shacl loads rdflib: see _shapes_of
    from kg.shacl.compile import to_rdf
    from kg.shacl.engine import report_graph
    from kg.shacl.report import report_from_graph

    rg = report_graph(outcome.new_violations, shapes.g)
    labels = rdflib.Graph()
    label = ox.NamedNode(RDFS_LABEL)
    for r in outcome.new_violations:
        if not isinstance(r.focus, ox.Literal):
            for q in store.quads_for_pattern(r.focus, label, None, None):
                labels.add((to_rdf(q.subject), to_rdf(q.predicate), to_rdf(q.object)))
    report = report_from_graph(rg, shapes.g, labels, None, engine="native")
    return report.to_turtle(), report.to_json(), report.to_text(lang="both", only_violations=True)


def validate_change(before: Any, after: Any, diff: Diff) -> tuple[bool, str, str, str, bool]:
    """Check the change between the live store and the staging copy with the native engine;
    (acceptable, Turtle, JSON, text of the report, validated in full?)."""
    from kg.shacl.incremental import Change, check_change  # kg.shacl loads rdflib: see _shapes_of

    shapes_after = _shapes_of(after)
    if shapes_after is None:
        return True, "", '{"conforms": true}', "", False
    shapes_before = _shapes_of(before)
    change = Change([q for q in diff.added if q.graph_name not in (_INFERRED, _SHAPES)],
                    [q for q in diff.removed if q.graph_name not in (_INFERRED, _SHAPES)])
    outcome = check_change(before, after, shapes_before, shapes_after, change,
                           graphs_before=data_graphs(before), graphs_after=data_graphs(after),
                           all_but=sorted(_NOT_DATA))
    if outcome.applied:
        return True, "", '{"conforms": true}', "", outcome.full
    return (False, *_report(outcome, shapes_after, after), outcome.full)


# ------------------------------------------------------------------------------- inference


def _inference_possible(store: Any) -> bool:
    """Whether `infer` could derive anything at all: it needs axioms or participations (or there
    is an inferred graph to keep up to date). Saves the recomputation on plain stores."""
    probes = [(None, None, None, ox.NamedNode(g)) for g in (*AXIOM_GRAPHS, GRAPH_INFERRED)]
    probes.append((None, ox.NamedNode(HN + "participant"), None, None))
    return any(next(iter(store.quads_for_pattern(*p)), None) is not None for p in probes)


def inferred_patch(before: Any, after: Any, diff: Diff) -> tuple[list[ox.Quad], list[ox.Quad], bool]:
    """(quads to add to, quads to remove from the inferred graph of `before`, recomputed in full?)
    so that it equals a fresh inference of `after`'s data."""
    if not (_inference_possible(before) or _inference_possible(after)):
        return [], [], False
    axioms = infer.Axioms(after)
    if infer.axioms_changed([*diff.added, *diff.removed]) or axioms.type_is_a_superproperty_target():
        after.clear_graph(_INFERRED)
        infer.infer(after)
        sub = diff_stores(before, after, [GRAPH_INFERRED])
        return sub.added, sub.removed, True
    nodes = diff.nodes()
    subjects = infer.affected_subjects(before, nodes) | infer.affected_subjects(after, nodes)
    new = infer.derived_for(after, subjects, axioms)
    old = infer.inferred_about(before, subjects)
    return sorted(new - old, key=str), sorted(old - new, key=str), False


# ---------------------------------------------------------------------------------- commit


def _data_block(quads: Sequence[ox.Quad]) -> str:
    by_graph: dict[Any, list[str]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(f"{q.subject} {q.predicate} {q.object} .")
    parts = []
    for g, lines in by_graph.items():
        body = "\n".join(lines)
        parts.append(body if isinstance(g, ox.DefaultGraph) else f"GRAPH {g} {{\n{body}\n}}")
    return "\n".join(parts)


def _blank_nodes(quads: Iterable[ox.Quad]) -> set[Any]:
    return {t for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}


def commit_text(live: Any, diff: Diff, inf_added: Sequence[ox.Quad], inf_removed: Sequence[ox.Quad]) -> str | None:
    """The change as one SPARQL Update of exactly these quads, or None when SPARQL cannot say it
    (a removed quad with a blank node; an added quad on a blank node the store already has)."""
    removed = [q for q in diff.removed if q.graph_name != _INFERRED and not
               (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in diff.dropped)]
    removed += inf_removed
    added = [q for q in diff.added if q.graph_name != _INFERRED] + list(inf_added)
    if _blank_nodes(removed):
        return None
    for b in _blank_nodes(added):
        if next(iter(live.quads_for_pattern(b, None, None, None)), None) is not None or \
                next(iter(live.quads_for_pattern(None, None, b, None)), None) is not None:
            return None
    ops = []
    if removed:
        ops.append("DELETE DATA {\n" + _data_block(removed) + "\n}")
    ops += [f"DROP SILENT GRAPH <{g}>" for g in sorted(diff.dropped - {GRAPH_INFERRED})]
    ops += [f"CREATE SILENT GRAPH <{g}>" for g in sorted(diff.created - {GRAPH_INFERRED})]
    if added:
        ops.append("INSERT DATA {\n" + _data_block(added) + "\n}")
    return " ;\n".join(ops)


def _commit_by_rerun(state: Any, update: str, base_iri: str | None, staging_dir: Path,
                     graphs: Iterable[str | None] | None) -> None:
    """Run the update itself on the live store (one transaction), then patch the inferred graph
    for what it actually changed there (checkpoints just before and after give the exact diff,
    blank-node identifiers included; a full recomputation happens on the "after" copy)."""
    store = state.store
    store.flush()
    store.backup(str(staging_dir / "pre"))
    store.update(update, base_iri=base_iri, prefixes=_prefixes())
    try:
        store.flush()
        store.backup(str(staging_dir / "post"))
        pre, post = ox.Store(str(staging_dir / "pre")), ox.Store(str(staging_dir / "post"))
        added, removed, _full = inferred_patch(pre, post, diff_stores(pre, post, graphs))
        for q in removed:
            store.remove(q)
        store.extend(added)
    except OSError as exc:  # the data change is committed; only the derived triples lag behind
        log.error("write committed, but the inferred graph could not be updated (rebuild to repair): %s", exc)


# ------------------------------------------------------------------------------- the write


def apply_update(
    state: Any, update: str, *, base_iri: str | None, validate: bool,
    graphs: Iterable[str | None] | None = None,
) -> WriteOutcome:
    """Apply one SPARQL Update to the live store: staged, diffed, validated, inferred, committed.

    Must be called with `state.write_lock` held. Never raises for bad input. `graphs` names the
    graphs the update can change (None: found from the update text). Validation is incremental
    and exact at every store size."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        return _apply(state, update, base_iri, validate, graphs, timings, t0)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        detail = str(exc)
    # outside the except block: the traceback (and the store handles its frames hold) is gone,
    # so the broken writable handle can really be closed
    log.error("write refused, disk full: %s", detail)
    reopen_store(state)
    return WriteOutcome(False, "disk_full", f"{DISK_FULL_EN} ({detail})", timings=timings)


def _apply(state: Any, update: str, base_iri: str | None, validate: bool, graphs: Iterable[str | None] | None,
           timings: dict[str, float], t0: float) -> WriteOutcome:
    _ensure_writable(state)
    store = state.store
    root = state.snapshot_root or Path(tempfile.gettempdir())
    staging_dir = Path(tempfile.mkdtemp(prefix=".staging-", dir=str(root)))
    try:
        store.flush()
        store.backup(str(staging_dir / "store"))
        staging = ox.Store(str(staging_dir / "store"))
        timings["stage"] = time.perf_counter() - t0
        try:
            staging.update(update, base_iri=base_iri, prefixes=_prefixes())
        except SyntaxError as exc:
            en, de = syntax_error_messages(update, str(exc), _prefixes())
            return WriteOutcome(False, "syntax", en, message_de=de, timings=timings)
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. DROP of a missing graph without SILENT
            return WriteOutcome(False, "error", f"{type(exc).__name__}: {exc}", timings=timings)
        t = time.perf_counter()
        scope = graphs if graphs is not None else graphs_of_update(update, store, base_iri)
        diff = diff_stores(store, staging, scope)
        timings["diff"] = time.perf_counter() - t
        if diff.empty():
            timings["total"] = time.perf_counter() - t0
            return WriteOutcome(True, timings=timings)
        if validate:
            t = time.perf_counter()
            ok, ttl, js, text, full = validate_change(store, staging, diff)
            timings["validate"] = time.perf_counter() - t
            if full:
                timings["validate_full"] = 1.0
            if not ok:
                return WriteOutcome(False, "violation", "the write violates the SHACL shapes", ttl, js, text, timings)
        t = time.perf_counter()
        inf_added, inf_removed, inf_full = inferred_patch(store, staging, diff)
        timings["infer"] = time.perf_counter() - t
        if inf_full:
            timings["infer_full"] = 1.0
        t = time.perf_counter()
        text = commit_text(store, diff, inf_added, inf_removed)
        del staging
        if text is not None:
            store.update(text)
        else:
            timings["commit_rerun"] = 1.0
            _commit_by_rerun(state, update, base_iri, staging_dir, scope)
        timings["commit"] = time.perf_counter() - t
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)  # an open staging handle keeps its files until dropped
    try:
        state.committed()
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        # the change is in the store (its log); readers get it with the next snapshot
        log.error("write committed, but no snapshot for the readers could be written: %s", exc)
        timings["snapshot_failed"] = 1.0
    timings["total"] = time.perf_counter() - t0
    log.info("write committed: %s", {k: round(v, 4) for k, v in timings.items()})
    return WriteOutcome(True, timings=timings)


# ------------------------------------------------------------------------------- full disk

_REOPEN: set[int] = set()  # id() of states whose writable handle must be reopened before a write


def reopen_store(state: Any) -> bool:
    """After ENOSPC RocksDB stays in its background-error state and fails every later write: drop
    the writable handle and open a new one. If that fails too (the disk is still full), a
    read-only handle keeps reads going and the next write tries again. True if writable again."""
    path = str(state.settings.store_path)
    try:
        reader = ox.Store.read_only(path)
    except OSError as exc:
        log.error("cannot reopen the store read-only after a disk error: %s", exc)
        reader = None
    if reader is not None:
        state.store = reader  # the old writable handle is closed once no request holds it
    gc.collect()
    try:
        state.store = ox.Store(path)
    except OSError as exc:
        _REOPEN.add(id(state))
        log.error("store stays read-only until space is freed: %s", exc)
        return False
    _REOPEN.discard(id(state))
    log.warning("writable store handle reopened after a disk error")
    return True


def _ensure_writable(state: Any) -> None:
    """Reopen the writable handle first if a disk error left only a read-only one."""
    if id(state) in _REOPEN and not reopen_store(state):
        raise OSError(errno.ENOSPC, "No space left on device (the store could not be reopened for writing)")
