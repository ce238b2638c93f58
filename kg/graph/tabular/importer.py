"""`kg import`: a spreadsheet of one template kind → one named graph, planned, then committed.

Why two steps: a coordinator wants to see what a file would change (`--dry-run`) and every problem
in it at once, in rows and columns, before anything is written; and the web contributions (issue
18) review a plan before a second person commits it. `plan_import` parses, resolves, maps and
validates **against the whole graph** and writes nothing; `commit_import` writes a plan through the
same validated, all-or-nothing path as every other write (kg.graph.write.apply_update: staged on a
checkpoint, validated incrementally, committed as one SPARQL Update, one transaction).

Importing the same data from another file (an export, the rows in another order) changes nothing:
the graph keeps describing the file the data came from (its rows, name and checksum) until the data
themselves change. What an import owns, and so can change: in its graph, the resources of its kind that the file names
(the properties the template has columns for, their type, hn:statedIn and hn:sourceRow), the nodes
they own (a cooperation's participations, a grant's amount, an event's figures with the IRIs the
figure columns derive, and their evidence), the resources of its kind it imported
before (hn:sourceRow) and the graph's source node. Everything else in the graph (evidence, figures
of a seed document, types of other kinds) stays. So importing the same file twice changes nothing,
a changed row updates its resource, and a row gone from the file is gone from the graph.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import __version__
from kg.errors import ImportRefused, SpreadsheetError, column_letter
from kg.graph.changes import ChangeMeta
from kg.graph.tabular.mapping import (
    AMOUNT_PREDICATES,
    PARTICIPATION_PREDICATES,
    SOURCE_ROW,
    CellProblem,
    MappedRow,
    Mapper,
    figure_nodes,
    is_comment,
    managed_predicates,
    match_columns,
    owned_nodes,
    slugify,
)
from kg.graph.tabular.read import read_table
from kg.graph.tabular.resolve import Resolver
from kg.graph.tabular.templates import Kind
from kg.graph.tabular.templates import kind as make_kind
from kg.i18n import Msg
from kg.rdf import (
    DCT_ISSUED,
    DCT_LICENSE,
    DCT_PUBLISHER,
    DCT_TITLE,
    GRAPH_ONTOLOGY,
    HN,
    HN_CONTRIBUTION_KIND,
    HN_FILE_NAME,
    HN_SHA256,
    HN_SPREADSHEET_CONTRIBUTION,
    HN_TOOL_VERSION,
    HNID,
    RDF_TYPE,
    RDFS,
    SKOS,
    XSD,
    source_document,
    source_graph,
)

__all__ = ["CellProblem", "ImportPlan", "ImportRefused", "SourceMeta", "commit_import", "plan_import"]

TOOL = f"kg {__version__}"
_SOURCE_GRAPH_PREFIX = HNID + "graph/source/"


@dataclass
class SourceMeta:
    """What the contributor says about the file: it becomes the graph's source node."""

    title: str
    publisher: str
    date: datetime.date | None = None
    licence: str | None = None


@dataclass
class ImportPlan:
    """What an import would change; `quads` the quads to add, `removed_quads` those to remove."""

    kind: str
    graph: str
    source_iri: str
    problems: list[CellProblem]
    quads: list[ox.Quad]
    added: list[str]
    changed: list[str]
    removed: list[str]
    removed_quads: list[ox.Quad] = field(default_factory=list)
    rows: int = 0
    file: Path | None = None
    sha256: str = ""
    meta: SourceMeta | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: kg.store.fingerprint.store_version of the store the plan was validated on, if the caller knows it:
    #: commit_import then skips validating the same change a second time when the store is unchanged
    store_version: str = ""

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[CellProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def report(self, lang: str = "both") -> str:
        """The problems, one per paragraph, German and English."""
        return "\n".join(p.text(lang) for p in sorted(self.problems, key=lambda p: (p.row or 0, p.column or "")))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _lit(value: str, dt: str | None = None) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(dt)) if dt else ox.Literal(value)


