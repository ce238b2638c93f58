"""Tests of the SHACL shapes (ontology/shapes/*.ttl) against small Turtle cases.

Why: a shape that never fires, or fires on correct data, silently lets bad data into the graph or
blocks good data. Every node shape therefore has at least one conforming and one violating case in
tests/shacl/shapes_cases/<ShapeLocalName>/ (convention in tests/shacl/shapes_cases/README.md); the shapes are
discovered from the files, so a new shape without cases fails `test_every_node_shape_has_cases`.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

REPO_ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY_DIR = REPO_ROOT / "ontology"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
CASES_DIR = Path(__file__).resolve().parent / "shapes_cases"
BACKGROUND = CASES_DIR / "_background.ttl"

SH = Namespace("http://www.w3.org/ns/shacl#")
HNSH = Namespace("https://w3id.org/hilfenetz/shapes#")

pyshacl = pytest.importorskip("pyshacl")


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    graph = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The OWL modules: pyshacl needs their rdfs:subClassOf axioms for sh:class and sh:targetClass."""
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def node_shapes() -> dict[str, URIRef]:
    """Local name -> IRI of every named node shape in the shapes files."""
    return {
        str(s).rsplit("#", 1)[-1].rsplit("/", 1)[-1]: s
        for s in shapes_graph().subjects(RDF.type, SH.NodeShape)
        if isinstance(s, URIRef)
    }


# ------------------------------------------------------------------ case files


@dataclass(frozen=True)
class Case:
    path: Path
    shape_name: str
    conforms: bool
    expected: tuple[URIRef, ...]  # constraint components a violating case must trigger
    focus: tuple[URIRef, ...]  # extra sh:targetNode for shapes without a target

    @property
    def id(self) -> str:
        return f"{self.shape_name}/{self.path.stem}"


_EXPECT = re.compile(r"^#\s*expect:\s*(.+)$", re.MULTILINE)
_FOCUS = re.compile(r"^#\s*focus:\s*<([^>]+)>\s*$", re.MULTILINE)


def read_case(path: Path) -> Case:
    text = path.read_text(encoding="utf-8")
    expected = tuple(
        URIRef(str(SH) + name.strip().removeprefix("sh:"))
        for line in _EXPECT.findall(text)
        for name in line.split(",")
        if name.strip()
    )
    return Case(
        path=path,
        shape_name=path.parent.name,
        conforms=path.name.startswith("conforms-"),
        expected=expected,
        focus=tuple(URIRef(iri) for iri in _FOCUS.findall(text)),
    )


def all_cases() -> list[Case]:
    return [
        read_case(p)
        for p in sorted(CASES_DIR.glob("*/*.ttl"))
        if p.name.startswith(("conforms-", "violates-"))
    ]


@dataclass(frozen=True)
class Result:
    source_shape: URIRef | BNode
    component: URIRef
    focus: object
    path: object
    messages: tuple[Literal, ...]


def validate(data: Graph, focus: dict[URIRef, tuple[URIRef, ...]] | None = None) -> list[Result]:
    """Run pyshacl as the build does (ontology mixed in, no inference) and return every result."""
    shapes = shapes_graph()
    if focus:
        shapes = Graph() + shapes
        for shape, nodes in focus.items():
            for node in nodes:
                shapes.add((shape, SH.targetNode, node))
    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology_graph(),
        inference="none",
        allow_warnings=False,
        allow_infos=False,
    )
    return report_results(report)


