"""`kg build`: sources → new on-disk store → SHACL validation → inference → atomic swap.

The previous store is never written to. Everything happens in a fresh directory next to the
target (`.{name}.building-{pid}`); only when parsing, loading, validation and inference have all
succeeded is it renamed into place. A failed build deletes its own directory and leaves the old
store byte-identical. The swap and its crash recovery are kg.store.swap's.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import rdf as ns
from kg import store as kstore
from kg.errors import BuildError, BuildValidationError, KgError
from kg.graph.infer import InferenceResult, infer
from kg.graph.reference import reference_quads
from kg.graph.sources import ParsedSource, SourceFile, discover, parse_sources
from kg.shacl import DEFAULT_ENGINE, validate
from kg.shacl.engine import report_graph, validate_results
from kg.shacl.report import ValidationReport, filter_report, merge_reports, report_from_graph, shorten
from kg.sparql.params import require_valid_query_files
from kg.store.swap import building_path, check_target, recover, store_lock, swap_into_place

Progress = Callable[[str], None]

GRAPH_BUILD = ns.GRAPH_BUILD
_NOT_DATA = {ns.GRAPH_SHAPES, ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT, ns.GRAPH_INFERRED, GRAPH_BUILD}


@dataclass
class BuildResult:
    """What a successful build produced (for the CLI summary, the tests and the benchmarks)."""

    store_path: Path
    graph_counts: dict[str, int]
    inferred: InferenceResult
    report: ValidationReport
    sources: list[str]
    reference_included: bool
    timings: dict[str, float] = field(default_factory=dict)
    #: the build's own record in the change history (kg.graph.changes, action "build")
    change_id: str | None = None
    #: recorded changes since the last build that this build replaced (not kept in data/)
    unkept_changes: list[str] = field(default_factory=list)
    #: kept contributions not replayed because they need the reference data (`--no-reference`)
    skipped_contributions: list[str] = field(default_factory=list)

    @property
    def total_triples(self) -> int:
        return sum(self.graph_counts.values())


# --------------------------------------------------------------------------- helpers


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def reference_available(project_root: Path) -> bool:
    """True if data/reference/ holds CSV files for the reference importer (kg.graph.reference)."""
    ref_dir = project_root / "data" / "reference"
    return ref_dir.is_dir() and any(ref_dir.glob("*.csv"))


def _reference_quads(project_root: Path, skip_graphs: set[str]) -> Iterator[ox.Quad]:
    """The reference importer's quads, minus graphs we already loaded from files ourselves
    (statutes.ttl is parsed by kg.graph.sources for exact error positions)."""
    skip = {ox.NamedNode(g) for g in skip_graphs}
    try:
        for q in reference_quads(project_root / "data" / "reference"):
            if q.graph_name not in skip:
                yield q
    except (ValueError, SyntaxError) as exc:
        raise BuildError(f"reference data: {exc}") from None


class _Timer:
    """Wall and CPU seconds per step: on a shared machine the CPU time is the comparable figure."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress or (lambda _msg: None)
        self.timings: dict[str, float] = {}
        self._cpu = time.process_time()

    def step(self, name: str, started: float, detail: str) -> None:
        secs = time.perf_counter() - started
        cpu = time.process_time() - self._cpu
        self._cpu = time.process_time()
        self.timings[name] = round(secs, 3)
        self.timings[f"{name}_cpu"] = round(cpu, 3)
        self.progress(f"{name}: {detail} ({secs:.1f} s, cpu {cpu:.1f} s)")


def _graph_display(sources: list[SourceFile]) -> Callable[[str], str]:
    by_graph: dict[str, list[str]] = {}
    for s in sources:
        by_graph.setdefault(s.graph, []).append(s.display)

    def display(graph: str) -> str:
        files = by_graph.get(graph)
        return f"{shorten(graph)} ({', '.join(files)})" if files else shorten(graph)

    return display


def graphs_describing(store: ox.Store, display: Callable[[str], str]) -> Callable[[str], list[str]]:
    """For reports: which graphs (and thus files) state something about a focus node."""

    def lookup(iri: str) -> list[str]:
        if iri.startswith("_:") or not iri.startswith(("http://", "https://", "urn:")):
            return []
        q = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }} ORDER BY ?g"
        try:
            return [display(r["g"].value) for r in store.query(q)]
        except (SyntaxError, OSError):
            return []

    return lookup


