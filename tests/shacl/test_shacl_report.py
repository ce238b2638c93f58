"""The SHACL wrapper: plain-language results in German and English from any shape."""

from __future__ import annotations

import json

import pytest
import rdflib

from kg.errors import KgError
from kg.shacl import ENGINES, validate

PREFIXES = """
@prefix hn: <https://w3id.org/hilfenetz/ontology#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix org: <https://w3id.org/hilfenetz/id/org/> .
"""

SHAPES = PREFIXES + """
<urn:s:Org> a sh:NodeShape ; sh:targetClass hn:Organisation ;
  sh:property [ sh:path hn:abbreviation ; sh:maxCount 1 ] ;
  sh:property [ sh:path hn:minAge ; sh:datatype xsd:integer ] ;
  sh:property [ sh:path hn:areaServed ; sh:class hn:AdministrativeArea ] ;
  sh:property [ sh:path ( hn:evidence hn:quote ) ; sh:minCount 1 ] ;
  sh:property [ sh:path [ sh:inversePath hn:provider ] ; sh:maxCount 0 ;
                sh:message "Nur deutsch"@de ] ;
  sh:property [ sh:path hn:ags ; sh:pattern "^[0-9]{8}$" ; sh:severity sh:Warning ] .
"""

ONTOLOGY = PREFIXES + """
hn:YouthWelfareOffice rdfs:subClassOf hn:Organisation .
hn:abbreviation rdfs:label "Abkürzung"@de, "abbreviation"@en .
"""

DATA = PREFIXES + """
org:ja a hn:YouthWelfareOffice ; rdfs:label "Jugendamt Köln"@de ;
  hn:abbreviation "JA", "JAK" ; hn:minAge "drei" ; hn:areaServed org:other ;
  hn:evidence [ hn:inSource org:x ] ; hn:ags "5315" .
<urn:offer> hn:provider org:ja .
"""


@pytest.fixture(scope="module")
def report():
    g = lambda text: rdflib.Graph().parse(data=text, format="turtle")  # noqa: E731
    return validate(g(DATA), g(SHAPES), g(ONTOLOGY), engine="pyshacl")  # the reference the others are compared with


def _by_component(report, name: str):
    (r,) = [r for r in report.results if r.constraint_component.endswith("#" + name)]
    return r


def test_subclass_target_found_via_ontology(report) -> None:
    assert {r.focus_node for r in report.results} == {"hnorg:ja"}
    assert not report.conforms


def test_generated_messages_name_path_and_parameter(report) -> None:
    r = next(x for x in report.results if x.result_path == "hn:abbreviation")
    assert r.message_de == "Zu viele Werte für hn:abbreviation (höchstens 1 erlaubt)"
    assert r.message_en == "Too many values for hn:abbreviation (at most 1 allowed)"
    assert r.path_label == "Abkürzung"
    dt = _by_component(report, "DatatypeConstraintComponent")
    assert dt.message_en == 'Wrong datatype for hn:minAge: "drei" is not a valid xsd:integer'
    assert dt.message_de == 'Falscher Datentyp für hn:minAge: "drei" ist kein gültiger Wert vom Typ xsd:integer'
    cls = _by_component(report, "ClassConstraintComponent")
    assert cls.message_de == "Der Wert hnorg:other von hn:areaServed ist keine Instanz von hn:AdministrativeArea"


def test_complex_paths_are_rendered_like_sparql(report) -> None:
    paths = {r.result_path for r in report.results}
    assert "hn:evidence/hn:quote" in paths
    assert "^hn:provider" in paths


def test_missing_language_is_generated_not_dropped(report) -> None:
    (r,) = [r for r in report.results if r.result_path == "^hn:provider"]
    assert r.message_de == "Nur deutsch"
    assert r.message_en == "Too many values for ^hn:provider (at most 0 allowed)"


def test_warning_does_not_break_conformance_but_is_reported(report) -> None:
    (w,) = [r for r in report.results if r.severity == "Warning"]
    assert w.result_path == "hn:ags" and w.value == '"5315"'
    assert len(report.violations) == len(report.results) - 1


def test_text_report_shows_label_iri_rule_and_both_languages(report) -> None:
    text = report.to_text()
    assert "Jugendamt Köln (hnorg:ja)" in text
    assert "Höchstanzahl / maximum count (sh:MaxCountConstraintComponent)" in text
    assert "de: Zu viele Werte für hn:abbreviation" in text
    assert "en: Too many values for hn:abbreviation" in text
    de = report.to_text(lang="de")
    assert "Zu viele Werte" in de and "Too many values" not in de
    assert "hn:abbreviation (Abkürzung)" in de
    en = report.to_text(lang="en")
    assert "hn:abbreviation (abbreviation)" in en and "Zu viele Werte" not in en


