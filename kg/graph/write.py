"""Validated, all-or-nothing writes: SPARQL Update and graph store changes, each recorded.

Why this shape: every write must be checked against the SHACL shapes *before* it is committed, a
refused write must leave the store exactly as it was, a curator's one-entity write must not pay
for validating the whole 467k-quad graph, and every committed write is recorded in the change
history (kg.graph.changes) in the same transaction. The fast path has four steps and no copy of
the store:

1. **compute the change** without running the write: the quads of INSERT DATA / DELETE DATA are
   read by pyoxigraph's own parser (the operation run on an empty in-memory store); for
   [WITH] DELETE/INSERT … WHERE the WHERE group is evaluated against the live store and the
   templates are instantiated with its solutions, again by pyoxigraph on an empty in-memory
   store (`INSERT { template } WHERE { VALUES … }`); a graph store request says its quads
   itself (`graph_store_diff`). Only quads that really change count (net of what is there);
2. **validate** (kg.shacl.incremental.check_change, native engine) the focus nodes the change can
   affect in both states, the "after" state being the live store seen through the change
   (`_Overlay`: a read-only view, no copy); 422 with the report on a new violation;
3. **infer** (kg.graph.infer.derived_for): the derived triples of the affected subjects,
   recomputed on the same two states;
4. **commit** data change, inferred-graph patch and the change record as *one* SPARQL Update
   (`DELETE DATA`/`CLEAR`/`INSERT DATA`; pyoxigraph applies one update as one transaction).
   `state.committed(update)` then hands that update over to the readers: the query workers
   replay it on their copies of the store (kg.query.replicas), so no write and no reader waits
   for a snapshot of the store. A commit that would not replay exactly (blank nodes in it get
   fresh identities wherever `INSERT DATA` runs) is handed over as None: the workers copy anew.

**The general fallback** (`_apply_staged`, marked in the timings as `staged`), the path every
write took before: the update runs on a staging copy of the store (a RocksDB checkpoint), the
change is what differs between the two. It is taken for what the fast path cannot compute or
check on a view: other update forms (several operations, LOAD, CLEAR, ADD/MOVE/COPY, …), WHERE
solutions with blank nodes, changes to the shapes, to subclass/subproperty axioms (full
validation or inference), and removals of blank-node quads that SPARQL cannot name. Blank nodes
cannot be named in `DELETE DATA`, and `INSERT DATA` gives its blank nodes fresh identities; such
a change is committed by running the update itself on the live store (one transaction, with the
change record, as validated up to RAND()/NOW()/UUID()/BNODE()), and the inferred graph is
patched right after in a second step.

A full disk (ENOSPC) is answered 507 and leaves the store unchanged; RocksDB then refuses every
write until its handle is reopened, so the writable handle is reopened (a read-only one serves
reads meanwhile if the disk is still full).
"""

from __future__ import annotations

import errno
import gc
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import DiskFull, NeedsStaging, QuerySyntaxError, WriteRefused, WriteViolation, syntax_message
from kg.graph import changes, infer
from kg.graph.changes import ChangeMeta
from kg.graph.infer import AXIOM_GRAPHS
from kg.rdf import GRAPH_CHANGES, GRAPH_INFERRED, GRAPH_SHAPES, HN, PREFIXES, RDFS_LABEL
from kg.sparql.text import mentioned_iris, syntax_error_messages, update_parts

log = logging.getLogger("hilfenetz.server.writes")

#: Graphs that are not data to be validated: the shapes themselves, derived triples, the history.
_NOT_DATA = {GRAPH_SHAPES, GRAPH_INFERRED, GRAPH_CHANGES}
_INFERRED = ox.NamedNode(GRAPH_INFERRED)
_SHAPES = ox.NamedNode(GRAPH_SHAPES)
_CHANGES = ox.NamedNode(GRAPH_CHANGES)


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
    change_id: str | None = None  # the recorded change (kg.graph.changes); None when nothing changed

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
    #: graphs emptied as a whole (None: the default graph): committed as CLEAR, so their quads
    #: need no naming in DELETE DATA (blank nodes included)
    cleared: set[str | None] = field(default_factory=set)

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