REFERENCE_KINDS: tuple[str, ...] = (ns.HNID + "area/", ns.HNID + "health-office/")


def _soften_missing_reference(store: ox.Store, report: ValidationReport) -> int:
    """Without the reference data, a link to `hnid:area/...` cannot satisfy sh:class because the
    area is simply not loaded. Such results become warnings that say so (the full build checks
    them for real); results about anything else stay violations."""
    n = 0
    for r in list(report.violations):
        iri = r.value_iri
        if (r.constraint_component.endswith("#ClassConstraintComponent") and iri
                and iri.startswith(REFERENCE_KINDS)
                and next(iter(store.quads_for_pattern(ox.NamedNode(iri), None, None)), None) is None):
            report.downgrade(r, "Warning",
                             "nicht prüfbar: Referenzdaten nicht geladen (--no-reference)",
                             "not checkable: reference data not loaded (--no-reference)")
            n += 1
    if n:
        report.notes.append(f"{n} class check(s) on reference IRIs downgraded to warnings: reference data not loaded")
    return n


BULK_REFERENCE_PREFIX = ns.HNID + "graph/reference/"
RDF_TYPE = ns.RDF_TYPE
RDFS_LABEL = ns.RDFS_LABEL


def _is_bulk_reference(graph: str) -> bool:
    """The imported reference graphs (Destatis, health offices); statutes.ttl is curated by hand
    and validated with the curated data."""
    return graph.startswith(BULK_REFERENCE_PREFIX) and graph != ns.GRAPH_REFERENCE_STATUTES


def _subject_iris(store: ox.Store, graphs: Iterable[str]) -> set[str]:
    return {q.subject.value for g in graphs for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
            if isinstance(q.subject, ox.NamedNode)}


def mentioned_iris(store: ox.Store, graphs: Iterable[str]) -> set[ox.NamedNode]:
    """Every IRI used as subject or object in the given graphs."""
    mentioned: set[ox.NamedNode] = set()
    for g in graphs:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g)):
            for t in (q.subject, q.object):
                if isinstance(t, ox.NamedNode):
                    mentioned.add(t)
    return mentioned


def linked_reference_context(store: ox.Store, curated: list[str], refs: list[str]) -> list[ox.Quad]:
    """What the curated data needs from the reference data to be validated on its own: for every
    IRI the curated graphs mention, its reference description (with blank-node closure) and the
    rdf:type of the IRIs that description points to (so sh:class on e.g. hn:partOf can be checked)."""
    ref_nodes = [ox.NamedNode(r) for r in refs]
    mentioned = mentioned_iris(store, curated)
    out: list[ox.Quad] = []
    seen: set[object] = set()
    rdf_type = ox.NamedNode(RDF_TYPE)

    def describe(node: ox.NamedNode | ox.BlankNode, with_types_of_objects: bool) -> None:
        if node in seen:
            return
        seen.add(node)
        for r in ref_nodes:
            for q in store.quads_for_pattern(node, None, None, r):
                out.append(q)
                if isinstance(q.object, ox.BlankNode):
                    describe(q.object, with_types_of_objects)
                elif with_types_of_objects and isinstance(q.object, ox.NamedNode) and q.object not in seen:
                    for r2 in ref_nodes:
                        out.extend(store.quads_for_pattern(q.object, rdf_type, None, r2))

    for node in mentioned:
        describe(node, True)
    return out


def _labels_graph(store: ox.Store, iris: Iterable[str]) -> Any:
    """rdfs:label triples of the given IRIs (for readable reports from a cached result)."""
    import rdflib

    g = rdflib.Graph()
    label = ox.NamedNode(RDFS_LABEL)
    for iri in iris:
        kstore.add_to_rdflib(g, store.quads_for_pattern(ox.NamedNode(iri), label, None))
    return g


def validation_cache_key(project_root: Path, engine: str = DEFAULT_ENGINE) -> str:
    """Hash of everything the validation of the bulk reference data depends on: the reference
    files and importer, the ontology, shapes and schemes, the engine, and the validation code."""
    import hashlib
    from importlib.metadata import version

    h = hashlib.sha256(f"{engine} pyshacl {version('pyshacl')} pyoxigraph {version('pyoxigraph')}".encode())
    pkg = Path(__file__).resolve().parent
    files = sorted((project_root / "data" / "reference").glob("*")) + sorted((project_root / "ontology").rglob("*.ttl"))
    files += [pkg / "reference.py", pkg / "build.py", *sorted((pkg.parent / "shacl").glob("*.py"))]
    for f in files:
        if f.is_file():
            h.update(str(f.name).encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:24]


