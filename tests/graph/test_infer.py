"""Materialised inference: subclass and subproperty closure and the derived shortcuts."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import rdf as ns
from kg.graph.infer import infer
from kg.graph.sources import parse_project

HN = ns.HN
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "http://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ID = ns.HNID


def _store(path: Path, project: Path) -> ox.Store:
    """The mini project loaded into a real on-disk store (without running the build)."""
    store = ox.Store(str(path))
    store.bulk_extend(q for p in parse_project(project) for q in p.quads)
    return store


@pytest.fixture
def inferred_store(tmp_path: Path, mini_project: Path) -> ox.Store:
    store = _store(tmp_path / "store", mini_project)
    infer(store)
    return store


def _ask(store: ox.Store, where: str) -> bool:
    return bool(store.query(f"ASK {{ {where} }}", use_default_graph_as_union=True, prefixes=ns.PREFIXES))


def _in_inferred(store: ox.Store, s: str, p: str, o: str) -> bool:
    return next(iter(store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o),
                                             ox.NamedNode(ns.GRAPH_INFERRED))), None) is not None


def test_jugendamt_typed_only_as_youth_welfare_office_is_an_org_organization(
        tmp_path: Path, mini_project: Path) -> None:
    store = _store(tmp_path / "s", mini_project)
    ja = f"<{ID}org/jugendamt-dortmund>"
    assert not _ask(store, f"{ja} a org:Organization")
    infer(store)
    assert _ask(store, f"{ja} a org:Organization")  # via hn:Organisation ⊑ org:Organization (alignment)
    assert _ask(store, f"{ja} a hn:Agent")
    assert _in_inferred(store, f"{ID}org/jugendamt-dortmund", RDF_TYPE, f"{HN}OrganisationalUnit")


def test_municipality_is_found_as_organisation_and_schema_area(inferred_store: ox.Store) -> None:
    dortmund = f"{ID}area/05913000"
    assert _in_inferred(inferred_store, dortmund, RDF_TYPE, f"{HN}Organisation")
    assert _in_inferred(inferred_store, dortmund, RDF_TYPE, f"{SCHEMA}AdministrativeArea")
    rows = inferred_store.query("SELECT ?x WHERE { ?x a hn:Organisation } ORDER BY ?x",
                                use_default_graph_as_union=True, prefixes=ns.PREFIXES)
    assert [r["x"].value for r in rows] == [
        f"{ID}area/05913000", f"{ID}org/gesundheitsamt-dortmund", f"{ID}org/jugendamt-dortmund"]


def test_stated_in_is_found_as_prov_was_derived_from(inferred_store: ox.Store) -> None:
    rows = inferred_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?x prov:wasDerivedFrom ?src }",
                                use_default_graph_as_union=True, prefixes=ns.PREFIXES)
    n = int(next(iter(rows))["n"].value)
    stated = sum(1 for _ in inferred_store.quads_for_pattern(None, ox.NamedNode(HN + "statedIn"), None))
    assert n == stated == 4


def test_cooperates_with_is_symmetric_between_distinct_participants(inferred_store: ox.Store) -> None:
    ja, ga = f"{ID}org/jugendamt-dortmund", f"{ID}org/gesundheitsamt-dortmund"
    # one participation hangs on the cooperation via hn:hasParticipation, the other via hn:participationIn
    assert _in_inferred(inferred_store, ja, HN + "cooperatesWith", ga)
    assert _in_inferred(inferred_store, ga, HN + "cooperatesWith", ja)
    assert not _ask(inferred_store, "?a hn:cooperatesWith ?a")
    n = sum(1 for _ in inferred_store.quads_for_pattern(None, ox.NamedNode(HN + "cooperatesWith"), None))
    assert n == 2


def test_participates_in_points_to_the_context(inferred_store: ox.Store) -> None:
    coop = f"{ID}cooperation/kooperation-dortmund"
    for org in ("jugendamt-dortmund", "gesundheitsamt-dortmund"):
        assert _in_inferred(inferred_store, f"{ID}org/{org}", HN + "participatesIn", coop)


def test_inference_adds_nothing_already_asserted_and_is_idempotent(tmp_path: Path, mini_project: Path) -> None:
    store = _store(tmp_path / "s", mini_project)
    first = infer(store)
    assert first.total > 0
    inferred = {(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(ns.GRAPH_INFERRED))}
    asserted = {(q.subject, q.predicate, q.object) for q in store
                if q.graph_name != ox.NamedNode(ns.GRAPH_INFERRED)}
    assert len(inferred) == first.total
    assert not inferred & asserted
    again = infer(store)
    assert again.total == 0


def test_explicitly_asserted_supertype_is_not_duplicated(tmp_path: Path, mini_project: Path) -> None:
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:jugendamt-dortmund a <http://www.w3.org/ns/org#Organization> .\n")
    store = _store(tmp_path / "s", mini_project)
    infer(store)
    assert not _in_inferred(store, f"{ID}org/jugendamt-dortmund", RDF_TYPE, ORG + "Organization")
    assert _in_inferred(store, f"{ID}org/jugendamt-dortmund", RDF_TYPE, HN + "Organisation")


def test_shapes_graph_produces_no_facts(tmp_path: Path, mini_project: Path) -> None:
    """sh:targetClass hn:Organisation etc. must not make shapes into instances of anything."""
    store = _store(tmp_path / "s", mini_project)
    infer(store)
    shape = "https://w3id.org/hilfenetz/shapes#OrganisationShape"
    assert next(iter(store.quads_for_pattern(ox.NamedNode(shape), None, None,
                                             ox.NamedNode(ns.GRAPH_INFERRED))), None) is None


def test_subclass_axioms_in_data_graphs_are_ignored(tmp_path: Path, mini_project: Path) -> None:
    """Only the ontology and alignment graphs define the class hierarchy, so a seed cannot
    silently re-type the world."""
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\nhn:YouthWelfareOffice <http://www.w3.org/2000/01/rdf-schema#subClassOf> "
                    "<http://example.org/Weird> .\n")
    store = _store(tmp_path / "s", mini_project)
    infer(store)
    assert not _in_inferred(store, f"{ID}org/jugendamt-dortmund", RDF_TYPE, "http://example.org/Weird")


# ---------------------------------------------------------------- after a write (kg.graph.write)


def test_derived_for_equals_the_built_inferred_graph(built_store: Path) -> None:
    """The per-subject rules of the write path give exactly what the build's `infer` put into the
    inferred graph: for every subject of the curated graphs and a sample of reference subjects."""
    from kg.graph.infer import Axioms, derived_for, inferred_about

    store = ox.Store.read_only(str(built_store))
    curated = [g for g in store.named_graphs() if g.value.startswith(ns.HNID + "graph/source")]
    subjects = {q.subject for g in curated for q in store.quads_for_pattern(None, None, None, g)}
    destatis = ox.NamedNode(ns.HNID + "graph/reference/destatis")
    sample = sorted({q.subject for q in store.quads_for_pattern(None, None, None, destatis)}, key=str)[::200]
    subjects |= set(sample)
    assert len(subjects) > 300
    got = derived_for(store, subjects, Axioms(store))
    assert got == inferred_about(store, subjects)
    assert any(q.predicate.value == HN + "cooperatesWith" for q in got)
    assert any(q.predicate.value == HN + "participatesIn" for q in got)


def test_affected_subjects_reach_the_other_participants(inferred_store: ox.Store) -> None:
    """Changing one participation changes cooperatesWith of every participant of the cooperation,
    so all of them are affected; a node unrelated to any participation affects only itself."""
    from kg.graph.infer import affected_subjects

    coop_participants = {
        q.object for q in inferred_store.quads_for_pattern(None, ox.NamedNode(HN + "participant"), None)
    }
    x = next(iter(inferred_store.quads_for_pattern(None, ox.NamedNode(HN + "participant"), None))).subject
    assert len(coop_participants) >= 2
    assert coop_participants <= affected_subjects(inferred_store, {x})
    src = ox.NamedNode(ID + "source/demo")
    assert affected_subjects(inferred_store, {src, ox.Literal("x")}) == {src}