def report_results(report: Graph, only_violations: bool = False) -> list[Result]:
    """The results of a pyshacl report graph (optionally only those of severity sh:Violation)."""
    return [
        Result(
            source_shape=report.value(r, SH.sourceShape),
            component=report.value(r, SH.sourceConstraintComponent),
            focus=report.value(r, SH.focusNode),
            path=report.value(r, SH.resultPath),
            messages=tuple(m for m in report.objects(r, SH.resultMessage) if isinstance(m, Literal)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
        if not only_violations or report.value(r, SH.resultSeverity) == SH.Violation
    ]


def describe(results: list[Result]) -> str:
    return "\n".join(
        f"  {r.focus} {r.path} {r.component.rsplit('#', 1)[-1]} from {r.source_shape}: "
        + " | ".join(str(m) for m in r.messages)
        for r in results
    )


def case_data(case: Case) -> Graph:
    graph = Graph()
    graph.parse(BACKGROUND, format="turtle")
    graph.parse(case.path, format="turtle")
    return graph


# ------------------------------------------------------------------ tests


def test_every_node_shape_has_cases() -> None:
    shapes = node_shapes()
    assert len(shapes) >= 20, f"suspiciously few node shapes found: {sorted(shapes)}"
    cases = all_cases()
    missing = []
    for name in sorted(shapes):
        kinds = {c.conforms for c in cases if c.shape_name == name}
        if True not in kinds:
            missing.append(f"{name}: no conforms-*.ttl")
        if False not in kinds:
            missing.append(f"{name}: no violates-*.ttl")
    assert missing == [], "shapes without test cases in tests/shacl/shapes_cases/:\n" + "\n".join(missing)


def test_every_case_directory_names_a_shape() -> None:
    """Catches typos in case directory names (a case for a non-existent shape tests nothing)."""
    unknown = sorted({c.shape_name for c in all_cases()} - set(node_shapes()))
    assert unknown == [], f"case directories without a node shape of that name: {unknown}"


def test_background_conforms() -> None:
    graph = Graph().parse(BACKGROUND, format="turtle")
    results = validate(graph)
    assert results == [], "the shared background must be valid:\n" + describe(results)


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.id)
def test_case(case: Case) -> None:
    shape = node_shapes().get(case.shape_name)
    assert shape is not None, f"no node shape named {case.shape_name}"
    results = validate(case_data(case), {shape: case.focus} if case.focus else None)
    if case.conforms:
        assert results == [], f"{case.path.name} should conform but got:\n" + describe(results)
        return
    assert case.expected, f"{case.path} lacks a '# expect: sh:...ConstraintComponent' header line"
    own = {shape, *shapes_graph().objects(shape, SH.property)}
    for component in case.expected:
        hits = [r for r in results if r.component == component and r.source_shape in own]
        assert hits, (
            f"{case.path.name}: expected {component.rsplit('#', 1)[-1]} from {case.shape_name}, got:\n"
            + describe(results)
        )
        for hit in hits:
            languages = {m.language for m in hit.messages}
            assert {"de", "en"} <= languages, f"result message lacks German or English text: {hit.messages}"


def _property_shapes(graph: Graph) -> set[URIRef | BNode]:
    return set(graph.objects(None, SH.property)) | set(graph.subjects(RDF.type, SH.PropertyShape))


def test_every_shape_has_german_and_english_message() -> None:
    graph = shapes_graph()
    missing = []
    for shape in sorted(set(node_shapes().values()) | _property_shapes(graph), key=str):
        languages = {m.language for m in graph.objects(shape, SH.message) if isinstance(m, Literal)}
        if not {"de", "en"} <= languages:
            owner = (shape if isinstance(shape, URIRef)
                     else f"{graph.value(None, SH.property, shape)} / {graph.value(shape, SH.path)}")
            missing.append(f"{owner}: sh:message in {sorted(languages, key=str) or 'no language'}")
    assert missing == [], "shapes without sh:message @de and @en:\n" + "\n".join(missing)


def test_message_check_reports_a_shape_without_english_message() -> None:
    """The message check above can fail: a property shape with only a German message is reported."""
    graph = Graph()
    node, prop = HNSH.ExampleShape, BNode()
    graph.add((node, RDF.type, SH.NodeShape))
    graph.add((node, SH.property, prop))
    graph.add((prop, SH.message, Literal("Nur Deutsch", lang="de")))
    languages = {m.language for m in graph.objects(prop, SH.message)}
    assert prop in _property_shapes(graph) and not {"de", "en"} <= languages


# ------------------------------------------------------------------ the project's own data


def _project_data() -> Graph:
    """Schemes, sources, curated seeds and statutes, plus the reference entries they point into.

    Only the reference nodes reachable from the curated data (areas, their parents, their source
    datasets) are added: the whole reference data is validated by the build and by the reference
    tests, and leaving the rest out keeps this test at a fraction of the full-union run time.
    """
    graph = Graph()
    paths = [
        *sorted((ONTOLOGY_DIR / "schemes").glob("*.ttl")),
        REPO_ROOT / "data" / "sources.ttl",
        REPO_ROOT / "data" / "reference" / "statutes.ttl",
        *sorted((REPO_ROOT / "data" / "seeds").glob("*.ttl")),
    ]
    for path in paths:
        if path.exists():
            graph.parse(path, format="turtle")
    reference = importlib.import_module("kg.graph.reference")
    by_subject: dict[URIRef | BNode, list[tuple]] = {}
    for quad in reference.reference_quads(REPO_ROOT / "data" / "reference"):
        triple = tuple(_to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object))
        by_subject.setdefault(triple[0], []).append(triple)
    todo = [o for o in graph.objects() if o in by_subject]
    seen: set = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in by_subject[node]:
            graph.add(triple)
            if triple[2] in by_subject and triple[2] not in seen:
                todo.append(triple[2])
    return graph