def source_node_quads(graph: str, source: str, meta: SourceMeta, kind: str, file_name: str, sha: str,
                      tool: str = TOOL) -> list[ox.Quad]:
    g, s = ox.NamedNode(graph), ox.NamedNode(source)
    out = [ox.Quad(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(HN_SPREADSHEET_CONTRIBUTION), g),
           ox.Quad(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(HN + "SourceDocument"), g),
           ox.Quad(s, ox.NamedNode(DCT_TITLE), ox.Literal(meta.title, language="de"), g),
           ox.Quad(s, ox.NamedNode(RDFS + "label"), ox.Literal(meta.title, language="de"), g),
           ox.Quad(s, ox.NamedNode(DCT_PUBLISHER), _lit(meta.publisher), g),
           ox.Quad(s, ox.NamedNode(HN_FILE_NAME), _lit(file_name), g),
           ox.Quad(s, ox.NamedNode(HN_SHA256), _lit(sha), g),
           ox.Quad(s, ox.NamedNode(HN_TOOL_VERSION), _lit(tool), g),
           ox.Quad(s, ox.NamedNode(HN_CONTRIBUTION_KIND), _lit(kind), g)]
    if meta.date:
        out.append(ox.Quad(s, ox.NamedNode(DCT_ISSUED), _lit(meta.date.isoformat(), XSD + "date"), g))
    if meta.licence:
        lic = ox.NamedNode(meta.licence) if meta.licence.startswith(("http://", "https://")) else _lit(meta.licence)
        out.append(ox.Quad(s, ox.NamedNode(DCT_LICENSE), lic, g))
    return out


def _is_contribution_target(store: Any, source: str) -> bool:
    """A graph of its own (new, or made by an earlier import), not a seed document's graph."""
    s = f"<{source}>"
    seed = f"ASK {{ {s} a <{HN}SourceDocument> FILTER NOT EXISTS {{ {s} a <{HN_SPREADSHEET_CONTRIBUTION}> }} }}"
    return not bool(store.query(seed, use_default_graph_as_union=True))


def _existing_kind(store: Any, graph: str, source: str) -> str | None:
    q = f"SELECT ?k WHERE {{ GRAPH <{graph}> {{ <{source}> <{HN_CONTRIBUTION_KIND}> ?k }} }}"
    for r in store.query(q):
        return str(r["k"].value)
    return None


def _old_quads(store: Any, graph: str, kind: Kind, subjects: set[str], gone: set[str], source: str) -> set[ox.Quad]:
    """The quads of `graph` an import of `kind` from `source` owns for `subjects`, and every quad of `gone`."""
    g = ox.NamedNode(graph)
    preds = managed_predicates(kind)
    classes = set(kind.subclasses.values()) | {kind.definition.cls}
    out: set[ox.Quad] = set()
    for s in subjects | gone:
        node = ox.NamedNode(s)
        for q in store.quads_for_pattern(node, None, None, g):
            owned = q.predicate.value in preds and (q.predicate.value != RDF_TYPE or q.object.value in classes)
            if s in gone or owned:
                out.add(q)
        for n in owned_nodes(store, graph, s):
            own = PARTICIPATION_PREDICATES if "/participation/" in n else AMOUNT_PREDICATES
            for q in store.quads_for_pattern(ox.NamedNode(n), None, None, g):
                if s in gone or q.predicate.value in own:
                    out.add(q)
        for n in figure_nodes(kind, s, source):  # made by a figure column: every quad of theirs
            out.update(store.quads_for_pattern(ox.NamedNode(n), None, None, g))
    return out


def _imported_before(store: Any, graph: str, kind: Kind) -> set[str]:
    classes = set(kind.subclasses.values()) | {kind.definition.cls}
    values = " ".join(f"<{c}>" for c in classes)
    q = (f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s <{SOURCE_ROW}> ?r ; a ?c VALUES ?c {{ {values} }} }} }}")
    return {str(r["s"].value) for r in store.query(q)}


def _bookkeeping(q: ox.Quad, source: str) -> bool:
    """A quad that says where data came from (row, source node), not what the data say."""
    return q.predicate.value == SOURCE_ROW or (isinstance(q.subject, ox.NamedNode) and q.subject.value == source)