# ------------------------------------------------------------------- the change, computed


class _Overlay:
    """The live store seen through a change, read-only: what validation and inference read as
    the state "after". Pattern lookups are the live store's minus the removed quads plus the
    added ones (indexed by subject, object and predicate: a 20,000-triple PUT is validated with
    many lookups). SPARQL over the view is not offered (NeedsStaging): the incremental checks
    need none; a full validation or inference, which would, goes the staged way."""

    def __init__(self, live: Any, diff: Diff) -> None:
        self.live = live
        self.diff = diff
        self.removed = set(diff.removed)
        self.added = list(diff.added)
        self._by: list[dict[Any, list[ox.Quad]]] = [{}, {}, {}]
        for q in self.added:
            self._by[0].setdefault(q.subject, []).append(q)
            self._by[1].setdefault(q.object, []).append(q)
            self._by[2].setdefault(q.predicate, []).append(q)
        self._touched = {q.graph_name for q in (*diff.added, *diff.removed)} | \
            {ox.NamedNode(g) for g in diff.created | diff.dropped} | {_graph_term(g) for g in diff.cleared}

    def quads_for_pattern(self, s: Any, p: Any, o: Any, g: Any = None) -> Any:
        for q in self.live.quads_for_pattern(s, p, o, g):
            if q not in self.removed:
                yield q
        cand = self._by[0].get(s, ()) if s is not None else self._by[1].get(o, ()) if o is not None else \
            self._by[2].get(p, ()) if p is not None else self.added
        for q in cand:
            if (s is None or q.subject == s) and (p is None or q.predicate == p) and \
                    (o is None or q.object == o) and (g is None or q.graph_name == g):
                yield q

    def named_graphs(self) -> Any:
        names = {g for g in self.live.named_graphs()} - {ox.NamedNode(d) for d in self.diff.dropped}
        names |= {ox.NamedNode(c) for c in self.diff.created}
        names |= {q.graph_name for q in self.added if isinstance(q.graph_name, ox.NamedNode)}
        return iter(names)

    def contains_named_graph(self, g: Any) -> bool:
        return g in set(self.named_graphs())

    def dump(self, output: Any = None, format: Any = None, *, from_graph: Any = None, **kw: Any) -> Any:
        if from_graph is not None and from_graph not in self._touched:
            return self.live.dump(output, format, from_graph=from_graph, **kw)
        raise NeedsStaging("dump of a changed graph")

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise NeedsStaging("SPARQL over the view")

    def clear_graph(self, *args: Any) -> None:
        raise NeedsStaging("full inference")


def _present(store: Any, q: ox.Quad) -> bool:
    return next(iter(store.quads_for_pattern(q.subject, q.predicate, q.object, q.graph_name)), None) is not None


def _net(store: Any, to_add: Iterable[ox.Quad], to_remove: Iterable[ox.Quad]) -> Diff:
    """What "remove these, then add those" really changes in `store` (SPARQL's DELETE/INSERT order)."""
    add = set(to_add)
    removed = sorted({q for q in to_remove if q not in add and _present(store, q)}, key=str)
    added = sorted({q for q in add if not _present(store, q)}, key=str)
    names = _names(store)
    created = {q.graph_name.value for q in added if isinstance(q.graph_name, ox.NamedNode)} - names
    return Diff(added=added, removed=removed, created=created)


#: More WHERE solutions than this go the staged way (a bulk update; VALUES of that size cost more
#: than the staging copy).
MAX_SOLUTIONS = 50_000


