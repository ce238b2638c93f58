"""Small inputs at the borders between the compiled SPARQL plan and the exact fallback, each
checked against pyshacl (compiled and exact paths): regexes Rust's engine lacks, numeric ranges
with strings and ill-typed literals, lessThan across types, sh:in with typed literals, nested
logical shapes, inverse and alternative paths, qualified counts and closed shapes."""

from __future__ import annotations

import pytest
import rdflib

from .test_differential import assert_same

PREFIX = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
DATA = PREFIX + """
ex:A rdfs:subClassOf ex:B .
ex:a1 a ex:A ; ex:name "abc" , "Abd"@de , "x y"@en ; ex:n 5 , "7" , "abc"^^xsd:integer , 2.5 ;
      ex:lo 3 ; ex:hi 2 , "z" ; ex:kid ex:k1 , ex:k2 , [ ex:n 1 ] ; ex:year "2020"^^xsd:gYear , "20x1"^^xsd:gYear .
ex:a2 a ex:B ; ex:name "zzz" ; ex:n 0 ; ex:lo 1 ; ex:hi 4 ; ex:kid ex:k1 .
ex:k1 a ex:A ; ex:n 1 . ex:k2 ex:n 2 ; ex:extra "x" .
"""
SHAPES = {
    "lookahead": "ex:S a sh:NodeShape ; sh:targetClass ex:B ; "
                 "sh:property [ sh:path ex:name ; sh:pattern \"^(?=a)\" ; sh:flags \"i\" ] .",
    "ranges": "ex:S a sh:NodeShape ; sh:targetClass ex:B ; "
              "sh:property [ sh:path ex:n ; sh:minInclusive 1 ; sh:maxExclusive 6 ] .",
    "lessthan": "ex:S a sh:NodeShape ; sh:targetClass ex:B ; "
                "sh:property [ sh:path ex:lo ; sh:lessThan ex:hi ] , [ sh:path ex:n ; sh:lessThanOrEquals ex:lo ] .",
    "in": "ex:S a sh:NodeShape ; sh:targetClass ex:B ; sh:property [ sh:path ex:n ; sh:in ( 5 \"7\" 0 ) ] .",
    "logic": """ex:S a sh:NodeShape ; sh:targetClass ex:B ; sh:property [ sh:path ex:kid ;
        sh:or ( [ sh:class ex:A ] [ sh:property [ sh:path ex:n ; sh:minCount 1 ; sh:datatype xsd:integer ] ] ) ;
        sh:not [ sh:property [ sh:path ex:extra ; sh:minCount 1 ] ] ;
        sh:xone ( [ sh:nodeKind sh:IRI ] [ sh:property [ sh:path ex:n ; sh:hasValue 1 ] ] ) ] .""",
    "paths": """ex:S a sh:NodeShape ; sh:targetClass ex:A ;
        sh:property [ sh:path [ sh:inversePath ex:kid ] ; sh:minCount 2 ] ,
        [ sh:path ( ex:kid [ sh:alternativePath ( ex:n ex:extra ) ] ) ; sh:datatype xsd:integer ; sh:maxCount 2 ] ,
        [ sh:path [ sh:zeroOrMorePath ex:kid ] ; sh:nodeKind sh:IRI ] .""",
    "qualified": """ex:S a sh:NodeShape ; sh:targetClass ex:B ; sh:property
        [ sh:path ex:kid ; sh:qualifiedValueShape [ sh:class ex:A ] ; sh:qualifiedMinCount 2 ;
          sh:qualifiedValueShapesDisjoint true ] ,
        [ sh:path ex:kid ; sh:qualifiedValueShape [ sh:property [ sh:path ex:n ; sh:hasValue 2 ] ] ;
          sh:qualifiedMaxCount 0 ] .""",
    "closed-lang": """ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:n ; sh:closed true ; sh:ignoredProperties ( ex:n ) ;
        sh:property [ sh:path ex:name ; sh:uniqueLang true ; sh:languageIn ( "de" ) ; sh:maxLength 2 ] .""",
    "gyear": "ex:S a sh:NodeShape ; sh:targetClass ex:A ; sh:property [ sh:path ex:year ; sh:datatype xsd:gYear ] .",
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_edge_case_same_as_pyshacl(name: str) -> None:
    text = DATA
    if name == "lessthan":  # pyshacl crashes comparing an ill-typed literal with <=; leave it out
        text = text.replace(', "abc"^^xsd:integer', "")
    data = rdflib.Graph().parse(data=text, format="turtle")
    shapes = rdflib.Graph().parse(data=PREFIX + SHAPES[name], format="turtle")
    assert_same(data, shapes, rdflib.Graph())