def _has_errors(problems: list[CellProblem]) -> bool:
    return any(p.severity == "error" for p in problems)


def plan_import(store: Any, path: Path, kind: str, meta: SourceMeta, *, graph: str | None = None,
                tool: str = TOOL, resolver: Resolver | None = None, validate: bool = True) -> ImportPlan:
    """Parse, resolve, map and validate `path` as a `kind` spreadsheet against `store`; write nothing.

    `graph`: the named graph to import into (default: hnid:graph/source/{slug of the title}, a
    graph of its own). Importing into a seed document's graph (the round trip of what a source
    states) records no rows and leaves the source node as it is. `tool` and `resolver` are for
    `kg build`, which replays a kept contribution with the tool version it was imported with."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    path = Path(path)
    slug = slugify(meta.title)
    graph = graph or source_graph(slug)
    source = source_document(graph[len(_SOURCE_GRAPH_PREFIX):]) if graph.startswith(_SOURCE_GRAPH_PREFIX) \
        else source_document(slug)
    plan = ImportPlan(kind, graph, source, [], [], [], [], [], file=path, meta=meta)
    plan.timings = timings
    k = make_kind(store, kind)
    try:
        table = read_table(path)
    except SpreadsheetError as exc:  # not a spreadsheet, over a limit, a missing sheet
        letter = column_letter(exc.column) if exc.column else None
        plan.problems.append(CellProblem(exc.row, exc.header or letter, letter, exc.msg))
        return plan
    timings["parse"] = time.perf_counter() - t0
    for w in table.warnings:
        letter = column_letter(w.column) if w.column else None
        plan.problems.append(CellProblem(w.row, letter, letter, w.msg, "warning"))
    plan.rows = len(table.rows)
    plan.sha256 = _sha256(path)
    columns, problems = match_columns(table, k)
    plan.problems += problems
    if _has_errors(plan.problems):
        return plan
    contribution = _is_contribution_target(store, source)
    if contribution:
        existing = _existing_kind(store, graph, source)
        if existing and existing != kind:
            plan.problems.append(CellProblem(None, None, None, Msg(
                f"Der Beitrag „{meta.title}“ enthält schon {existing}; bitte einen anderen Titel wählen.",
                f"The contribution “{meta.title}” already holds {existing}; please choose another title.")))
            return plan
    t = time.perf_counter()
    resolver = resolver or Resolver(store)
    timings["index"] = time.perf_counter() - t
    t = time.perf_counter()
    mapper = Mapper(store, k, resolver, graph, source, record_rows=contribution)
    mapped: list[MappedRow] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        if is_comment(row):
            continue
        m = mapper.map_row(row, columns)
        if m is None:
            continue
        if m.iri in first_row:
            id_cell = row.get(columns["id"][1]) if "id" in columns else None
            col = columns.get("id" if id_cell is not None and id_cell.value else "label") or columns.get("id")
            mapper.problems.append(CellProblem(
                row.number, col[1] if col else None, col[2] if col else None,
                Msg(f"Doppelte Kennung {m.iri.rsplit('/', 1)[-1]}: schon in Zeile {first_row[m.iri]}. "
                    "Bitte eine eigene Kennung angeben.",
                    f"Duplicate identifier {m.iri.rsplit('/', 1)[-1]}: already in row {first_row[m.iri]}. "
                    "Please give an identifier of its own.")))
            continue
        first_row[m.iri] = row.number
        mapped.append(m)
    plan.problems += mapper.problems
    timings["resolve_map"] = time.perf_counter() - t
    if _has_errors(plan.problems):
        timings["total"] = time.perf_counter() - t0
        return plan
    # the change
    t = time.perf_counter()
    new: set[ox.Quad] = {q for m in mapped for q in m.quads}
    if contribution:
        new |= set(source_node_quads(graph, source, meta, kind, path.name, plan.sha256, tool))
    subjects = {m.iri for m in mapped}
    before = _imported_before(store, graph, k) if contribution else set()
    gone = before - subjects
    old = _old_quads(store, graph, k, subjects, gone, source)
    if contribution:
        old |= set(store.quads_for_pattern(ox.NamedNode(source), None, None, ox.NamedNode(graph)))
    plan.quads = sorted(new - old, key=str)
    plan.removed_quads = sorted(old - new, key=str)
    if all(_bookkeeping(q, source) for q in (*plan.quads, *plan.removed_quads)):
        # the same data from another file (an export, rows in another order): the graph keeps
        # describing the file it came from, rows and checksum included — nothing changes
        plan.quads, plan.removed_quads = [], []
    existing_subjects = {str(q.subject.value) for q in old if isinstance(q.subject, ox.NamedNode)}
    changed_subjects = {str(q.subject.value) for q in (*plan.quads, *plan.removed_quads)
                        if isinstance(q.subject, ox.NamedNode)}
    owner = {n: m.iri for m in mapped for n in m.nodes}
    touched = {owner.get(s, s) for s in changed_subjects} - {source}
    plan.added = sorted(s for s in touched if s in subjects and s not in existing_subjects)
    plan.changed = sorted(s for s in touched if s in subjects and s in existing_subjects)
    plan.removed = sorted(gone)
    timings["diff"] = time.perf_counter() - t
    if validate and (plan.quads or plan.removed_quads):
        t = time.perf_counter()
        plan.problems += validate_plan(store, plan, mapped, k)
        timings["validate"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return plan


# ---------------------------------------------------------------------------------- validation

_SHAPES: dict[bytes, Any] = {}


def _shapes(store: Any) -> Any:
    import rdflib

    from kg.shacl.compile import ShapesGraph

    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(HNID + "graph/shapes"))
    key = hashlib.blake2b(data, digest_size=16).digest()
    if key not in _SHAPES:
        _SHAPES.clear()
        _SHAPES[key] = ShapesGraph(rdflib.Graph().parse(data=data, format="nt"))
    return _SHAPES[key]


_MODEL_GRAPHS = ("ontology", "alignment", "schemes")
_NOT_DATA = {HNID + "graph/inferred", HNID + "graph/shapes"}


def _context(store: Any, nodes: set[str], graph: str) -> list[ox.Quad]:
    """What validating `nodes` needs from the whole graph, outside `graph`: the model (classes,
    concepts), every other graph's statements about the nodes and pointing to them, and the types
    and schemes of everything those statements and the import's quads link to."""
    out: list[ox.Quad] = []
    for name in _MODEL_GRAPHS:
        out.extend(store.quads_for_pattern(None, None, None, ox.NamedNode(HNID + "graph/" + name)))
    skip = _NOT_DATA | {graph} | {HNID + "graph/" + name for name in _MODEL_GRAPHS}
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in skip]
    linked: set[Any] = set()
    for n in nodes:
        node = ox.NamedNode(n)
        for g in graphs:
            for q in store.quads_for_pattern(node, None, None, g):
                out.append(q)
                linked.add(q.object)
            for q in store.quads_for_pattern(None, None, node, g):
                out.append(q)
                linked.add(q.subject)
    return out + _types_of(store, linked, graphs)


