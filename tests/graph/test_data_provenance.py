"""Provenance rules of docs/model.md for the curated seed graphs (data/seeds/*.ttl).

- every node described in a source graph says which document states it (hn:statedIn), evidence nodes
  name it with hn:inSource;
- every date and every figure carries an hn:Evidence node for exactly that property;
- stated figures have a value, a precision from the figure-precision scheme and say what they count;
- participations and cooperations are well formed;
- every concept, place and project resource the data points to exists;
- no passage of a seed text is copied into a literal.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.collection import Collection

# plain namespaces (rdflib's closed XSD namespace trips pytest's module inspection)
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HILFENETZ_SHARED", REPO_ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
DATA = REPO_ROOT / "data"
SCHEMES = REPO_ROOT / "ontology" / "schemes"

HN = rdflib.Namespace("https://w3id.org/hilfenetz/ontology#")
ID = "https://w3id.org/hilfenetz/id/"
SLUGS = {
    "vernetzung-jugendhilfe",
    "gesamtkonzepte-rlp",
    "praeventionsketten-recklinghausen",
    "abgestimmte-hilfen",
    "fachtag-fruehe-hilfen-2013",
}
# places named by the seeds: reference IRIs listed in docs/model.md
KNOWN_AREAS = {
    ID + "area/" + k
    for k in (
        "05913000", "05315000", "05562014", "05562004", "05562", "05374", "05", "07", "de", "rheinland",
        "westfalen-lippe",
    )
}
DATE_PROPERTIES = {HN.startDate, HN.endDate, DCTERMS.date, DCTERMS.issued, DCTERMS.modified, DCTERMS.created}
DATE_TYPES = {XSD.date, XSD.gYear, XSD.gYearMonth, XSD.dateTime}
FIGURE_PROPERTIES = {HN.value, HN.maxValue, HN.minAge, HN.maxAge}
COPY_LIMIT = 120  # characters of seed text a literal may share verbatim (evidence quotes are far shorter)

SEED_FILES = sorted((DATA / "seeds").glob("*.ttl"))


def graph(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


@pytest.fixture(scope="module")
def seed_graphs() -> dict[str, rdflib.Graph]:
    return {p.stem: graph(p) for p in SEED_FILES}


@pytest.fixture(scope="module")
def schemes() -> rdflib.Graph:
    g = rdflib.Graph()
    for p in sorted(SCHEMES.glob("*.ttl")):
        g.parse(p, format="turtle")
    return g


def doc(slug: str) -> URIRef:
    return URIRef(ID + "source/" + slug)


def test_one_seed_file_per_source_document() -> None:
    assert {p.stem for p in SEED_FILES} == SLUGS
    sources = graph(DATA / "sources.ttl")
    assert set(sources.subjects(RDF.type, HN.SourceDocument)) == {doc(s) for s in SLUGS}


def test_every_described_node_is_stated_in_its_own_document(seed_graphs: dict[str, rdflib.Graph]) -> None:
    problems = []
    for slug, g in seed_graphs.items():
        for s in set(g.subjects()):
            if (s, RDF.type, HN.Evidence) in g:
                if set(g.objects(s, HN.inSource)) != {doc(slug)}:
                    problems.append((slug, str(s), "evidence not hn:inSource its own document"))
                continue
            if isinstance(s, BNode):
                problems.append((slug, str(s), "blank node subject"))
            if doc(slug) not in set(g.objects(s, HN.statedIn)):
                problems.append((slug, str(s), "no hn:statedIn own document"))
            others = set(g.objects(s, HN.statedIn)) - {doc(slug)}
            if others:
                problems.append((slug, str(s), f"hn:statedIn another document {others}"))
    assert not problems, problems


def test_every_evidence_node_is_complete_and_used(seed_graphs: dict[str, rdflib.Graph]) -> None:
    problems = []
    for slug, g in seed_graphs.items():
        for e in g.subjects(RDF.type, HN.Evidence):
            if len(list(g.objects(e, HN.quote))) != 1:
                problems.append((slug, str(e), "needs exactly one hn:quote"))
            if len(list(g.objects(e, HN.supports))) != 1:
                problems.append((slug, str(e), "needs exactly one hn:supports"))
            if not list(g.subjects(HN.evidence, e)):
                problems.append((slug, str(e), "not attached to any node"))
    assert not problems, problems


def supported(g: rdflib.Graph, node: URIRef, prop: URIRef) -> bool:
    return any((e, HN.supports, prop) in g and (e, RDF.type, HN.Evidence) in g for e in g.objects(node, HN.evidence))


def test_dates_carry_evidence(seed_graphs: dict[str, rdflib.Graph]) -> None:
    missing, counted = [], 0
    for slug, g in seed_graphs.items():
        for s, p, o in g:
            is_date = p in DATE_PROPERTIES or (isinstance(o, Literal) and o.datatype in DATE_TYPES)
            if is_date:
                counted += 1
                if not supported(g, s, p):
                    missing.append((slug, str(s), str(p)))
    assert counted >= 15, "the seeds state at least 15 dated facts"
    assert not missing, missing


def test_dates_have_the_stated_precision_datatypes(seed_graphs: dict[str, rdflib.Graph]) -> None:
    bad = [
        (slug, str(s), str(p), o)
        for slug, g in seed_graphs.items()
        for s, p, o in g
        if p in DATE_PROPERTIES and not (isinstance(o, Literal) and o.datatype in DATE_TYPES)
    ]
    assert not bad, bad


def test_figures_carry_evidence(seed_graphs: dict[str, rdflib.Graph]) -> None:
    missing = [
        (slug, str(s), str(p))
        for slug, g in seed_graphs.items()
        for s, p, _o in g
        if p in FIGURE_PROPERTIES and not supported(g, s, p)
    ]
    assert not missing, missing


def test_stated_figures_are_complete(seed_graphs: dict[str, rdflib.Graph], schemes: rdflib.Graph) -> None:
    precision_scheme = URIRef(ID + "concept/figure-precision")
    problems, count = [], 0
    for slug, g in seed_graphs.items():
        for f in g.subjects(RDF.type, HN.StatedFigure):
            count += 1
            values = list(g.objects(f, HN.value))
            precision = list(g.objects(f, HN.precision))
            if len(values) != 1 or not isinstance(values[0], Literal):
                problems.append((slug, str(f), "needs exactly one literal hn:value"))
            elif values[0].datatype not in (XSD.integer, XSD.decimal):
                problems.append((slug, str(f), f"hn:value datatype {values[0].datatype}"))
            if len(precision) != 1 or (precision[0], SKOS.inScheme, precision_scheme) not in schemes:
                problems.append((slug, str(f), "needs one hn:precision from hnid:concept/figure-precision"))
            if not list(g.objects(f, HN.unitText)):
                problems.append((slug, str(f), "no hn:unitText"))
            if len(list(g.objects(f, HN.figureOf))) != 1:
                problems.append((slug, str(f), "needs exactly one hn:figureOf"))
            for mx in g.objects(f, HN.maxValue):
                if values and float(mx) < float(values[0]):
                    problems.append((slug, str(f), "hn:maxValue below hn:value"))
    assert count >= 14, count
    assert not problems, problems


def test_participations_and_cooperations_are_well_formed(
    seed_graphs: dict[str, rdflib.Graph], schemes: rdflib.Graph
) -> None:
    role_scheme = URIRef(ID + "concept/role")
    problems = []
    for slug, g in seed_graphs.items():
        for p in g.subjects(RDF.type, HN.Participation):
            if len(list(g.objects(p, HN.participant))) != 1:
                problems.append((slug, str(p), "needs exactly one hn:participant"))
            roles = list(g.objects(p, HN.role))
            if not roles or any((r, SKOS.inScheme, role_scheme) not in schemes for r in roles):
                problems.append((slug, str(p), "needs roles from hnid:concept/role"))
            if len(list(g.objects(p, HN.participationIn))) != 1:
                problems.append((slug, str(p), "needs exactly one hn:participationIn"))
        for c in g.subjects(RDF.type, HN.Cooperation):
            parts = set(g.objects(c, HN.hasParticipation))
            back = set(g.subjects(HN.participationIn, c))
            if parts != back:
                problems.append((slug, str(c), "hn:hasParticipation and hn:participationIn disagree"))
            agents = {a for p in parts for a in g.objects(p, HN.participant)}
            if len(agents) < 2:
                problems.append((slug, str(c), "fewer than two distinct partners"))
    assert not problems, problems


def test_referenced_resources_exist(seed_graphs: dict[str, rdflib.Graph], schemes: rdflib.Graph) -> None:
    """Catches mistyped IRIs: concepts exist in the schemes, places are the reference areas of docs/model.md,
    and every other minted resource pointed to is described (typed) in some seed graph."""
    described = {s for g in seed_graphs.values() for s in g.subjects(RDF.type, None)}
    concepts = set(schemes.subjects(RDF.type, SKOS.Concept))
    sources = {doc(s) for s in SLUGS}
    problems = []
    for slug, g in seed_graphs.items():
        for s, p, o in g:
            if not isinstance(o, URIRef) or not str(o).startswith(ID) or p == RDF.type:
                continue
            iri = str(o)
            if iri.startswith(ID + "concept/"):
                ok = o in concepts
            elif iri.startswith(ID + "area/"):
                ok = iri in KNOWN_AREAS
            elif iri.startswith(ID + "source/"):
                ok = o in sources
            else:
                ok = o in described
            if not ok:
                problems.append((slug, str(s), str(p), iri))
    assert not problems, problems


def test_areas_are_only_referenced(seed_graphs: dict[str, rdflib.Graph]) -> None:
    """Reference areas are described by the reference data; seed graphs use them only as objects."""
    subjects = [
        (slug, str(s)) for slug, g in seed_graphs.items() for s in g.subjects() if str(s).startswith(ID + "area/")
    ]
    assert not subjects, subjects


def test_labels(seed_graphs: dict[str, rdflib.Graph]) -> None:
    """Every described resource other than evidence and participations has a German rdfs:label."""
    skip = {HN.Evidence, HN.Participation}
    missing = []
    for slug, g in seed_graphs.items():
        for s, t in g.subject_objects(RDF.type):
            if t in skip:
                continue
            if not any(isinstance(lit, Literal) and lit.language == "de" for lit in g.objects(s, rdflib.RDFS.label)):
                missing.append((slug, str(s)))
    assert not missing, missing


def test_data_files_parse_with_pyoxigraph() -> None:
    import pyoxigraph as ox

    for path in [DATA / "sources.ttl", *SEED_FILES]:
        assert list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)), path


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not available at {SEEDS} (set HILFENETZ_SHARED)")
def test_no_seed_text_copied() -> None:
    texts = [_normalise(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    copied = []
    for path in [DATA / "sources.ttl", *SEED_FILES]:
        for _s, _p, o in graph(path):
            if not isinstance(o, Literal):
                continue
            lit = _normalise(str(o))
            # any window of COPY_LIMIT + 1 characters found verbatim in a seed means copied text
            for i in range(0, max(0, len(lit) - COPY_LIMIT)):
                window = lit[i : i + COPY_LIMIT + 1]
                if any(window in t for t in texts):
                    copied.append((path.name, lit[:60]))
                    break
    assert not copied, copied


# ---------------------------------------------------------------- concept schemes


def test_concepts_are_complete(schemes: rdflib.Graph) -> None:
    problems = []
    concepts = set(schemes.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) >= 100
    for c in concepts:
        for prop in (SKOS.prefLabel, SKOS.definition, rdflib.RDFS.label):
            langs = {o.language for o in schemes.objects(c, prop) if isinstance(o, Literal)}
            if not {"de", "en"} <= langs:
                problems.append((str(c), str(prop), langs))
        scheme = schemes.value(c, SKOS.inScheme)
        if scheme is None or not str(c).startswith(str(scheme) + "/"):
            problems.append((str(c), "inScheme", scheme))
        if not list(schemes.objects(c, SKOS.notation)):
            problems.append((str(c), "notation", None))
        if schemes.value(c, SKOS.broader) is None and (c, SKOS.topConceptOf, scheme) not in schemes:
            problems.append((str(c), "neither broader nor topConceptOf", None))
    for s in schemes.subjects(RDF.type, SKOS.ConceptScheme):
        for prop in (DCTERMS.title, SKOS.definition, rdflib.RDFS.label):
            langs = {o.language for o in schemes.objects(s, prop) if isinstance(o, Literal)}
            if not {"de", "en"} <= langs:
                problems.append((str(s), str(prop), langs))
    assert not problems, problems


def test_scheme_inventory(schemes: rdflib.Graph) -> None:
    expected = {
        "target-group", "life-phase", "offer-type", "sector", "role", "organisation-type",
        "cooperation-form", "event-format", "figure-precision", "figure-measure", "topic",
    }
    found = {str(s).rsplit("/", 1)[1] for s in schemes.subjects(RDF.type, SKOS.ConceptScheme)}
    assert found == expected
    precision = {
        str(c).rsplit("/", 1)[1] for c in schemes.subjects(SKOS.inScheme, URIRef(ID + "concept/figure-precision"))
    }
    assert precision == {"exact", "more-than", "approximately", "up-to", "at-least"}
    measure = {
        str(c).rsplit("/", 1)[1] for c in schemes.subjects(SKOS.inScheme, URIRef(ID + "concept/figure-measure"))
    }
    assert {"participants", "municipalities", "registrations"} <= measure
    ORG_ROLE = URIRef("http://www.w3.org/ns/org#Role")
    roles = set(schemes.subjects(SKOS.inScheme, URIRef(ID + "concept/role")))
    assert roles and all((r, RDF.type, ORG_ROLE) in schemes for r in roles)


def test_life_phases_are_ordered_from_pregnancy_to_career_entry(schemes: rdflib.Graph) -> None:
    scheme = URIRef(ID + "concept/life-phase")
    by_order = sorted((int(o), str(c).rsplit("/", 1)[1]) for c, o in schemes.subject_objects(HN.order)
                      if (c, SKOS.inScheme, scheme) in schemes)
    assert [slug for _o, slug in by_order] == [
        "pregnancy", "infancy", "preschool", "primary-school", "secondary-school", "career-entry"
    ]
    assert [o for o, _s in by_order] == [1, 2, 3, 4, 5, 6]
    collections = list(schemes.subjects(RDF.type, SKOS.OrderedCollection))
    assert len(collections) == 1
    members = list(Collection(schemes, schemes.value(collections[0], SKOS.memberList)))
    assert [str(m).rsplit("/", 1)[1] for m in members] == [slug for _o, slug in by_order]
