"""DCAT-AP and VoID descriptions of the dataset, computed from the store.

Why computed and not hand-written: counts (triples, entities, class and property partitions,
links to Wikidata and NUTS) and distributions (file sizes, checksums) change with every build;
a portal harvesting /dataset or /.well-known/void must see the numbers of the graph it is
served with. The fixed parts — title, licence, the attribution the reference data requires
(data/reference/README.md) — are constants here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg import rdf as ns
from kg.graph.dump import Manifest
from kg.rdf import (
    CANONICAL_BASE,
    CC,
    CPSV,
    CV,
    DCAT,
    DCT,
    ELI,
    FOAF,
    FRAPO,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SD,
    SH,
    SKOS,
    SPDX,
    TIME,
    VOID,
    WD,
    XSD,
)

DATASET_IRI = CANONICAL_BASE + "/dataset"
VOID_IRI = CANONICAL_BASE + "/.well-known/void"

#: Licence of the project's own data (the ontology states the same for itself).
DATA_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DLDE_BY_2 = "https://www.govdata.de/dl-de/by-2-0"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"

#: Attribution the reference data requires (verbatim from data/reference/README.md).
ATTRIBUTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "destatis",
        DLDE_BY_2,
        "Datenquelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD, Gebietsstand 30.11.2025 "
        "(Bevölkerung und Fläche 31.12.2024); © Statistische Ämter des Bundes und der Länder, Datenlizenz "
        "Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0, https://www.govdata.de/dl-de/by-2-0). "
        "Aufbereitet (aggregiert, umkodiert).",
    ),
    (
        "eurostat-nuts",
        DATA_LICENSE,
        "© European Union – Eurostat, NUTS 2024 (reuse under Commission Decision 2011/833/EU, CC BY 4.0).",
    ),
    ("nwbib", CC0, "Wikidata-IDs via NWBib-Raumsystematik (hbz), CC0 1.0."),
)

TITLE = {
    "de": "hilfenetz: Wissensgraph der Hilfen für Kinder psychisch kranker und suchtkranker Eltern",
    "en": "hilfenetz: knowledge graph of support for children of mentally ill or addicted parents",
}
DESCRIPTION = {
    "de": "Akteure, Programme, Angebote, Kooperationen und Förderungen für Kinder psychisch kranker oder "
    "suchtkranker Eltern in Deutschland, jede Aussage an ihr Quelldokument gebunden; mit den amtlichen "
    "Verwaltungseinheiten (Destatis) als Referenzdaten.",
    "en": "Actors, programmes, offers, cooperation links and funding supporting children of mentally ill or "
    "addicted parents in Germany, every statement tied to its source document; with the official "
    "administrative units (Destatis) as reference data.",
}

#: External datasets that links point into: namespace → (slug, title, homepage).
LINK_TARGETS: tuple[tuple[str, str, str, str], ...] = (
    (WD, "wikidata", "Wikidata", "https://www.wikidata.org/"),
    ("http://data.europa.eu/nuts/", "nuts", "Eurostat NUTS", "https://ec.europa.eu/eurostat/web/nuts"),
    ("https://d-nb.info/gnd/", "gnd", "GND", "https://gnd.network/"),
    (SCHEMA, "schema-org", "schema.org", "https://schema.org/"),
    (ORG, "org", "W3C Organization Ontology", "http://www.w3.org/ns/org#"),
    (PROV, "prov", "PROV-O", "http://www.w3.org/ns/prov#"),
    (FOAF, "foaf", "FOAF", "http://xmlns.com/foaf/0.1/"),
    (CV, "cpov", "Core Public Sector Vocabularies (CPOV/CPSV-AP/CPEV)", "https://semiceu.github.io/"),
    (CPSV, "cpsv", "CPSV", "http://purl.org/vocab/cpsv#"),
    (FRAPO, "frapo", "FRAPO", "http://purl.org/cerif/frapo/"),
    (ELI, "eli", "ELI ontology", "http://data.europa.eu/eli/ontology#"),
    (TIME, "time", "OWL-Time", "http://www.w3.org/2006/time#"),
    (DCT, "dcterms", "DCMI Metadata Terms", "http://purl.org/dc/terms/"),
    (SKOS, "skos", "SKOS", "http://www.w3.org/2004/02/skos/core#"),
)

#: Namespaces of RDF/OWL machinery: links into them are not linksets.
_INTERNAL = (ns.HN, ns.HNID, ns.ONTOLOGY_IRI, RDF, RDFS, OWL, XSD, SH)


@dataclass
class Stats:
    """The numbers VoID reports."""

    triples: int = 0
    quads: int = 0
    entities: int = 0
    subjects: int = 0
    objects: int = 0
    classes: dict[str, int] = field(default_factory=dict)  # class → distinct instances
    properties: dict[str, int] = field(default_factory=dict)  # property → distinct triples
    graphs: dict[str, int] = field(default_factory=dict)  # named graph → quads
    linksets: dict[tuple[str, str], int] = field(default_factory=dict)  # (target slug, predicate) → links
    vocabularies: set[str] = field(default_factory=set)


def _one(store: ox.Store, query: str) -> int:
    row = next(iter(store.query(query, use_default_graph_as_union=True)))
    return int(row[0].value)


def _target(iri: str) -> str | None:
    for prefix, slug, _title, _home in LINK_TARGETS:
        if iri.startswith(prefix):
            return slug
    return None


def compute_stats(store: ox.Store) -> Stats:
    """Scan the store (a few SPARQL aggregates) for the VoID numbers."""
    st = Stats(quads=len(store))
    st.triples = _one(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    st.entities = _one(
        store,
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ns.HNID}")) }}',
    )
    st.subjects = _one(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
    st.objects = _one(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")
    for row in store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c",
        use_default_graph_as_union=True,
    ):
        st.classes[row["c"].value] = int(row["n"].value)
    for row in store.query(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } GROUP BY ?p",
        use_default_graph_as_union=True,
    ):
        st.properties[row["p"].value] = int(row["n"].value)
    for row in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        st.graphs[row["g"].value] = int(row["n"].value)
    for row in store.query(
        "SELECT ?p ?o WHERE { { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?o) && ?p != rdf:type) } } }"
        .replace("rdf:type", f"<{RDF}type>"),
        use_default_graph_as_union=True,
    ):
        o = row["o"].value
        if o.startswith(_INTERNAL):
            continue
        slug = _target(o)
        if slug is not None:
            key = (slug, row["p"].value)
            st.linksets[key] = st.linksets.get(key, 0) + 1
    for iri in list(st.classes) + list(st.properties):
        for prefix, _slug, _t, _h in LINK_TARGETS:
            if iri.startswith(prefix):
                st.vocabularies.add(prefix)
    st.vocabularies.add(ns.HN)
    return st


class _G:
    """Tiny triple collector with typed helpers."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, s: str | ox.BlankNode, p: str, o: str | ox.Literal | ox.BlankNode | ox.NamedNode) -> None:
        subj = s if isinstance(s, ox.BlankNode) else ox.NamedNode(s)
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        self.triples.append(ox.Triple(subj, ox.NamedNode(p), obj))

    def lit(self, s: str | ox.BlankNode, p: str, value: object, dt: str | None = None, lang: str | None = None) -> None:
        if lang:
            self.add(s, p, ox.Literal(str(value), language=lang))
        elif dt:
            self.add(s, p, ox.Literal(str(value), datatype=ox.NamedNode(dt)))
        else:
            self.add(s, p, ox.Literal(str(value)))