def _values(variables: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    head = " ".join(str(v) for v in variables)
    body = "\n".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
    return f"VALUES ({head}) {{\n{body}\n}}"


def _instantiate(prologue: str, with_iri: str | None, template: str, values: str, base_iri: str | None) -> set[ox.Quad]:
    """The quads of a template under the WHERE solutions: pyoxigraph instantiates it (GRAPH ?g,
    unbound variables, fresh blank nodes per solution) on an empty in-memory store."""
    mem = ox.Store()
    with_clause = f"WITH <{with_iri}> " if with_iri else ""
    mem.update(f"{prologue}{with_clause}INSERT {{ {template} }} WHERE {{ {values} }}", base_iri=base_iri,
               prefixes=_prefixes())
    return set(mem.quads_for_pattern(None, None, None, None))


def plan_update(store: Any, update: str, base_iri: str | None) -> Diff | None:
    """The change a SPARQL Update would make to `store`, computed without running it there; None
    when this update must take the staged path (see the module docstring). Raises what pyoxigraph
    raises for a bad update (the caller then lets the staged path report it)."""
    parts = update_parts(update, _prefixes(), base_iri)
    if parts is None:
        return None
    if parts.kind in ("insert_data", "delete_data"):
        mem = ox.Store()
        body = parts.body if parts.kind == "insert_data" else "INSERT" + parts.body[len("DELETE"):]
        mem.update(parts.prologue + body, base_iri=base_iri, prefixes=_prefixes())
        quads = list(mem.quads_for_pattern(None, None, None, None))
        if parts.kind == "insert_data":
            if changes.has_blank_nodes(quads):
                return None  # INSERT DATA may name an existing blank node: only the staged path knows
            return _net(store, quads, [])
        return _net(store, [], quads)
    kwargs: dict[str, Any] = {}
    if parts.using or parts.using_named:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in parts.using]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in parts.using_named]
    elif parts.with_iri:
        kwargs["default_graph"] = ox.NamedNode(parts.with_iri)
    sols = store.query(f"{parts.prologue}SELECT * WHERE {parts.where}", base_iri=base_iri, prefixes=_prefixes(),
                       **kwargs)
    variables = list(sols.variables)
    rows: list[list[Any]] = []
    for sol in sols:
        row = [sol[v] for v in variables]
        if any(not isinstance(t, (ox.NamedNode, ox.Literal)) and t is not None for t in row):
            return None  # a blank node (or triple term) cannot be written into VALUES
        rows.append(row)
        if len(rows) > MAX_SOLUTIONS:
            return None
    if not rows:
        return Diff()
    values = _values(variables, rows) if variables else ""
    delete = _instantiate(parts.prologue, parts.with_iri, parts.delete, values, base_iri) if parts.delete else set()
    insert = _instantiate(parts.prologue, parts.with_iri, parts.insert, values, base_iri) if parts.insert else set()
    return _net(store, insert, delete)


def graph_store_diff(store: Any, method: str, graph: str | None, triples: Sequence[ox.Triple]) -> Diff:
    """The change of a Graph Store Protocol request on `graph` (None: the default graph): PUT
    replaces it, POST merges into it, DELETE drops it (empties the default graph)."""
    g = _graph_term(graph)
    exists = graph is None or store.contains_named_graph(g)
    existing = list(store.quads_for_pattern(None, None, None, g)) if exists else []
    new = [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]
    if method == "DELETE":
        if graph is None:
            return Diff(removed=existing, cleared={None})
        return Diff(removed=existing, dropped={graph})
    created = set() if exists or graph is None else {graph}
    if method == "PUT":
        if changes.has_blank_nodes(existing):  # not nameable in DELETE DATA: the graph is cleared
            return Diff(added=sorted(set(new), key=str), removed=existing, created=created, cleared={graph})
        diff = _net(store, new, existing)
    else:
        diff = _net(store, new, [])
    diff.created |= created
    return diff


# ------------------------------------------------------------------------------ validation