def _native_in_place(store: ox.Store, graphs: list[str], shapes: Any, ontology: Any, graphs_of: Any, label: str,
                     say: Progress) -> ValidationReport:
    """The native engine on graphs of the store itself: the same quads the rdflib copy would hold
    (ontology and alignment mixed in), without copying 250k reference triples into rdflib and back."""
    t = time.perf_counter()
    say(f"validate {label}: native engine in place on {len(graphs)} graphs …")
    results = validate_results(store, shapes, data_graph=graphs,
                               ontology_graphs=[ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT])
    focus = {r.focus.value for r in results if isinstance(r.focus, ox.NamedNode)}
    rep = report_from_graph(report_graph(results, shapes), shapes, _labels_graph(store, focus), ontology,
                            engine="native", graphs_of=graphs_of)
    rep.seconds = time.perf_counter() - t
    rep.notes.append(f"{label}: native in place, validation {rep.seconds:.1f} s, {len(rep.violations)} violation(s)")
    return rep


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while rdflib builds and pyshacl walks graphs of
    hundreds of thousands of objects: the repeated full collections cost ~25 % of the CPU time
    and free nothing (the graphs are alive until the end). Collected once afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def validate_store(
    store: ox.Store,
    *,
    engine: str = DEFAULT_ENGINE,
    sources: list[SourceFile] | None = None,
    progress: Progress | None = None,
    reference_loaded: bool = True,
    cache_dir: Path | None = None,
    cache_key: str | None = None,
) -> ValidationReport:
    """Validate the data graphs of a store against its shapes graph (ontology for subclassing);
    see _validate_store for how the work is split and cached."""
    with gc_paused():
        return _validate_store(store, engine=engine, sources=sources, progress=progress,
                               reference_loaded=reference_loaded, cache_dir=cache_dir, cache_key=cache_key)


