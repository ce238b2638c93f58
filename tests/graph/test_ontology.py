"""Tests of the OWL ontology (ontology/*.ttl) and the SKOS schemes (ontology/schemes/*.ttl).

Why: the ontology is the vocabulary every other part (data, shapes, queries, UI) relies on. These tests
check that it is consistent under an OWL 2 DL reasoner (HermiT), that every term is documented in German
and English, that the ontology metadata is complete, and that no hn: term is used anywhere in the
project without being declared.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

REPO_ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY_DIR = REPO_ROOT / "ontology"
SCHEMES_DIR = ONTOLOGY_DIR / "schemes"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
DATA_DIR = REPO_ROOT / "data"

HN = Namespace("https://w3id.org/hilfenetz/ontology#")
HNID = "https://w3id.org/hilfenetz/id/"
ONTOLOGY_IRI = URIRef("https://w3id.org/hilfenetz/ontology")
DCT = Namespace("http://purl.org/dc/terms/")
VANN = Namespace("http://purl.org/vocab/vann/")

DECLARATION_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
NON_OWL2_DATATYPES = {
    URIRef(XSD_NS + name)
    for name in ("date", "time", "gYear", "gYearMonth", "gMonth", "gMonthDay", "gDay", "duration",
                 "dayTimeDuration", "yearMonthDuration")
}
BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#")


def ontology_files() -> list[Path]:
    """All ontology modules, including the reference helper's areas.ttl when it exists."""
    return sorted(ONTOLOGY_DIR.glob("*.ttl"))


def scheme_files() -> list[Path]:
    return sorted(SCHEMES_DIR.glob("*.ttl"))