_SHAPES_CACHE: dict[bytes, Any] = {}
#: (id of a store handle, shapes generation, quads in its shapes graph) → parsed shapes: the
#: cheap key in front of the dump-and-hash one (dumping the 1,384 shape quads costs 60 ms, a
#: count 1 ms; measured on the real store). The generation moves with every write that changes
#: the shapes (here), the count catches most edits made around the write path.
_SHAPES_KEYED: dict[tuple[int, int, int], Any] = {}
_SHAPES_GENERATION = [0]


def _shapes_count(store: Any) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH_SHAPES}> {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)


def _shapes_of(store: Any) -> Any | None:
    """The store's shapes as a parsed kg.shacl.compile.ShapesGraph (None without shapes), cached
    by the bytes of the shapes graph: parsing them costs more than validating a write."""
    import hashlib

    import rdflib

    # kg.shacl loads rdflib (~0.5-1 s): imported on the first validated write, not with every server
    from kg.shacl.compile import ShapesGraph

    if isinstance(store, _Overlay):
        if _SHAPES in store._touched:
            raise NeedsStaging("the shapes change")
        return _shapes_of(store.live)
    key = (id(store), _SHAPES_GENERATION[0], _shapes_count(store))
    if key in _SHAPES_KEYED:
        return _SHAPES_KEYED[key]
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=_SHAPES)
    if not data:
        return None
    digest = hashlib.blake2b(data, digest_size=16).digest()
    sg = _SHAPES_CACHE.get(digest)
    if sg is None:
        _SHAPES_CACHE.clear()
        sg = _SHAPES_CACHE[digest] = ShapesGraph(rdflib.Graph().parse(data=data, format="nt"))
    if len(_SHAPES_KEYED) > 8:
        _SHAPES_KEYED.clear()
    _SHAPES_KEYED[key] = sg
    return sg


def _shapes_changed(diff: Diff) -> None:
    """Call after committing `diff`: a change to the shapes graph invalidates the keyed cache."""
    if GRAPH_SHAPES in diff.created | diff.dropped | diff.cleared or \
            any(q.graph_name == _SHAPES for q in (*diff.added, *diff.removed)):
        _SHAPES_GENERATION[0] += 1


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
    # the view of a change that leaves the shapes alone has the live store's shapes (_shapes_of
    # would raise otherwise): no second key query (a SPARQL COUNT, ~1 ms of a ~9 ms write)
    shapes_before = shapes_after if isinstance(after, _Overlay) and after.live is before else _shapes_of(before)
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
    # the ASK reads only the axiom graphs: unless they change, the live store answers for both states
    changed = infer.axioms_changed([*diff.added, *diff.removed])
    if changed or infer.Axioms(before).type_is_a_superproperty_target():
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