def _validate_store(
    store: ox.Store,
    *,
    engine: str,
    sources: list[SourceFile] | None,
    progress: Progress | None,
    reference_loaded: bool,
    cache_dir: Path | None,
    cache_key: str | None,
) -> ValidationReport:
    """Validate as validate_store says (called with the garbage collector paused).

    The data are all named graphs except shapes, ontology, alignment, inferred and build.
    Validating all of them at once costs ~30 s of CPU with either engine (pyshacl, and today the
    native one too: measured on the real data), so when the reference data is loaded the work is
    split by concern, without leaving anything unchecked:

    A. the curated graphs plus the complete reference description of every IRI they mention
       (blank-node closure, and the types of what it points to) — fast, every build. Its results
       count for the nodes the curated data mentions; results on other reference nodes (seen only
       through the context) are left to B, which sees all their data;
    B. the bulk reference graphs (with the schemes); its result depends only on files hashed into
       `cache_key`, so it is stored in `cache_dir` and reused until one of them changes.

    Results found by both (a reference node the curated data mentions) are reported once. The
    split is exact for shapes whose paths stay within a node's own description, its blank nodes
    and the types of its values (all shapes of ontology/shapes/ today); a shape reaching further
    into the reference data would show up as a spurious violation in A, not as a missed one.
    """
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    data_graphs = [g for g in graphs if g not in _NOT_DATA]
    refs = [g for g in data_graphs if _is_bulk_reference(g)]
    curated = [g for g in data_graphs if g not in refs]
    say = progress or (lambda _m: None)
    graphs_of = graphs_describing(store, _graph_display(sources or []))

    t0 = time.perf_counter()
    shapes = kstore.to_rdflib(store, [ns.GRAPH_SHAPES])
    ontology = kstore.to_rdflib(store, [ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT])

    def run(data: Any, label: str, conv: float) -> ValidationReport:
        n = len(data)
        say(f"validate {label}: {n} data triples, {len(shapes)} shape triples ({conv:.1f} s to copy); "
            f"running {engine} …")
        rep = validate(data, shapes, ontology, engine=engine, inplace=True, graphs_of=graphs_of)
        rep.notes.append(f"{label}: {engine} on {n} data triples, copy {conv:.1f} s, validation {rep.seconds:.1f} s, "
                         f"{len(rep.violations)} violation(s)")
        return rep

    if not refs:
        data = kstore.to_rdflib(store, data_graphs)
        report = run(data, "all data", time.perf_counter() - t0)
    else:
        # A: curated data + the reference context it links to
        data = kstore.to_rdflib(store, curated)
        context = linked_reference_context(store, curated, refs)
        kstore.add_to_rdflib(data, context)
        part_a = run(data, f"curated data ({len(curated)} graphs, {len(context)} linked reference triples)",
                     time.perf_counter() - t0)
        del data
        curated_nodes = {n.value for n in mentioned_iris(store, curated)}
        ref_subjects = _subject_iris(store, refs)
        part_a, left = filter_report(
            part_a, lambda r: r.focus_iri is None or r.focus_iri in curated_nodes or r.focus_iri not in ref_subjects)
        if left:
            part_a.notes.append(f"{left} result(s) on pure reference nodes left to the reference validation")

        # B: the bulk reference data, cached by the hash of its inputs
        cached = cache_dir / f"reference-{cache_key}.ttl" if cache_dir is not None and cache_key else None
        reused = cached is not None and cached.is_file()
        if reused:
            import rdflib

            t = time.perf_counter()
            rg = rdflib.Graph().parse(cached, format="turtle")
            focus = {str(o) for o in rg.objects(None, rdflib.URIRef(ns.SH + "focusNode"))}
            part_b = report_from_graph(rg, shapes, _labels_graph(store, focus), ontology, engine=engine,
                                       graphs_of=graphs_of)
            part_b.seconds = time.perf_counter() - t
            part_b.notes.append(f"reference data ({len(refs)} graphs): result reused from {cached} "
                                f"(inputs unchanged), {len(part_b.violations)} violation(s)")
            say(f"validate reference data: reused cached result ({len(part_b.results)} results)")
        elif engine == "native":
            part_b = _native_in_place(store, [*refs, ns.GRAPH_SCHEMES], shapes, ontology, graphs_of,
                                      f"reference data ({len(refs)} graphs)", say)
        else:
            t = time.perf_counter()
            data = kstore.to_rdflib(store, [*refs, ns.GRAPH_SCHEMES])
            part_b = run(data, f"reference data ({len(refs)} graphs)", time.perf_counter() - t)
            del data
        if not reused:
            part_b, left = filter_report(part_b, lambda r: r.focus_iri is None or r.focus_iri in ref_subjects)
            if left:
                part_b.notes.append(f"{left} result(s) on non-reference nodes left to the curated-data validation")
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".tmp-{os.getpid()}")
                tmp.write_text(part_b.to_turtle(), encoding="utf-8")
                os.replace(tmp, cached)
                for stale in cached.parent.glob("reference-*.ttl"):  # results of older inputs
                    if stale != cached:
                        stale.unlink(missing_ok=True)
        report = merge_reports([part_a, part_b], engine=engine)
    if not len(shapes):
        report.notes.append("no shapes found (ontology/shapes/*.ttl): nothing was checked")
    if not reference_loaded:
        _soften_missing_reference(store, report)
    return report


def _metadata_quads(project_root: Path, counts: dict[str, int]) -> list[ox.Quad]:
    """The hnid:graph/build graph: when the store was built, from which commit, and the triple
    count of every graph (void:triples). Only standard vocabulary (PROV, VoID, DOAP), so the
    metadata never needs terms the ontology does not define."""
    g = ox.NamedNode(GRAPH_BUILD)
    s = ox.NamedNode(ns.BUILD_NODE)
    xsd = ns.XSD
    prov = ns.PROV
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    quads = [
        ox.Quad(s, ox.NamedNode(ns.RDF_TYPE), ox.NamedNode(prov + "Activity"), g),
        ox.Quad(s, ox.NamedNode(ns.RDFS_LABEL), ox.Literal("kg build"), g),
        ox.Quad(s, ox.NamedNode(prov + "endedAtTime"), ox.Literal(now, datatype=ox.NamedNode(xsd + "dateTime")), g),
    ]
    commit = _git_commit(project_root)
    if commit:
        quads.append(ox.Quad(s, ox.NamedNode("http://usefulinc.com/ns/doap#revision"), ox.Literal(commit), g))
    void = ns.VOID
    for graph, n in sorted(counts.items()):
        if not graph:
            continue
        quads.append(ox.Quad(s, ox.NamedNode(prov + "generated"), ox.NamedNode(graph), g))
        quads.append(ox.Quad(ox.NamedNode(graph), ox.NamedNode(void + "triples"),
                             ox.Literal(str(n), datatype=ox.NamedNode(xsd + "integer")), g))
    return quads