def parse_files(paths: Iterable[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def declared_hn_terms(graph: Graph) -> set[URIRef]:
    """hn: IRIs that the graph declares as a class or property."""
    declared: set[URIRef] = set()
    for kind in DECLARATION_TYPES:
        for subject in graph.subjects(RDF.type, kind):
            if isinstance(subject, URIRef) and str(subject).startswith(str(HN)):
                declared.add(subject)
    return declared


def hn_iris(graph: Graph) -> Iterator[URIRef]:
    """Every hn: IRI in any position of any triple."""
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef) and str(term).startswith(str(HN)):
                yield term


# ------------------------------------------------------------------ reasoner


def _declare_undeclared(graph: Graph) -> None:
    """Add OWL declarations for external terms used without one (e.g. skos:inScheme in the schemes).

    OWL 2 DL needs every entity declared; undeclared predicates are treated as annotation properties and
    undeclared types as classes, which is how OWL API-based tools read such RDF as well.
    """
    declared_props = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        declared_props.update(graph.subjects(RDF.type, kind))
    declared_classes = set(graph.subjects(RDF.type, OWL.Class))
    additions: list[tuple[URIRef, URIRef, URIRef]] = []
    for predicate in set(graph.predicates()):
        if predicate not in declared_props and not str(predicate).startswith(BUILTIN_NAMESPACES):
            additions.append((predicate, RDF.type, OWL.AnnotationProperty))
    for cls in set(graph.objects(None, RDF.type)):
        if isinstance(cls, URIRef) and cls not in declared_classes and not str(cls).startswith(BUILTIN_NAMESPACES):
            additions.append((cls, RDF.type, OWL.Class))
    for triple in additions:
        graph.add(triple)


def _owl_input_graph() -> Graph:
    graph = parse_files([*ontology_files(), *scheme_files()])
    # skos:memberList values are rdf:Lists, which OWL 2 DL reserves for its own syntax; the ordered
    # collection is a SKOS annotation structure, so the list cells are dropped before reasoning.
    for head in list(graph.objects(None, SKOS.memberList)):
        cell = head
        while cell != RDF.nil and cell is not None:
            following = graph.value(cell, RDF.rest)
            graph.remove((cell, None, None))
            cell = following
    graph.remove((None, SKOS.memberList, None))
    # HermiT accepts only the OWL 2 datatype map, which has no xsd:date/gYear; such ranges (e.g.
    # hn:populationDate in areas.ttl) carry no DL semantics HermiT could use and are checked by SHACL.
    for prop, datatype in list(graph.subject_objects(RDFS.range)):
        if datatype in NON_OWL2_DATATYPES:
            graph.remove((prop, RDFS.range, datatype))
    _declare_undeclared(graph)
    return graph


def _run_hermit(graph: Graph) -> list[str]:
    """Load `graph` into a fresh owlready2 World, run HermiT, return the unsatisfiable classes.

    Raises owlready2.OwlReadyInconsistentOntologyError when the ontology is inconsistent.
    """
    owlready2 = importlib.import_module("owlready2")
    if shutil.which(owlready2.JAVA_EXE) is None and shutil.which("java") is None:
        pytest.skip("HermiT needs a Java runtime (java not found on PATH)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hilfenetz.owl"
        graph.serialize(path, format="xml")
        world = owlready2.World()
        world.get_ontology(path.as_uri()).load()
        owlready2.sync_reasoner(world, infer_property_values=False, debug=0)
        # owl:Nothing is listed alongside the real culprits; it is unsatisfiable by definition.
        return [str(c.iri) for c in world.inconsistent_classes() if c.iri != str(OWL.Nothing)]


def test_ontology_is_consistent_and_every_class_satisfiable() -> None:
    unsatisfiable = _run_hermit(_owl_input_graph())
    assert unsatisfiable == [], f"unsatisfiable classes: {unsatisfiable}"


def test_reasoner_detects_a_contradiction() -> None:
    """The consistency test above can fail: a Person that is also an Organisation must be rejected."""
    owlready2 = importlib.import_module("owlready2")
    graph = _owl_input_graph()
    individual = URIRef(HNID + "test/person-and-organisation")
    graph.add((individual, RDF.type, OWL.NamedIndividual))
    graph.add((individual, RDF.type, HN.Person))
    graph.add((individual, RDF.type, HN.Organisation))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _run_hermit(graph)


def test_reasoner_detects_an_unsatisfiable_class() -> None:
    """A class below two disjoint classes must be reported by inconsistent_classes()."""
    graph = _owl_input_graph()
    broken = URIRef(str(HN) + "TestEventAndAgent")
    graph.add((broken, RDF.type, OWL.Class))
    graph.add((broken, RDFS.subClassOf, HN.Event))
    graph.add((broken, RDFS.subClassOf, HN.Agent))
    assert _run_hermit(graph) == [str(broken)]


# ------------------------------------------------------------------ documentation of terms


def _has_lang(graph: Graph, subject: URIRef, predicate: URIRef, lang: str) -> bool:
    return any(
        isinstance(o, Literal) and o.language == lang and str(o).strip() for o in graph.objects(subject, predicate)
    )


def missing_documentation(graph: Graph) -> list[str]:
    """'term: what is missing' for every hn: class/property lacking a de/en label or definition."""
    problems = []
    for term in sorted(declared_hn_terms(graph)):
        missing = [
            f"{p.n3(graph.namespace_manager)}@{lang}"
            for p in (RDFS.label, SKOS.definition)
            for lang in ("de", "en")
            if not _has_lang(graph, term, p, lang)
        ]
        if (term, RDFS.isDefinedBy, ONTOLOGY_IRI) not in graph:
            missing.append("rdfs:isDefinedBy")
        if missing:
            problems.append(f"{term}: {', '.join(missing)}")
    return problems


def test_every_term_has_german_and_english_label_and_definition() -> None:
    graph = parse_files(ontology_files())
    assert len(declared_hn_terms(graph)) > 80, "the ontology declares suspiciously few terms"
    problems = missing_documentation(graph)
    assert problems == [], "terms without label/definition in de and en:\n" + "\n".join(problems)


def test_documentation_check_reports_an_undocumented_term() -> None:
    """The check above can fail: a class with only an English label is reported."""
    graph = Graph()
    term = HN.Undocumented
    graph.add((term, RDF.type, OWL.Class))
    graph.add((term, RDFS.label, Literal("Undocumented", lang="en")))
    problems = missing_documentation(graph)
    assert len(problems) == 1 and "rdfs:label@de" in problems[0] and "skos:definition@en" in problems[0]


def missing_concept_documentation(graph: Graph) -> list[str]:
    problems = []
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    for node in sorted(concepts | schemes):
        label_props = (SKOS.prefLabel,) if node in concepts else (SKOS.prefLabel, RDFS.label, DCT.title)
        missing = [
            f"label@{lang}" for lang in ("de", "en") if not any(_has_lang(graph, node, p, lang) for p in label_props)
        ]
        missing += [
            f"skos:definition@{lang}" for lang in ("de", "en") if not _has_lang(graph, node, SKOS.definition, lang)
        ]
        if missing:
            problems.append(f"{node}: {', '.join(missing)}")
    return problems


def test_every_concept_and_scheme_has_german_and_english_label_and_definition() -> None:
    files = scheme_files()
    assert files, "no ontology/schemes/*.ttl"
    graph = parse_files(files)
    assert set(graph.subjects(RDF.type, SKOS.Concept)), "scheme files contain no skos:Concept"
    problems = missing_concept_documentation(graph)
    assert problems == [], "concepts/schemes without label/definition in de and en:\n" + "\n".join(problems)


def test_ontology_metadata() -> None:
    graph = parse_files(ontology_files())
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    problems = []
    if (ONTOLOGY_IRI, OWL.versionIRI, URIRef("https://w3id.org/hilfenetz/ontology/0.1.0")) not in graph:
        problems.append("owl:versionIRI <https://w3id.org/hilfenetz/ontology/0.1.0>")
    if (ONTOLOGY_IRI, DCT.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) not in graph:
        problems.append("dct:license CC BY 4.0")
    for prop in (DCT.title, DCT.description):
        for lang in ("de", "en"):
            if not _has_lang(graph, ONTOLOGY_IRI, prop, lang):
                problems.append(f"{prop}@{lang}")
    for prop in (OWL.versionInfo, DCT.creator, DCT.created, VANN.preferredNamespacePrefix, VANN.preferredNamespaceUri):
        if graph.value(ONTOLOGY_IRI, prop) is None:
            problems.append(str(prop))
    assert graph.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri) in (None, Literal(str(HN)))
    assert problems == [], f"ontology header lacks: {problems}"


# ------------------------------------------------------------------ modularity


EXTERNAL_NAMESPACES = (
    "http://www.w3.org/ns/org#",
    "http://schema.org/",
    "https://schema.org/",
    "http://www.w3.org/ns/prov#",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/2006/time#",
    "http://data.europa.eu/m8g/",
    "http://purl.org/vocab/cpsv#",
    "http://purl.org/cerif/frapo/",
    "http://data.europa.eu/eli/ontology#",
)


def test_core_modules_do_not_mention_external_vocabularies() -> None:
    """Alignment to ORG, schema.org, PROV etc. lives only in alignment.ttl, so the core stays self-contained."""
    offenders = []
    for path in ontology_files():
        if path.name in ("alignment.ttl", "areas.ttl"):
            continue
        graph = parse_files([path])
        for triple in graph:
            for term in triple:
                if isinstance(term, URIRef) and str(term).startswith(EXTERNAL_NAMESPACES):
                    offenders.append(f"{path.name}: {term}")
    assert offenders == [], "external terms in core modules:\n" + "\n".join(sorted(set(offenders)))


def test_alignment_only_maps_declared_terms() -> None:
    """Every hn: term that alignment.ttl maps is declared in a core module (catches typos in mappings)."""
    core = parse_files([p for p in ontology_files() if p.name != "alignment.ttl"])
    alignment = parse_files([ONTOLOGY_DIR / "alignment.ttl"])
    undeclared = sorted({str(t) for t in hn_iris(alignment)} - {str(t) for t in declared_hn_terms(core)})
    assert undeclared == [], f"alignment.ttl maps undeclared terms: {undeclared}"


# ------------------------------------------------------------------ every hn: term is declared


def _project_turtle_files() -> list[Path]:
    files = sorted(ONTOLOGY_DIR.rglob("*.ttl"))
    if DATA_DIR.is_dir():
        files += sorted(DATA_DIR.rglob("*.ttl"))
    return files


def undeclared_usages(declared: set[URIRef], files: Iterable[Path]) -> dict[str, list[str]]:
    """hn: IRI -> files using it, for IRIs the ontology does not declare."""
    usages: dict[str, set[str]] = {}
    for path in files:
        for term in hn_iris(parse_files([path])):
            if term not in declared:
                shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
                usages.setdefault(str(term), set()).add(str(shown))
    return {term: sorted(paths) for term, paths in sorted(usages.items())}


def test_every_hn_term_is_declared() -> None:
    declared = declared_hn_terms(parse_files(ontology_files()))
    undeclared = undeclared_usages(declared, _project_turtle_files())
    assert undeclared == {}, "hn: terms used but not declared in ontology/*.ttl:\n" + "\n".join(
        f"{term}  (in {', '.join(paths)})" for term, paths in undeclared.items()
    )


def test_declaration_check_reports_an_unknown_term(tmp_path: Path) -> None:
    """The check above can fail: a misspelt property in a data file is reported with its file."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(f"<{HNID}org/x> <{HN}statedInn> <{HNID}source/y> .\n", encoding="utf-8")
    declared = declared_hn_terms(parse_files(ontology_files()))
    assert undeclared_usages(declared, [bad]) == {str(HN.statedInn): [str(bad)]}


def test_every_hn_term_in_reference_data_is_declared() -> None:
    """The reference importer (kg.graph.reference, issue 3) emits hn: terms too; they must be declared."""
    reference = importlib.import_module("kg.graph.reference")
    ref_dir = DATA_DIR / "reference"
    assert any(ref_dir.glob("*.csv")), f"no reference CSV files in {ref_dir}"
    declared = {str(t) for t in declared_hn_terms(parse_files(ontology_files()))}
    used: set[str] = set()
    for quad in reference.reference_quads(ref_dir):
        for term in (quad.subject, quad.predicate, quad.object):
            value = getattr(term, "value", "")
            if type(term).__name__ == "NamedNode" and value.startswith(str(HN)):
                used.add(value)
    assert used, "reference data uses no hn: terms at all"
    assert sorted(used - declared) == [], "hn: terms in the reference data but not declared"



# ------------------------------------------------------------------ data respects disjointness


def disjoint_pairs(ontology: Graph) -> set[frozenset[URIRef]]:
    """Pairs of classes the ontology declares disjoint (owl:disjointWith and owl:AllDisjointClasses)."""
    pairs = {frozenset((a, b)) for a, b in ontology.subject_objects(OWL.disjointWith)}
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(ontology.items(ontology.value(axiom, OWL.members)))
        pairs.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs


def superclasses(ontology: Graph, cls: URIRef) -> set[URIRef]:
    return set(ontology.transitive_objects(cls, RDFS.subClassOf))


def disjointness_clashes(ontology: Graph, data: Graph) -> list[str]:
    """Resources whose rdf:types (with their superclasses) include two disjoint classes."""
    pairs = disjoint_pairs(ontology)
    clashes = []
    for subject in sorted(set(data.subjects(RDF.type, None)), key=str):
        closure: set[URIRef] = set()
        for cls in data.objects(subject, RDF.type):
            closure |= superclasses(ontology, cls)
        bad = sorted(" ⊓ ".join(sorted(str(c).rsplit("#", 1)[-1] for c in p)) for p in pairs if p <= closure)
        if bad:
            clashes.append(f"{subject}: {', '.join(bad)}")
    return clashes


def test_curated_data_respects_disjointness() -> None:
    """HermiT only sees the ontology; this checks the curated data's typing against its disjointness axioms."""
    files = [p for p in _project_turtle_files() if not p.is_relative_to(ONTOLOGY_DIR)]
    assert files, "no curated data files"
    ontology = parse_files(ontology_files())
    assert disjoint_pairs(ontology), "the ontology declares no disjoint classes"
    clashes = disjointness_clashes(ontology, parse_files(files))
    assert clashes == [], "resources typed with disjoint classes:\n" + "\n".join(clashes)


def test_disjointness_check_reports_a_clash() -> None:
    ontology = parse_files(ontology_files())
    data = Graph()
    node = URIRef(HNID + "area/05913000")
    kind = HN.Municipality if (HN.Municipality, RDF.type, OWL.Class) in ontology else HN.Organisation
    data.add((node, RDF.type, kind))
    data.add((node, RDF.type, HN.Event))
    clashes = disjointness_clashes(ontology, data)
    assert len(clashes) == 1 and "Agent ⊓ Event" in clashes[0]


def property_kind_mismatches(graph: Graph) -> list[str]:
    """rdfs:subPropertyOf links between an object and a datatype property (not allowed in OWL 2 DL)."""
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

    def kind(prop: URIRef) -> set[URIRef]:
        return {k for k in kinds if (prop, RDF.type, k) in graph}

    return sorted(
        f"{sub} ⊑ {sup}: {sorted(str(k).rsplit('#', 1)[-1] for k in kind(sub))} vs "
        f"{sorted(str(k).rsplit('#', 1)[-1] for k in kind(sup))}"
        for sub, sup in graph.subject_objects(RDFS.subPropertyOf)
        if kind(sub) != kind(sup) or len(kind(sub)) != 1
    )


def test_subproperties_keep_their_kind() -> None:
    """Every sub-property and its super-property (also external ones in alignment.ttl) are the same kind."""
    mismatches = property_kind_mismatches(parse_files(ontology_files()))
    assert mismatches == [], "sub-property links across property kinds:\n" + "\n".join(mismatches)


def test_property_kind_check_reports_a_mismatch() -> None:
    graph = Graph()
    graph.add((HN.quote, RDF.type, OWL.DatatypeProperty))
    graph.add((HN.statedIn, RDF.type, OWL.ObjectProperty))
    graph.add((HN.quote, RDFS.subPropertyOf, HN.statedIn))
    assert len(property_kind_mismatches(graph)) == 1