def _data_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads a change record lists: not the inferred graph (recomputed on every write)."""
    return [q for q in quads if q.graph_name != _INFERRED]


def commit_text(live: Any, diff: Diff, inf_added: Sequence[ox.Quad], inf_removed: Sequence[ox.Quad],
                record: Sequence[ox.Quad] = ()) -> str | None:
    """The change as one SPARQL Update of exactly these quads (and the change record), or None
    when SPARQL cannot say it (a removed quad with a blank node outside a cleared graph; an added
    quad on a blank node the store already has)."""
    gone = diff.dropped | {g for g in diff.cleared if g is not None}
    removed = [q for q in diff.removed if q.graph_name != _INFERRED and not
               (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in gone)
               and not (None in diff.cleared and isinstance(q.graph_name, ox.DefaultGraph))]
    removed += inf_removed
    added = [q for q in diff.added if q.graph_name != _INFERRED] + list(inf_added) + list(record)
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
    ops += ["CLEAR SILENT DEFAULT" if g is None else f"CLEAR SILENT GRAPH <{g}>"
            for g in sorted(diff.cleared, key=lambda g: g or "")]
    ops += [f"CREATE SILENT GRAPH <{g}>" for g in sorted(diff.created - {GRAPH_INFERRED})]
    if added:
        ops.append("INSERT DATA {\n" + _data_block(added) + "\n}")
    return " ;\n".join(ops)


def _commit_by_rerun(state: Any, update: str, base_iri: str | None, staging_dir: Path,
                     graphs: Iterable[str | None] | None, record: Sequence[ox.Quad]) -> None:
    """Run the update itself on the live store, with the change record in the same update (one
    transaction), then patch the inferred graph for what it actually changed there (checkpoints
    just before and after give the exact diff, blank-node identifiers included; a full
    recomputation happens on the "after" copy)."""
    store = state.store
    store.flush()
    store.backup(str(staging_dir / "pre"))
    rec = f" ;\nINSERT DATA {{\n{_data_block(record)}\n}}" if record else ""
    store.update(update + rec, base_iri=base_iri, prefixes=_prefixes())
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


def _record(diff: Diff, meta: ChangeMeta, reverts: str | None) -> tuple[str | None, list[ox.Quad]]:
    """(id, quads) of the change record; none for a write that changes only derived triples."""
    added, removed = _data_quads(diff.added), _data_quads(diff.removed)
    if not (added or removed or diff.created or diff.dropped or diff.cleared):
        return None, []
    change_id = changes.new_id()
    return change_id, changes.record_quads(change_id, meta, added, removed, reverts=reverts)


#: `DROP ALL`, `CLEAR NAMED` and the like: operations on every graph at once.
_WHOLE_STORE = re.compile(r"\b(?:DROP|CLEAR)\s+(?:SILENT\s+)?(?:ALL|NAMED)\b", re.IGNORECASE)


def _keep_history(live: Any, staging: Any) -> None:
    """Put the change history back into the staging store after `DROP ALL` / `CLEAR ALL`.

    Why: "all graphs" of a client's update means the data; the history is the server's record of
    the writes (that one included), not a graph a client writes, and a targeted `DROP GRAPH` of it
    is still refused (`_refuse_history`). Without this, the W3C protocol suite's `DROP ALL` reset
    was refused as soon as the store held one recorded change."""
    quads = list(live.quads_for_pattern(None, None, None, _CHANGES))
    if quads:
        staging.extend(quads)


def _refuse_history(diff: Diff) -> WriteOutcome | None:
    """The changes graph is written by the write path only: a write that touches it is refused."""
    if any(q.graph_name == _CHANGES for q in (*diff.added, *diff.removed)) or \
            GRAPH_CHANGES in diff.created | diff.dropped | diff.cleared:
        return WriteOutcome(False, "error", f"the change history <{GRAPH_CHANGES}> is written by the server only; "
                            "use `kg revert` or POST /changes/{id}/revert to undo a change",
                            message_de="Die Änderungsgeschichte schreibt nur der Server.")
    return None


# ------------------------------------------------------------------------------- the write


def apply_update(
    state: Any, update: str, *, base_iri: str | None, validate: bool,
    graphs: Iterable[str | None] | None = None, meta: ChangeMeta | None = None, diff: Diff | None = None,
) -> WriteOutcome:
    """Apply one SPARQL Update to the live store: its change computed, validated, inferred and
    committed with its change record (`meta`: who and what; None: actor "anonymous").

    Must be called with `state.write_lock` held. Never raises for bad input. `graphs` names the
    graphs the update can change (None: found from the update text; the staged path needs it);
    `diff` is its change when the caller knows it already (kg.web.routes.graphstore: a graph
    store request, `graph_store_diff`). Validation is incremental and exact at every store size."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        return _apply(state, update, base_iri, validate, graphs, timings, t0, meta or changes.ANONYMOUS, diff)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        detail = str(exc)
    return _disk_full(state, detail, timings)