def _types_of(store: Any, terms: Iterable[Any], graphs: list[Any]) -> list[ox.Quad]:
    rdf_type, in_scheme = ox.NamedNode(RDF_TYPE), ox.NamedNode(SKOS + "inScheme")
    out: list[ox.Quad] = []
    for t in set(terms):
        if isinstance(t, ox.NamedNode):
            for g in graphs:
                out.extend(store.quads_for_pattern(t, rdf_type, None, g))
            out.extend(store.quads_for_pattern(t, in_scheme, None, None))
    return out


def validate_plan(store: Any, plan: ImportPlan, mapped: list[MappedRow], kind: Kind) -> list[CellProblem]:
    """SHACL (native engine, kg.shacl) on what the change touches, in the context of the whole graph:
    the violations the change would bring, each placed at its row and column.

    Why not kg.shacl.incremental over the whole store: at 1,000 rows its exact per-node evaluation
    took 50 s (most of it target checks of 2,500 candidate nodes against 80 shapes); here the nodes
    of the import, everything the other graphs state about them and the types of what they link to
    go into two small stores (before, after) and the compiled SPARQL of the native engine finds
    the violations in each: those only after are the change's."""
    from kg.shacl.engine import validate_results

    shapes = _shapes(store)
    g = ox.NamedNode(plan.graph)
    nodes = {n for m in mapped for n in m.nodes} | set(plan.removed)
    nodes |= {q.subject.value for q in (*plan.quads, *plan.removed_quads) if isinstance(q.subject, ox.NamedNode)}
    context = _context(store, nodes, plan.graph)
    mine_before = [q for n in nodes for q in store.quads_for_pattern(ox.NamedNode(n), None, None, g)]
    removed = set(plan.removed_quads)
    mine_after = [q for q in mine_before if q not in removed] + list(plan.quads)
    linked = [q.object for q in plan.quads]
    skip = _NOT_DATA | {plan.graph}
    graphs = [x for x in store.named_graphs() if isinstance(x, ox.NamedNode) and x.value not in skip]
    context += _types_of(store, linked, graphs)

    def results(quads: list[ox.Quad]) -> list[Any]:
        mem = ox.Store()
        mem.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in (*context, *quads))
        return [r for r in validate_results(mem, shapes.g) if str(r.shape.severity).endswith("#Violation")]

    def key(r: Any) -> tuple[Any, ...]:
        return (r.focus, str(r.shape.node), str(r.component), r.value, str(r.path))

    old = {key(r) for r in results(mine_before)}
    fresh = [r for r in results(mine_after) if key(r) not in old]
    if not fresh:
        return []
    row_of = {n: m.row for m in mapped for n in m.nodes}
    column_of = {n: where for m in mapped for n, where in m.node_columns.items()}
    by_pred: dict[str, list[Any]] = {}
    for c in kind.columns:
        if c.predicate:
            by_pred.setdefault(c.predicate, []).append(c)
    out: list[CellProblem] = []
    for r in fresh:
        focus = getattr(r.focus, "value", str(r.focus))
        pred = str(r.path) if r.path is not None else ""
        cols = by_pred.get(pred, [])
        col = cols[0] if cols else None
        header = col.header() if col else column_of.get(focus, (None, None))[0]
        de = next((str(m) for m in r.shape.messages if getattr(m, "language", None) == "de"), "")
        en = next((str(m) for m in r.shape.messages if getattr(m, "language", None) == "en"), "")
        comp = str(r.component).rsplit("#", 1)[-1]
        value = f" (Wert / value: {getattr(r.value, 'value', r.value)})" if r.value is not None else ""
        msg = Msg((de or f"Verstoß gegen {comp}") + value, (en or f"violates {comp}") + value)
        out.append(CellProblem(row_of.get(focus), header, None, msg))
    return out