def _count_sources(parsed: Iterable[ParsedSource]) -> int:
    return sum(len(p.quads) for p in parsed)


# --------------------------------------------------------------------------- the build


def _replay(project_root: Path, store: ox.Store, with_reference: bool, skipped: list[str] | None = None) -> str:
    """The contributions kept under data/contributions/ (kg.graph.kept: kg import, kg hsds import,
    approvals on the web), replayed into the store after the curated and reference data they
    refer to, in the order accepted; validated with everything else.

    Without the reference data (`--no-reference`, or none found) every contribution is tried:
    an RDF upload or a spreadsheet naming no area replays, one that names an area does not map
    and is skipped — counted in the message, never silently. With the reference data a
    contribution that does not map fails the build."""
    from kg.graph.kept import kept_contributions, replay

    if not kept_contributions(project_root):
        return ""
    result = replay(project_root, store, skip_unresolved=not with_reference)
    out = f", {len(result.applied)} kept contributions ({result.quads} triples)"
    if skipped is not None:
        skipped += [v.file for v, _ in result.skipped]
    if result.skipped:
        names = ", ".join(v.file for v, _ in result.skipped)
        out += (f", {len(result.skipped)} skipped: they need the reference data, which is not loaded ({names}) / "
                f"{len(result.skipped)} übersprungen: sie brauchen die Referenzdaten")
    return out


# --------------------------------------------------------------------------- the history


def _old_history(store_path: Path) -> tuple[list[ox.Quad], int]:
    """The change history (graph/changes) of the store being replaced, if there is one, and how
    many other triples (not the history, not the build metadata) it holds: the history is carried
    into the new store, so `kg history` and /changes go on across builds. Read through a
    read-only handle (a server may hold the store open)."""
    if not kstore.is_store(store_path):
        return [], 0
    old = ox.Store.read_only(str(store_path))
    try:
        return history_of(old)
    finally:
        del old
        gc.collect()


def history_of(old: Any) -> tuple[list[ox.Quad], int]:
    """(the history quads, the other triples) of a store handle: the local store being replaced,
    or the remote one `kg build --store URL` publishes to (kg.store.remote.RemoteStore)."""
    history = list(old.quads_for_pattern(None, None, None, ox.NamedNode(ns.GRAPH_CHANGES)))
    meta = sum(1 for _ in old.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_BUILD)))
    return history, max(0, len(old) - len(history) - meta)


def unkept_changes(history_store: ox.Store, project_root: Path) -> list[str]:
    """The recorded changes since the last build that the build does not rebuild: not an accepted
    contribution kept under data/contributions/ (nor a revert of one) — SPARQL Updates and Graph
    Store writes by an admin, and contributions that could not be kept. Oldest first."""
    from kg.graph import changes
    from kg.graph.kept import kept_change_ids

    infos = changes.history(history_store, limit=1_000_000)
    since: list[changes.ChangeInfo] = []
    for c in infos:  # newest first
        if c.action == "build":
            break
        since.append(c)
    kept = kept_change_ids(project_root)
    return [c.id for c in reversed(since) if c.id not in kept]