def apply_change(state: Any, added: Sequence[ox.Quad], removed: Sequence[ox.Quad], *, validate: bool = True,
                 meta: ChangeMeta | None = None, reverts: str | None = None) -> WriteOutcome:
    """Apply a change given as quads (remove these, then add those): validated, inferred and
    committed with its record, like any write. For callers that know their quads (an import, a
    revert, an approved contribution). Blank-node quads cannot be removed this way (WriteRefused
    outcome). Must be called with `state.write_lock` held."""
    meta = meta or changes.ANONYMOUS
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        _ensure_writable(state)
        diff = _net(state.store, added, removed)
        out = _fast(state, diff, validate, meta, timings, t0, reverts=reverts)
        if out is not None:
            return out
        if _blank_nodes(diff.removed):
            return WriteOutcome(False, "error", "blank-node triples cannot be removed by a change given as quads")
        text = commit_text(state.store, diff, [], []) or ""
        if not text:
            return WriteOutcome(True, timings=timings)
        return _apply_staged(state, text, None, validate, None, timings, t0, meta, reverts=reverts)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        detail = str(exc)
    return _disk_full(state, detail, timings)


def _disk_full(state: Any, detail: str, timings: dict[str, float]) -> WriteOutcome:
    """The answer to a write that hit a full disk. Called after the `except` block, so the
    traceback (and the store handles its frames hold) is gone and the broken writable handle can
    really be closed and reopened."""
    log.error("write refused, disk full: %s", detail)
    reopen_store(state)
    return WriteOutcome(False, "disk_full", f"{DISK_FULL_EN} ({detail})", timings=timings)


def _apply(state: Any, update: str, base_iri: str | None, validate: bool, graphs: Iterable[str | None] | None,
           timings: dict[str, float], t0: float, meta: ChangeMeta, diff: Diff | None) -> WriteOutcome:
    _ensure_writable(state)
    if diff is None:
        try:
            diff = plan_update(state.store, update, base_iri)
        except OSError:
            raise
        except Exception:  # noqa: BLE001 - a bad update: the staged path runs it and reports the error
            diff = None
        timings["plan"] = time.perf_counter() - t0
    if diff is not None:
        out = _fast(state, diff, validate, meta, timings, t0)
        if out is not None:
            return out
    return _apply_staged(state, update, base_iri, validate, graphs, timings, t0, meta)


def _fast(state: Any, diff: Diff, validate: bool, meta: ChangeMeta, timings: dict[str, float], t0: float,
          reverts: str | None = None) -> WriteOutcome | None:
    """Validate, infer and commit a computed change on the live store (no copy); None when only
    the staged path can (NeedsStaging, or a commit SPARQL cannot express)."""
    if diff.empty():
        timings["total"] = time.perf_counter() - t0
        return WriteOutcome(True, timings=timings)
    refused = _refuse_history(diff)
    if refused is not None:
        return refused
    store = state.store
    after = _Overlay(store, diff)
    try:
        if validate:
            t = time.perf_counter()
            ok, ttl, js, text, _full = validate_change(store, after, diff)
            timings["validate"] = time.perf_counter() - t
            if not ok:
                return WriteOutcome(False, "violation", "the write violates the SHACL shapes", ttl, js, text, timings)
        t = time.perf_counter()
        inf_added, inf_removed, _full = inferred_patch(store, after, diff)
        timings["infer"] = time.perf_counter() - t
    except NeedsStaging as why:
        timings["staged_because"] = 1.0
        log.info("write takes the staged path: %s", why)
        return None
    t = time.perf_counter()
    change_id, record = _record(diff, meta, reverts)
    sparql = commit_text(store, diff, inf_added, inf_removed, record)
    if sparql is None:
        return None
    store.update(sparql)
    _shapes_changed(diff)
    timings["commit"] = time.perf_counter() - t
    _published(state, _replayable(sparql, diff, inf_added))
    timings["total"] = time.perf_counter() - t0
    log.info("write committed: %s", {k: round(v, 4) for k, v in timings.items()})
    return WriteOutcome(True, timings=timings, change_id=change_id)


def _replayable(sparql: str, diff: Diff, inf_added: Sequence[ox.Quad]) -> str | None:
    """The committed update if running it elsewhere gives the same quads (no blank nodes added:
    `INSERT DATA` gives them fresh identities), else None."""
    return None if _blank_nodes([*diff.added, *inf_added]) else sparql


