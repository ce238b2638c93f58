"""IRIs the whole project agrees on (see docs/model.md). Lowest layer: imports nothing from kg."""

from __future__ import annotations

HN = "https://w3id.org/hilfenetz/ontology#"
HNID = "https://w3id.org/hilfenetz/id/"
ONTOLOGY_IRI = "https://w3id.org/hilfenetz/ontology"

GRAPH_ONTOLOGY = HNID + "graph/ontology"
GRAPH_ALIGNMENT = HNID + "graph/alignment"
GRAPH_SCHEMES = HNID + "graph/schemes"
GRAPH_SHAPES = HNID + "graph/shapes"
GRAPH_SOURCES = HNID + "graph/sources"
GRAPH_INFERRED = HNID + "graph/inferred"
GRAPH_BUILD = HNID + "graph/build"  # build metadata: time, git commit, void:triples per graph
GRAPH_REFERENCE_DESTATIS = HNID + "graph/reference/destatis"
GRAPH_REFERENCE_HEALTH_OFFICES = HNID + "graph/reference/health-offices"
GRAPH_REFERENCE_STATUTES = HNID + "graph/reference/statutes"


def source_graph(slug: str) -> str:
    """Named graph holding what the source document `slug` states."""
    return f"{HNID}graph/source/{slug}"


def source_document(slug: str) -> str:
    """IRI of the source document `slug` itself."""
    return f"{HNID}source/{slug}"


def area(key: str) -> str:
    """IRI of an administrative unit by its official key (AGS of 2, 3, 5 or 8 digits)."""
    return f"{HNID}area/{key}"


PREFIXES: dict[str, str] = {
    "hn": HN,
    "hnid": HNID,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "http://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
    "time": "http://www.w3.org/2006/time#",
    "cv": "http://data.europa.eu/m8g/",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "frapo": "http://purl.org/cerif/frapo/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "hnsh": "https://w3id.org/hilfenetz/shapes#",
    # One prefix per kind of entity, as every data file declares them (data/seeds/*.ttl,
    # data/reference/statutes.ttl): `area:05562004` works without PREFIX in the UI, /sparql and
    # `kg query`, where `hnid:area/05562004` cannot (a prefixed name's local part has no '/').
    "area": HNID + "area/",
    "hnorg": HNID + "org/",
    "person": HNID + "person/",
    "post": HNID + "post/",
    "prog": HNID + "programme/",
    "proj": HNID + "project/",
    "event": HNID + "event/",
    "offer": HNID + "offer/",
    "coop": HNID + "cooperation/",
    "part": HNID + "participation/",
    "fig": HNID + "figure/",
    "doc": HNID + "document/",
    "stmt": HNID + "statement/",
    "res": HNID + "resolution/",
    "src": HNID + "source/",
    "norm": HNID + "legal-norm/",
    "role": HNID + "concept/role/",
    "tg": HNID + "concept/target-group/",
    "lp": HNID + "concept/life-phase/",
    "ot": HNID + "concept/organisation-type/",
    "cf": HNID + "concept/cooperation-form/",
    "ef": HNID + "concept/event-format/",
    "fp": HNID + "concept/figure-precision/",
    "topic": HNID + "concept/topic/",
    "sector": HNID + "concept/sector/",
    "otype": HNID + "concept/offer-type/",
}


def sparql_prefixes() -> str:
    """PREFIX header for SPARQL text, so queries and the UI share one list."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