# ---------------------------------------------------------------------------------- commit


@dataclass
class _Settings:
    store_path: Path


class _WriteState:
    """What kg.graph.write.apply_update needs of a server's state, for one command-line write."""

    def __init__(self, store: Any, store_path: Path) -> None:
        self.store = store
        self.settings = _Settings(store_path)
        self.snapshot_root = store_path.parent
        self.write_lock = threading.Lock()

    def committed(self, update: str | None = None) -> None:
        """No readers to tell: a running server notices the changed store directory itself."""


def _data(quads: list[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    return "\n".join(f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items())


def update_text(plan: ImportPlan) -> str:
    ops = []
    if plan.removed_quads:
        ops.append("DELETE DATA {\n" + _data(plan.removed_quads) + "\n}")
    if plan.quads:
        ops.append("INSERT DATA {\n" + _data(plan.quads) + "\n}")
    return " ;\n".join(ops)


@dataclass
class CommitResult:
    changed: bool
    kept: Path | None
    timings: dict[str, float]
    change_id: str | None = None
    #: why the contribution was not kept although a project root was given (the write stands)
    keep_warning: Msg | None = None


def kept_file_bytes(plan: ImportPlan, fmt: str) -> tuple[bytes, str, bool]:
    """(content, suffix, is a directory) of what is kept for `plan`: the file itself; for an HSDS
    directory, one JSON file of the services read from it (kg.graph.kept)."""
    assert plan.file is not None
    if plan.file.is_dir():
        from kg.graph.hsds_import import read_services, services_json

        return services_json(read_services(plan.file)), ".json", True
    return plan.file.read_bytes(), plan.file.suffix, False


def commit_import(store_path: Path, plan: ImportPlan, *, project_root: Path | None = None,
                  store: Any | None = None, fmt: str = "spreadsheet", into_source: str | None = None) -> CommitResult:
    """Write `plan` to the store at `store_path`, all or nothing, through kg.graph.write.apply_update
    (validated again there: the store may have changed since the plan). With `project_root`, the
    file and its metadata are kept under data/contributions/ (kg.graph.kept; `fmt` "spreadsheet"
    or "hsds", `into_source` the seed source of `--into-source`) so that `kg build` rebuilds the
    same graph: refused before anything is written if that directory cannot be written; a failure
    after the commit leaves the write and says so in `keep_warning`. `store`: an open writable
    handle (a server's), else the store is opened. The change is validated again (kg.graph.write)
    unless `plan.store_version` says the store is still the one the plan was validated on."""
    from kg.graph import kept as keeping
    from kg.graph.write import apply_update
    from kg.store.fingerprint import store_version
    from kg.store.swap import store_lock

    if not plan.ok:
        raise ImportRefused("The file has errors; nothing was written.\n" + plan.report("en"),
                            de="Die Datei hat Fehler; nichts wurde geschrieben.\n" + plan.report("de"))
    store_path = Path(store_path)
    text = update_text(plan)
    keep = project_root is not None and plan.file is not None
    if keep:
        assert project_root is not None
        try:
            keeping.check_writable(project_root)
        except OSError as exc:
            where = keeping.contributions_dir(project_root)
            raise ImportRefused(f"{where} cannot be written ({exc}); nothing was written (kg build would not "
                                "rebuild the import)",
                                de=f"{where} ist nicht beschreibbar ({exc}); nichts wurde geschrieben.") from None
    if not text:  # nothing changes; the file is kept only if it is new
        return CommitResult(False, None, {})
    data, suffix, is_dir = kept_file_bytes(plan, fmt) if keep else (b"", "", False)
    with store_lock(store_path):
        # the plan validated exactly this change on this store; validate again only if the store
        # changed since (another write between plan and commit). Taken before opening the store
        # for writing, which itself changes its files.
        validate = not plan.store_version or plan.store_version != store_version(store_path)
        handle = store if store is not None else ox.Store(str(store_path))
        state = _WriteState(handle, store_path)
        meta = ChangeMeta("cli", "hsds-import" if fmt == "hsds" else "import", source=plan.graph)
        with state.write_lock:
            outcome = apply_update(state, text, base_iri=None, validate=validate, graphs={plan.graph}, meta=meta)
        handle.flush()
        del handle, state
    if not outcome.ok:
        raise ImportRefused(f"The store refused the import ({outcome.kind}); nothing was written.\n"
                            f"{outcome.report_text or outcome.message}",
                            de="Der Store hat den Import abgelehnt; nichts wurde geschrieben.")
    if not keep:
        return CommitResult(True, None, outcome.timings, outcome.change_id)
    assert project_root is not None and plan.file is not None and plan.meta is not None
    m = plan.meta
    source = {"title": m.title, "publisher": m.publisher, "licence": m.licence,
              "date": m.date.isoformat() if m.date else None}
    try:
        kept = keeping.keep(project_root, data, format=fmt, kind=plan.kind, graph=plan.graph,
                            original_file_name=plan.file.name, suffix=suffix, source=source, approved_by="cli",
                            via="kg hsds import" if fmt == "hsds" else "kg import", change_id=outcome.change_id,
                            into_source=into_source, original_is_directory=is_dir)
    except OSError as exc:
        return CommitResult(True, None, outcome.timings, outcome.change_id,
                            keeping.not_kept_message(str(exc), project_root))
    return CommitResult(True, kept, outcome.timings, outcome.change_id)


_ = GRAPH_ONTOLOGY