def _slug(text: str) -> str:
    """A fragment-safe slug; IRIs in a known namespace become `prefix-local`."""
    for prefix, base in ns.PREFIXES.items():
        if text.startswith(base) and prefix != "hnid":
            text = f"{prefix}-{text[len(base):]}"
            break
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_LICENSED_SOURCES = """
SELECT DISTINCT ?src ?p ?o WHERE {
  ?src a <https://w3id.org/hilfenetz/ontology#SourceDocument> ; <http://purl.org/dc/terms/license> ?l .
  ?src ?p ?o .
  VALUES ?p { <http://purl.org/dc/terms/title> <http://purl.org/dc/terms/publisher> <http://purl.org/dc/terms/license>
              <http://purl.org/dc/terms/rights> <http://creativecommons.org/ns#attributionText> }
}
"""


def licensed_sources(store: ox.Store) -> list[ox.Triple]:
    """Source documents that carry a licence (the reference datasets) with title, publisher,
    licence, rights and attribution text — as the store states them."""
    return [
        ox.Triple(row["src"], row["p"], row["o"])
        for row in store.query(_LICENSED_SOURCES, use_default_graph_as_union=True)
    ]


def dcat_description(
    base_url: str,
    manifest: Manifest | None,
    stats: Stats | None = None,
    sources: list[ox.Triple] | None = None,
) -> list[ox.Triple]:
    """DCAT-AP: the dataset, its distributions (dumps with size and SHA-256) and the SPARQL service.

    `base_url` is where the service is reachable (download and endpoint URLs); the dataset keeps
    its canonical IRI. `sources`: `licensed_sources(store)`, listed as dct:source.
    """
    g = _G()
    d = DATASET_IRI
    base = base_url.rstrip("/")
    g.add(d, RDF + "type", DCAT + "Dataset")
    g.add(d, RDF + "type", VOID + "Dataset")
    for lang in ("de", "en"):
        g.lit(d, DCT + "title", TITLE[lang], lang=lang)
        g.lit(d, DCT + "description", DESCRIPTION[lang], lang=lang)
    g.add(d, DCT + "license", DATA_LICENSE)
    g.add(d, DCT + "conformsTo", ns.ONTOLOGY_IRI)
    g.add(d, DCT + "language", "http://publications.europa.eu/resource/authority/language/DEU")
    g.add(d, DCT + "language", "http://publications.europa.eu/resource/authority/language/ENG")
    g.add(d, DCT + "spatial", "http://publications.europa.eu/resource/authority/country/DEU")
    g.add(d, DCAT + "theme", "http://publications.europa.eu/resource/authority/data-theme/SOCI")
    g.add(d, DCAT + "theme", "http://publications.europa.eu/resource/authority/data-theme/HEAL")
    for kw in ("Kinder psychisch kranker Eltern", "Kinder suchtkranker Eltern", "Frühe Hilfen", "Präventionsketten"):
        g.lit(d, DCAT + "keyword", kw, lang="de")
    publisher = CANONICAL_BASE + "/dataset#publisher"
    g.add(d, DCT + "publisher", publisher)
    g.add(publisher, RDF + "type", FOAF + "Agent")
    g.lit(publisher, FOAF + "name", "hilfenetz-Projekt", lang="de")
    g.lit(publisher, FOAF + "name", "hilfenetz project", lang="en")
    g.add(d, DCAT + "landingPage", base + "/dataset")
    g.add(d, VOID + "sparqlEndpoint", base + "/sparql")
    g.add(d, VOID + "rootResource", ns.ONTOLOGY_IRI)
    g.add(d, VOID + "uriSpace", ox.Literal(ns.HNID))
    g.add(d, RDFS + "seeAlso", VOID_IRI)
    # Attribution the reference data requires; DCAT-AP has no attribution property, so the text is
    # stated as a licence document's label, on the dataset as dct:rights and in a qualified
    # attribution-like note (readable by people and machines).
    for slug, lic, text in ATTRIBUTIONS:
        rights = f"{CANONICAL_BASE}/dataset#rights-{slug}"
        g.add(d, DCT + "rights", rights)
        g.add(rights, RDF + "type", DCT + "RightsStatement")
        g.lit(rights, RDFS + "label", text, lang="de" if slug == "destatis" else "en")
        g.add(rights, DCT + "license", lic)
        g.add(d, CC + "attributionName", ox.Literal(text))
    catalog = CANONICAL_BASE + "/dataset#catalog"
    g.add(catalog, RDF + "type", DCAT + "Catalog")
    for lang in ("de", "en"):
        g.lit(catalog, DCT + "title", {"de": "hilfenetz-Katalog", "en": "hilfenetz catalogue"}[lang], lang=lang)
        g.lit(catalog, DCT + "description", DESCRIPTION[lang], lang=lang)
    g.add(catalog, DCT + "publisher", publisher)
    g.add(catalog, DCT + "license", DATA_LICENSE)
    g.add(catalog, DCAT + "dataset", d)
    g.add(catalog, FOAF + "homepage", base + "/")
    service = CANONICAL_BASE + "/dataset#sparql"
    g.add(catalog, DCAT + "service", service)
    g.add(service, RDF + "type", DCAT + "DataService")
    g.lit(service, DCT + "title", "SPARQL-Endpunkt", lang="de")
    g.lit(service, DCT + "title", "SPARQL endpoint", lang="en")
    g.add(service, DCAT + "endpointURL", base + "/sparql")
    g.add(service, DCAT + "servesDataset", d)
    g.add(service, DCT + "license", DATA_LICENSE)
    g.add(service, DCT + "conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
    if manifest is not None:
        for f in manifest.files:
            dist = f"{CANONICAL_BASE}/dataset#dist-{_slug(f.name)}"
            g.add(d, DCAT + "distribution", dist)
            g.add(dist, RDF + "type", DCAT + "Distribution")
            title = f.name if f.graph is None else f"{f.name} ({f.graph})"
            g.lit(dist, DCT + "title", title)
            url = f"{base}/downloads/{f.name}"
            g.add(dist, DCAT + "downloadURL", url)
            g.add(dist, DCAT + "accessURL", base + "/downloads")
            g.add(dist, DCAT + "mediaType", f"https://www.iana.org/assignments/media-types/{f.media_type}")
            if f.encoding == "gzip":
                g.add(dist, DCAT + "compressFormat", "https://www.iana.org/assignments/media-types/application/gzip")
            g.lit(dist, DCAT + "byteSize", f.size, dt=XSD + "nonNegativeInteger")
            g.add(dist, DCT + "license", DATA_LICENSE)
            checksum = ox.BlankNode(f"checksum-{_slug(f.name)}")
            g.add(dist, SPDX + "checksum", checksum)
            g.add(checksum, RDF + "type", SPDX + "Checksum")
            g.add(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
            g.lit(checksum, SPDX + "checksumValue", f.sha256, dt=XSD + "hexBinary")
            if f.graph is None:
                g.add(d, VOID + "dataDump", url)
    if stats is not None:
        g.lit(d, VOID + "triples", stats.triples, dt=XSD + "integer")
    # The reference datasets this one is derived from, with their licences and attribution texts.
    for src in sorted({t.subject.value for t in sources or []}):
        g.add(d, DCT + "source", src)
    g.triples.extend(sources or [])
    return g.triples


def void_description(base_url: str, stats: Stats, manifest: Manifest | None = None) -> list[ox.Triple]:
    """VoID: triples, entities, class and property partitions, named-graph subsets, linksets."""
    g = _G()
    d = DATASET_IRI
    base = base_url.rstrip("/")
    g.add(VOID_IRI, RDF + "type", VOID + "DatasetDescription")
    g.lit(VOID_IRI, DCT + "title", "VoID-Beschreibung des hilfenetz-Datensatzes", lang="de")
    g.lit(VOID_IRI, DCT + "title", "VoID description of the hilfenetz dataset", lang="en")
    g.add(VOID_IRI, FOAF + "primaryTopic", d)
    g.add(d, RDF + "type", VOID + "Dataset")
    for lang in ("de", "en"):
        g.lit(d, DCT + "title", TITLE[lang], lang=lang)
    g.add(d, DCT + "license", DATA_LICENSE)
    for _name, _lic, text in ATTRIBUTIONS:
        g.add(d, CC + "attributionName", ox.Literal(text))
    g.add(d, VOID + "sparqlEndpoint", base + "/sparql")
    g.add(d, VOID + "uriSpace", ox.Literal(ns.HNID))
    g.add(d, VOID + "exampleResource", ns.HNID + "area/05")
    g.lit(d, VOID + "triples", stats.triples, dt=XSD + "integer")
    g.lit(d, VOID + "entities", stats.entities, dt=XSD + "integer")
    g.lit(d, VOID + "distinctSubjects", stats.subjects, dt=XSD + "integer")
    g.lit(d, VOID + "distinctObjects", stats.objects, dt=XSD + "integer")
    g.lit(d, VOID + "classes", len(stats.classes), dt=XSD + "integer")
    g.lit(d, VOID + "properties", len(stats.properties), dt=XSD + "integer")
    for vocab in sorted(stats.vocabularies):
        g.add(d, VOID + "vocabulary", vocab)
    if manifest is not None:
        for f in manifest.files:
            if f.graph is None:
                g.add(d, VOID + "dataDump", f"{base}/downloads/{f.name}")
    for c, n in sorted(stats.classes.items()):
        part = f"{DATASET_IRI}#class-{_slug(c)}"
        g.add(d, VOID + "classPartition", part)
        g.add(part, VOID + "class", c)
        g.lit(part, VOID + "entities", n, dt=XSD + "integer")
    for p, n in sorted(stats.properties.items()):
        part = f"{DATASET_IRI}#property-{_slug(p)}"
        g.add(d, VOID + "propertyPartition", part)
        g.add(part, VOID + "property", p)
        g.lit(part, VOID + "triples", n, dt=XSD + "integer")
    by_graph_file = {f.graph: f for f in manifest.files if f.graph} if manifest else {}
    for graph, n in sorted(stats.graphs.items()):
        sub = f"{DATASET_IRI}#graph-{_slug(graph.removeprefix(ns.HNID))}"
        g.add(d, VOID + "subset", sub)
        g.add(sub, RDF + "type", VOID + "Dataset")
        g.add(sub, SD + "name", graph)
        g.lit(sub, VOID + "triples", n, dt=XSD + "integer")
        if graph in by_graph_file:
            g.add(sub, VOID + "dataDump", f"{base}/downloads/{by_graph_file[graph].name}")
    homes = {slug: (title, home) for _p, slug, title, home in LINK_TARGETS}
    for (slug, pred), n in sorted(stats.linksets.items()):
        title, home = homes[slug]
        target = f"{DATASET_IRI}#target-{slug}"
        ls = f"{DATASET_IRI}#linkset-{slug}-{_slug(pred)}"
        g.add(d, VOID + "subset", ls)
        g.add(ls, RDF + "type", VOID + "Linkset")
        g.add(ls, VOID + "subjectsTarget", d)
        g.add(ls, VOID + "objectsTarget", target)
        g.add(ls, VOID + "linkPredicate", pred)
        g.lit(ls, VOID + "triples", n, dt=XSD + "integer")
        g.add(target, RDF + "type", VOID + "Dataset")
        g.lit(target, DCT + "title", title)
        g.add(target, FOAF + "homepage", home)
    return g.triples