def _build_change(counts: dict[str, int], before: int, unkept: list[str]) -> tuple[str, list[ox.Quad]]:
    """The build as a recorded change (kg.graph.changes): action "build", the data triples before
    and after, per graph how many it holds now (prov:generated → sd:NamedGraph with sd:name and
    void:triples), no quads — not revertible: a build is undone by building again."""
    from kg.graph import changes

    change_id = changes.new_id()
    comment = None
    if unkept:
        comment = (f"replaced {len(unkept)} recorded change(s) since the last build that are not kept in data/: "
                   + ", ".join(unkept))
    meta = changes.ChangeMeta("cli", "build", comment=comment)
    quads = changes.record_quads(change_id, meta, [], [])
    g = ox.NamedNode(ns.GRAPH_CHANGES)
    node = ox.NamedNode(changes.change_iri(change_id))
    data = {k: n for k, n in counts.items() if k and k not in _NOT_RECORDED}
    fixed = []
    for q in quads:
        if q.predicate.value == changes.P_REVERTIBLE:
            q = ox.Quad(q.subject, q.predicate, ox.Literal("false", datatype=ox.NamedNode(ns.XSD + "boolean")), g)
        elif q.predicate.value == changes.P_ADDED:
            q = ox.Quad(q.subject, q.predicate, ox.Literal(str(sum(data.values())),
                                                           datatype=ox.NamedNode(ns.XSD_INTEGER)), g)
        elif q.predicate.value == changes.P_REMOVED:
            q = ox.Quad(q.subject, q.predicate, ox.Literal(str(before), datatype=ox.NamedNode(ns.XSD_INTEGER)), g)
        fixed.append(q)
    for i, (graph, n) in enumerate(sorted(data.items()), 1):
        part = ox.NamedNode(f"{node.value}/graph/{i}")
        fixed += [ox.Quad(node, ox.NamedNode(changes.P_GRAPH), ox.NamedNode(graph), g),
                  ox.Quad(node, ox.NamedNode(ns.PROV + "generated"), part, g),
                  ox.Quad(part, ox.NamedNode(ns.RDF_TYPE), ox.NamedNode(ns.SD + "NamedGraph"), g),
                  ox.Quad(part, ox.NamedNode(ns.SD + "name"), ox.NamedNode(graph), g),
                  ox.Quad(part, ox.NamedNode(ns.VOID + "triples"),
                          ox.Literal(str(n), datatype=ox.NamedNode(ns.XSD_INTEGER)), g)]
    return change_id, fixed


#: graphs a build's change record does not count: not data (the model's graphs are counted: a
#: build replaces them too), and its own bookkeeping
_NOT_RECORDED = {ns.GRAPH_CHANGES, GRAPH_BUILD}


