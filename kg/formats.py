"""The one table of serialisations: name, media types, file extension, pyoxigraph format, aliases.

Why one table: the endpoint's content negotiation (kg.web.negotiation), the query workers'
serialisers (kg.query.execute), the linked-data routes (`/id/x.ttl`, `Link` alternates), the
graph store, the service description and the named-query API all name formats. Before, each
kept its own table (four of them, one spelling RDF/XML "rdf" where the others said "rdfxml");
now a format is added, renamed or given another alias here, once, and every one of them agrees.

Vocabulary:
- `key`: the internal name (cache keys, worker jobs; never on the wire);
- `media_type`: what is sent in Content-Type, `content_type` the whole header value;
- `aliases`: further media types that ask for the format in Accept or name it in Content-Type
  (e.g. `text/n3` for Turtle: every Turtle document is N3, and SPARQLWrapper's N3 asks for it);
- `names`: the `format=` values common clients send for it (SPARQLWrapper sends `xml`,
  `rdf+xml`, `n3`, `json-ld`, …; Virtuoso-style links `turtle`, `ntriples`). A name may belong to
  two formats of different kinds (`xml`: SPARQL XML results for SELECT, RDF/XML for CONSTRUCT):
  it is resolved among the formats a request can be answered in (`by_name(…, offers)`);
- `extension`: the file extension of a document in the format (`/id/x.rdf`, downloads);
- `ox_format`: the pyoxigraph RdfFormat or QueryResultsFormat that writes it (None: rendered by
  us); `rdf` and `results` give it typed.

Format objects hold pyoxigraph enums, which cannot be pickled: jobs sent to query workers carry
the `key` and the worker looks the format up here (`by_key`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyoxigraph as ox

Kind = Literal["results", "graph", "document"]


@dataclass(frozen=True)
class Format:
    """One serialisation this service reads or writes."""

    key: str
    media_type: str
    content_type: str
    extension: str
    label: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    ox_format: ox.RdfFormat | ox.QueryResultsFormat | None = field(default=None, compare=False, repr=False)

    @property
    def rdf(self) -> ox.RdfFormat:
        """The pyoxigraph RdfFormat (ValueError for a format that is not RDF)."""
        if not isinstance(self.ox_format, ox.RdfFormat):
            raise ValueError(f"{self.label} is not an RDF serialisation")
        return self.ox_format

    @property
    def results(self) -> ox.QueryResultsFormat:
        """The pyoxigraph QueryResultsFormat (ValueError for a format that is not a results format)."""
        if not isinstance(self.ox_format, ox.QueryResultsFormat):
            raise ValueError(f"{self.label} is not a SPARQL results serialisation")
        return self.ox_format

    def matches(self, media: str) -> bool:
        """True if the (lower-case, parameter-free) media type names this format."""
        return media == self.media_type or media in self.aliases


def _f(key: str, media: str, ext: str, label: str, kind: Kind, *, aliases: tuple[str, ...] = (),
       names: tuple[str, ...] = (), fmt: ox.RdfFormat | ox.QueryResultsFormat | None = None,
       charset: bool = True) -> Format:
    return Format(key, media, media + ("; charset=utf-8" if charset else ""), ext, label, kind, aliases,
                  names, fmt)


# --- SPARQL SELECT/ASK results, in the endpoint's order of preference (the first is the default)
SPARQL_JSON = _f("json", "application/sparql-results+json", "srj", "SPARQL JSON", "results",
                 aliases=("application/json", "text/javascript", "application/javascript"),
                 names=("json", "srj"), fmt=ox.QueryResultsFormat.JSON)
SPARQL_XML = _f("xml", "application/sparql-results+xml", "srx", "SPARQL XML", "results",
                aliases=("application/xml", "text/xml"), names=("xml", "srx"), fmt=ox.QueryResultsFormat.XML)
CSV = _f("csv", "text/csv", "csv", "CSV", "results", names=("csv",), fmt=ox.QueryResultsFormat.CSV)
TSV = _f("tsv", "text/tab-separated-values", "tsv", "TSV", "results", names=("tsv",), fmt=ox.QueryResultsFormat.TSV)

# --- RDF graphs and datasets, in the endpoint's order of preference
TURTLE = _f("ttl", "text/turtle", "ttl", "Turtle", "graph",
            aliases=("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
            names=("ttl", "turtle", "n3"), fmt=ox.RdfFormat.TURTLE)
N_TRIPLES = _f("nt", "application/n-triples", "nt", "N-Triples", "graph", aliases=("text/plain",),
               names=("nt", "ntriples", "n-triples"), fmt=ox.RdfFormat.N_TRIPLES)
RDF_XML = _f("rdfxml", "application/rdf+xml", "rdf", "RDF/XML", "graph", aliases=("application/xml", "text/xml"),
             names=("rdfxml", "rdf", "rdf+xml", "owl", "xml"), fmt=ox.RdfFormat.RDF_XML)
JSON_LD = _f("jsonld", "application/ld+json", "jsonld", "JSON-LD", "graph",
             aliases=("application/json", "application/x-json+ld"), names=("jsonld", "json-ld", "json"),
             fmt=ox.RdfFormat.JSON_LD, charset=False)
TRIG = _f("trig", "application/trig", "trig", "TriG", "graph", names=("trig",), fmt=ox.RdfFormat.TRIG)
N_QUADS = _f("nq", "application/n-quads", "nq", "N-Quads", "graph", names=("nq", "nquads", "n-quads"),
             fmt=ox.RdfFormat.N_QUADS)

# --- documents we render ourselves
HTML = _f("html", "text/html", "html", "HTML", "document", aliases=("application/xhtml+xml",), names=("html",))
JSON = _f("plainjson", "application/json", "json", "JSON", "document", names=("json",), charset=False)

#: Every format, each once.
ALL: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, CSV, TSV, TURTLE, N_TRIPLES, RDF_XML, JSON_LD, TRIG, N_QUADS,
                           HTML, JSON)
#: What SELECT and ASK answers are offered in (the first is the default).
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
#: What CONSTRUCT, DESCRIBE and RDF documents are offered in (the first is the default).
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD, TRIG, N_QUADS)
#: Serialisations of one graph (no dataset formats): graph store, linked-data documents.
TRIPLE_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD)

_BY_KEY: dict[str, Format] = {f.key: f for f in ALL}
_BY_EXTENSION: dict[str, Format] = {f.extension: f for f in ALL}
#: Every `format=` name and media type that names some format (to tell unknown values apart).
_KNOWN: frozenset[str] = frozenset(x for f in ALL for x in (f.media_type, *f.aliases, *f.names))

assert len(_BY_KEY) == len(ALL) and len(_BY_EXTENSION) == len(ALL), "keys and extensions must be unique"


def by_key(key: str) -> Format:
    """The format with this internal key (KeyError for an unknown one)."""
    return _BY_KEY[key]


def by_extension(extension: str, offers: tuple[Format, ...] = ALL) -> Format | None:
    """The format among `offers` a file extension (without the dot, any case) names, or None."""
    fmt = _BY_EXTENSION.get(extension.lower())
    return fmt if fmt is not None and fmt in offers else None


def by_name(value: str, offers: tuple[Format, ...]) -> Format | None:
    """The format among `offers` that a `format=` value names: one of its names or media types
    (any case, surrounding spaces ignored), else None."""
    token = value.strip().lower()
    for fmt in offers:
        if token in fmt.names or fmt.matches(token):
            return fmt
    return None


def is_known(value: str) -> bool:
    """True if a `format=` value names some format of this table (for any kind of answer)."""
    return value.strip().lower() in _KNOWN


def by_media_type(content_type: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The format among `offers` a Content-Type header declares (parameters ignored), or None."""
    if not content_type:
        return None
    media = content_type.split(";")[0].strip().lower()
    return next((f for f in offers if f.matches(media)), None)