def _published(state: Any, update: str | None) -> None:
    """Tell the state (the server's readers) about a committed write: `update` is the SPARQL
    Update that made it if it replays exactly (`_replayable`), else None. Writes nothing to disk
    (a full disk shows at the next copy of the store, which a worker query then reports)."""
    state.committed(update)


def _apply_staged(state: Any, update: str, base_iri: str | None, validate: bool,
                  graphs: Iterable[str | None] | None, timings: dict[str, float], t0: float, meta: ChangeMeta,
                  reverts: str | None = None) -> WriteOutcome:
    """THE GENERAL FALLBACK: stage the update on a checkpoint of the store, diff, validate,
    infer, commit (see the module docstring for when it is taken)."""
    timings["staged"] = 1.0
    store = state.store
    root = state.snapshot_root or Path(tempfile.gettempdir())
    staging_dir = Path(tempfile.mkdtemp(prefix=".staging-", dir=str(root)))
    change_id: str | None = None
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
        if _WHOLE_STORE.search(update):
            _keep_history(store, staging)
        t = time.perf_counter()
        scope = graphs if graphs is not None else graphs_of_update(update, store, base_iri)
        diff = diff_stores(store, staging, scope)
        timings["diff"] = time.perf_counter() - t
        if diff.empty():
            timings["total"] = time.perf_counter() - t0
            return WriteOutcome(True, timings=timings)
        refused = _refuse_history(diff)
        if refused is not None:
            return refused
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
        change_id, record = _record(diff, meta, reverts)
        sparql = commit_text(store, diff, inf_added, inf_removed, record)
        del staging
        replay: str | None = None
        if sparql is not None:
            store.update(sparql)
            replay = _replayable(sparql, diff, inf_added)
        else:
            timings["commit_rerun"] = 1.0
            _commit_by_rerun(state, update, base_iri, staging_dir, scope, record)
        _shapes_changed(diff)
        timings["commit"] = time.perf_counter() - t
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)  # an open staging handle keeps its files until dropped
    _published(state, replay)
    timings["total"] = time.perf_counter() - t0
    log.info("write committed: %s", {k: round(v, 4) for k, v in timings.items()})
    return WriteOutcome(True, timings=timings, change_id=change_id)


def revert_change(state: Any, ref: str, *, actor: str, comment: str | None = None, validate: bool = True) -> str:
    """Undo recorded change `ref` (kg.graph.changes.plan_revert says how, or refuses) as a write of
    its own, validated and recorded with `hn:reverts`; takes `state.write_lock`. Returns the new
    change's id; raises RevertRefused / ChangeNotFound / the refused write's error."""
    with state.write_lock:
        info, to_add, to_remove = changes.plan_revert(state.store, ref)
        meta = ChangeMeta(actor=actor, action="revert", comment=comment or f"revert of {info.id}")
        out = apply_change(state, to_add, to_remove, validate=validate, meta=meta, reverts=info.id)
    if not out.ok:
        raise out.error()
    if out.change_id is None:
        raise WriteRefused(f"Reverting {info.id} changed nothing.", de=f"Die Rücknahme von {info.id} änderte nichts.")
    return out.change_id


class LocalState:
    """What the write functions need of a state, for the command line (`kg revert`, `kg import`):
    the store opened read-write (a running writable server holds RocksDB's lock, so then use its
    HTTP routes), a lock, and no readers to tell."""

    def __init__(self, store_path: Path) -> None:
        import threading
        from types import SimpleNamespace

        self.settings = SimpleNamespace(store_path=Path(store_path))
        self.store = ox.Store(str(store_path))
        self.write_lock = threading.Lock()
        self.snapshot_root: Path | None = None

    def committed(self, update: str | None = None) -> None:
        """Nobody reads through this handle but the caller."""

    def close(self) -> None:
        self.store.flush()
        del self.store
        gc.collect()


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