def test_json_and_turtle_reports_are_complete(report) -> None:
    data = json.loads(report.to_json())
    assert data["conforms"] is False
    assert len(data["results"]) == len(report.results)
    assert {"focus_node", "result_path", "message_de", "message_en", "rule_de", "rule_en"} <= set(data["results"][0])
    g = rdflib.Graph().parse(data=report.to_turtle(), format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert len(list(g.subjects(rdflib.RDF.type, sh.ValidationResult))) == len(report.results)



# rdflib warns when it computes the value of an ill-typed boolean: that literal is this test's input.
@pytest.mark.filterwarnings("ignore:Parsing weird boolean:UserWarning")
@pytest.mark.parametrize(("lexical", "datatype"), [
    ("none", "boolean"), ("TRUE", "boolean"), ("1.5E0", "double"), ("inf", "double"), ("1.", "decimal"),
    ("0x10", "integer"), (" 7", "integer"), ('say "hi"\n', "string"),
])
def test_turtle_report_keeps_ill_typed_and_odd_literals_verbatim(lexical: str, datatype: str) -> None:
    """rdflib's own writer printed `"none"^^xsd:boolean` bare (`sh:value none`: not Turtle) and
    rewrote `"1.5E0"^^xsd:double` to `1.5e+00`; the report must parse and repeat the value exactly."""
    import pyoxigraph as ox

    from kg.shacl.compile import to_rdf
    from kg.shacl.engine import load_exact, validate_store

    xsd = "http://www.w3.org/2001/XMLSchema#"
    value = ox.Literal(lexical, datatype=ox.NamedNode(xsd + datatype))
    ex = "http://example.org/"
    data = [(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), value)]
    shapes = rdflib.Graph().parse(data=f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <{ex}S> a sh:NodeShape ; sh:targetNode <{ex}a> ; sh:property [ sh:path <{ex}p> ; sh:nodeKind sh:IRI ] .""",
        format="turtle")
    store = ox.Store()
    report = validate_store(store, shapes, surrogates=load_exact(store, data))
    assert len(report.results) == 1
    text = report.to_turtle()
    old = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        g = rdflib.Graph().parse(data=text, format="turtle")
    finally:
        rdflib.NORMALIZE_LITERALS = old
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    values = list(g.objects(None, sh.value))
    assert values == [to_rdf(value)], text
    assert str(values[0]) == lexical


def test_conforming_data_gives_empty_report() -> None:
    g = lambda text: rdflib.Graph().parse(data=text, format="turtle")  # noqa: E731
    rep = validate(g(PREFIXES + 'org:a a hn:Organisation .'), g(SHAPES.replace("sh:minCount 1", "sh:minCount 0")))
    assert rep.conforms and rep.results == []
    assert rep.to_text(lang="en") == "The data conforms to all SHACL shapes."


def test_unknown_engine_is_a_clean_error() -> None:
    assert ENGINES[0] == "pyshacl"
    with pytest.raises(KgError, match="unknown SHACL engine 'fast'"):
        validate(rdflib.Graph(), rdflib.Graph(), engine="fast")


def test_dataset_is_validated_as_union_across_graphs() -> None:
    """An organisation in one graph serving an area typed in another graph conforms."""
    ds = rdflib.Dataset()
    ds.graph(rdflib.URIRef("urn:g1")).parse(data=PREFIXES + "org:a a hn:Organisation ; hn:areaServed org:area .",
                                            format="turtle")
    ds.graph(rdflib.URIRef("urn:g2")).parse(data=PREFIXES + "org:area a hn:AdministrativeArea .", format="turtle")
    shapes = rdflib.Graph().parse(data=PREFIXES + """<urn:s> a sh:NodeShape ; sh:targetClass hn:Organisation ;
        sh:property [ sh:path hn:areaServed ; sh:class hn:AdministrativeArea ] .""", format="turtle")
    assert validate(ds, shapes).conforms


@pytest.mark.parametrize("engine", [e for e in ENGINES if e != "pyshacl"])
def test_other_engines_agree_with_pyshacl(report, engine: str) -> None:
    """Every engine behind validate() reports the same results as the pyshacl reference."""
    g = lambda text: rdflib.Graph().parse(data=text, format="turtle")  # noqa: E731
    other = validate(g(DATA), g(SHAPES), g(ONTOLOGY), engine=engine)
    key = lambda r: (r.focus_node, r.result_path, r.constraint_component, r.value, r.severity)  # noqa: E731
    assert sorted(map(key, other.results)) == sorted(map(key, report.results))
    expected = [r.message_de for r in sorted(report.results, key=key)]
    assert [r.message_de for r in sorted(other.results, key=key)] == expected