def build(
    project_root: Path,
    store_path: Path,
    *,
    include_reference: bool = True,
    engine: str = DEFAULT_ENGINE,
    progress: Progress | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    history: tuple[list[ox.Quad], int] | None = None,
) -> BuildResult:
    """Build the store at `store_path` from the project's sources, atomically.

    `history`: the change history to carry over and the data triples it replaces (`history_of`),
    when the store being replaced is not `store_path` (`kg build --store URL`: the remote's);
    default: the history of the store at `store_path`.

    `use_cache`: reuse the validation result of the bulk reference data when none of its inputs
    changed (kept in `cache_dir`, default `.cache/validation` next to the store; see validate_store).

    Raises SourceSyntaxError (a file does not parse), BuildValidationError (SHACL violations,
    with the report) or BuildError; in every failure case the previous store is left untouched.
    """
    project_root = Path(project_root).resolve()
    store_path = Path(store_path).absolute()
    timer = _Timer(progress)
    check_target(store_path)
    if store_path.parent.is_dir():
        with store_lock(store_path):
            for action in recover(store_path):
                timer.progress(f"recover: {action}")

    # 1. parse everything before touching the disk
    t = time.perf_counter()
    sources = discover(project_root)
    parsed = list(parse_sources(sources))
    timer.step("parse", t, f"{len(parsed)} files, {_count_sources(parsed)} triples")
    # the named queries are part of what is published: a broken one fails the build (file + message)
    t = time.perf_counter()
    n_queries = require_valid_query_files(project_root / "queries")
    timer.step("queries", t, f"{n_queries} query files parse")
    with_reference = include_reference and reference_available(project_root)
    # hashed before the reference files are read, so a cached result never outlives its inputs
    ref_key = validation_cache_key(project_root, engine) if use_cache and with_reference else None

    store_path.parent.mkdir(parents=True, exist_ok=True)
    work = building_path(store_path)
    if work.exists():
        shutil.rmtree(work)
    store: ox.Store | None = None
    try:
        # 2. load into a fresh store
        t = time.perf_counter()
        store = kstore.create(work)
        n = kstore.bulk_add(store, (q for p in parsed for q in p.quads))
        detail = f"{n} curated triples"
        if with_reference:
            own = {s.graph for s in sources}
            n_ref = kstore.bulk_add(store, _reference_quads(project_root, own))
            detail += f", {n_ref} reference triples"
        elif include_reference:
            detail += " (no reference data found)"
        else:
            detail += " (reference data skipped)"
        skipped: list[str] = []
        detail += _replay(project_root, store, with_reference, skipped)
        timer.step("load", t, detail)

        # 3. validate
        t = time.perf_counter()
        report = validate_store(store, engine=engine, sources=sources, progress=timer.progress,
                                reference_loaded=with_reference,
                                cache_dir=((cache_dir or store_path.parent / ".cache" / "validation")
                                           if use_cache else None),
                                cache_key=ref_key)
        n_warn = len(report.results) - len(report.violations)
        timer.step("validate", t, f"{len(report.violations)} violations, {n_warn} warnings/infos")
        if not report.conforms:
            raise BuildValidationError(report)

        # 4. infer
        t = time.perf_counter()
        inferred = infer(store)
        timer.step("infer", t, f"{inferred.total} triples (types {inferred.types}, properties {inferred.properties}, "
                               f"cooperatesWith {inferred.cooperates_with}, participatesIn {inferred.participates_in})")

        # 5. history, metadata, compact, flush, close — under the store's lock up to the swap, so
        # that no `kg import` commits to the old store between reading its history and the swap
        t = time.perf_counter()
        with store_lock(store_path):
            check_target(store_path)
            old_history, before = history if history is not None else _old_history(store_path)
            unkept: list[str] = []
            if old_history:
                mem = ox.Store()
                mem.extend(old_history)
                unkept = unkept_changes(mem, project_root)
                del mem
                store.extend(old_history)
            if unkept:
                timer.progress(f"warning: {len(unkept)} recorded change(s) since the last build are not kept in "
                               f"data/ and are replaced by this build (SPARQL Update / Graph Store writes, or "
                               f"contributions that could not be kept): {', '.join(unkept)} / Warnung: "
                               f"{len(unkept)} Änderung(en) seit dem letzten Build sind nicht in data/ gespeichert "
                               "und werden durch diesen Build ersetzt")
            counts = kstore.graph_counts(store)
            change_id, record = _build_change(counts, before, unkept)
            store.extend(record)
            store.extend(_metadata_quads(project_root, kstore.graph_counts(store)))
            counts = kstore.graph_counts(store)
            store.flush()
            # compacted SST files: queries on the served store cost 15-30 % less CPU (measured on
            # GROUP BY and 2-hop joins against the same data uncompacted, bench/bench_sparql.py)
            store.optimize()
            store = None
            gc.collect()

            # 6. swap
            swap_into_place(work, store_path)
        timer.step("swap", t, f"{sum(counts.values())} triples in {len(counts)} graphs → {store_path}; "
                              f"recorded as change {change_id} ({len(old_history)} history triples carried over)")
    except BaseException:
        store = None
        gc.collect()
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BuildResult(
        store_path=store_path,
        graph_counts=counts,
        inferred=inferred,
        report=report,
        sources=[s.display for s in sources],
        reference_included=with_reference,
        timings=timer.timings,
        change_id=change_id,
        unkept_changes=unkept,
        skipped_contributions=skipped,
    )


def validate_project(
    project_root: Path,
    *,
    include_reference: bool = True,
    engine: str = DEFAULT_ENGINE,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
) -> ValidationReport:
    """Validate the sources without building a store (used by `kg validate`).

    Loads them into an in-memory pyoxigraph store and runs the same validation as the build;
    `cache_dir` (if given) holds the reusable result of the bulk reference data.
    """
    project_root = Path(project_root).resolve()
    sources = discover(project_root)
    parsed = list(parse_sources(sources))
    store = ox.Store()
    store.bulk_extend(q for p in parsed for q in p.quads)
    with_reference = include_reference and reference_available(project_root)
    key = validation_cache_key(project_root, engine) if cache_dir is not None and with_reference else None
    if with_reference:
        store.bulk_extend(_reference_quads(project_root, {s.graph for s in sources}))
    _replay(project_root, store, with_reference)
    return validate_store(store, engine=engine, sources=sources, progress=progress, reference_loaded=with_reference,
                          cache_dir=cache_dir, cache_key=key)


__all__ = [
    "GRAPH_BUILD",
    "BuildResult",
    "KgError",
    "build",
    "validate_project",
    "validate_store",
]
