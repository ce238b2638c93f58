"""Every IRI the project names in code, as plain strings (see docs/model.md).

Modules import their namespaces and terms from here instead of spelling IRIs again (tests may keep
their own literals, as an independent check). Plain strings, not rdflib Namespaces: this module is
imported by every layer, and importing rdflib costs about 0.3 s that the query workers never need;
wrap a namespace with `rdflib.Namespace(SH)` or a term with `pyoxigraph.NamedNode(RDF_TYPE)` where
needed. Lowest layer: imports nothing from kg.
"""

from __future__ import annotations

CANONICAL_BASE = "https://w3id.org/hilfenetz"  # public base of every hilfenetz IRI (pages map it to /)
HN = CANONICAL_BASE + "/ontology#"
HNID = CANONICAL_BASE + "/id/"
ONTOLOGY_IRI = CANONICAL_BASE + "/ontology"

# ------------------------------------------------------------------------------ namespaces
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "http://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
TIME = "http://www.w3.org/2006/time#"
CV = "http://data.europa.eu/m8g/"
CPSV = "http://purl.org/vocab/cpsv#"
FRAPO = "http://purl.org/cerif/frapo/"
ELI = "http://data.europa.eu/eli/ontology#"
DCAT = "http://www.w3.org/ns/dcat#"
ADMS = "http://www.w3.org/ns/adms#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
SPDX = "http://spdx.org/rdf/terms#"
CC = "http://creativecommons.org/ns#"
NUTS = "http://data.europa.eu/nuts/code/"
WD = "http://www.wikidata.org/entity/"

# ------------------------------------------------------------------- frequently used terms
RDF_TYPE = RDF + "type"
RDF_LANGSTRING = RDF + "langString"
RDFS_LABEL = RDFS + "label"
RDFS_SUBCLASSOF = RDFS + "subClassOf"
RDFS_SUBPROPERTYOF = RDFS + "subPropertyOf"
RDFS_LITERAL = RDFS + "Literal"
RDFS_DATATYPE = RDFS + "Datatype"
OWL_VERSION_IRI = OWL + "versionIRI"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
SKOS_PREFLABEL = SKOS + "prefLabel"
SKOS_DEFINITION = SKOS + "definition"
DCT_TITLE = DCT + "title"
DCT_DESCRIPTION = DCT + "description"
PROV_WAS_DERIVED_FROM = PROV + "wasDerivedFrom"
#: The label for people, one per language, that says what the thing is ("Kreis Recklinghausen" vs
#: "Recklinghausen, Stadt", "Gladbeck (Gemeindeverband)"): pages, search and lists prefer it over
#: rdfs:label; rdfs:label / hn:officialName keep the official name (issue 21).
HN_DISPLAY_LABEL = HN + "displayLabel"
# roles whose holder does not take part in what it has the role for: hn:participatesIn is not derived
# from a participation with only such roles (issue 21: setting up a working group is not taking part in it)
ROLES_NOT_TAKING_PART: tuple[str, ...] = (HNID + "concept/role/establishing-body", HNID + "concept/role/funder")
SH_VIOLATION = SH + "Violation"
#: How an object property reads from its target ("hat Teilnehmer" for hn:participant): headings of
#: incoming links on the entity pages (ontology/inverse-labels.ttl).
HN_INVERSE_LABEL = HN + "inverseLabel"
OWL_INVERSE_OF = OWL + "inverseOf"
RDFS_RANGE = RDFS + "range"

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
GRAPH_CHANGES = HNID + "graph/changes"  # the change history: one hn:Change per committed write (kg.graph.changes)
CHANGE_BASE = HNID + "change/"  # IRI of one recorded change: CHANGE_BASE + its id
HN_CHANGE = HN + "Change"
BUILD_NODE = HNID + "build/current"  # the node the build metadata in GRAPH_BUILD describes


def source_graph(slug: str) -> str:
    """Named graph holding what the source document `slug` states."""
    return f"{HNID}graph/source/{slug}"


def source_document(slug: str) -> str:
    """IRI of the source document `slug` itself."""
    return f"{HNID}source/{slug}"


#: Terms of spreadsheet contributions (kg/graph/tabular, docs/import.md).
HN_SOURCE_ROW = HN + "sourceRow"  # the spreadsheet row a resource was imported from
HN_TOOL_VERSION = HN + "toolVersion"  # the importing tool and its version, on the source node
HN_CONTRIBUTION_KIND = HN + "contributionKind"  # the template kind a contribution was imported as
HN_SPREADSHEET_CONTRIBUTION = HN + "SpreadsheetContribution"  # a source document that is an imported table
DCT_PUBLISHER = DCT + "publisher"
DCT_ISSUED = DCT + "issued"
DCT_LICENSE = DCT + "license"
HN_FILE_NAME = HN + "fileName"
HN_SHA256 = HN + "sha256"
HN_STATED_IN = HN + "statedIn"


def area(key: str) -> str:
    """IRI of an administrative unit by its official key (AGS of 2, 3, 5 or 8 digits)."""
    return f"{HNID}area/{key}"


PREFIXES: dict[str, str] = {
    "hn": HN,
    "hnid": HNID,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dct": DCT,
    "prov": PROV,
    "org": ORG,
    "schema": SCHEMA,
    "foaf": FOAF,
    "sh": SH,
    "time": TIME,
    "cv": CV,
    "cpsv": CPSV,
    "frapo": FRAPO,
    "eli": ELI,
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
    "fm": HNID + "concept/figure-measure/",
    "topic": HNID + "concept/topic/",
    "sector": HNID + "concept/sector/",
    "otype": HNID + "concept/offer-type/",
}


def sparql_prefixes() -> str:
    """PREFIX header for SPARQL text, so queries and the UI share one list."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