def _to_rdflib(term: object) -> URIRef | BNode | Literal:
    kind = type(term).__name__
    value = term.value
    if kind == "NamedNode":
        return URIRef(value)
    if kind == "BlankNode":
        return BNode(value)
    language = getattr(term, "language", None)
    return Literal(value, lang=language) if language else Literal(value, datatype=URIRef(term.datatype.value))


@pytest.mark.slow
def test_project_data_conforms() -> None:
    """The curated data, schemes and reference data conform (warnings allowed, as in the build)."""
    assert any((REPO_ROOT / "data" / "seeds").glob("*.ttl")), "no curated seed data"
    results = validate_allowing_warnings(_project_data())
    assert results == [], "violations in the project data:\n" + describe(results)


def validate_allowing_warnings(data: Graph) -> list[Result]:
    """Like `validate`, but returns only sh:Violation results, as the build treats warnings."""
    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        inplace=True,
    )
    return report_results(report, only_violations=True)


def untargeted_classes(used: set[URIRef]) -> list[str]:
    """hn: classes in `used` that no node shape targets, directly or through a superclass."""
    targets = set(shapes_graph().objects(None, SH.targetClass))
    ontology = ontology_graph()
    return sorted(
        str(cls)
        for cls in used
        if str(cls).startswith("https://w3id.org/hilfenetz/ontology#")
        and not set(ontology.transitive_objects(cls, RDFS.subClassOf)) & targets
    )



def test_every_class_used_in_the_data_is_targeted_by_a_shape() -> None:
    """Instances of a class no shape targets would escape validation entirely."""
    files = [REPO_ROOT / "data" / "sources.ttl", *sorted((REPO_ROOT / "data").rglob("*.ttl"))]
    graph = Graph()
    for path in dict.fromkeys(p for p in files if p.exists()):
        graph.parse(path, format="turtle")
    used = {o for o in graph.objects(None, RDF.type) if isinstance(o, URIRef)}
    assert used, "no typed resources in the curated data"
    assert untargeted_classes(used) == [], "classes with instances but no shape"


def test_untargeted_class_check_reports_a_class_without_shape() -> None:
    unshaped = URIRef("https://w3id.org/hilfenetz/ontology#Undeclared")
    youth_office = URIRef("https://w3id.org/hilfenetz/ontology#YouthWelfareOffice")
    assert untargeted_classes({unshaped, youth_office}) == [str(unshaped)]
