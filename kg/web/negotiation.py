"""Content negotiation: which serialisation to answer with, from Accept (with q-values) or `format=`.

Why our own: Starlette has no Accept negotiation, and the rules here are specific — SELECT/ASK
results and graphs (CONSTRUCT/DESCRIBE, graph store) have different format sets and defaults,
`format=` overrides Accept (for links and browsers), and nothing suitable means 406.
Formats are named by short keys; kg.query.execute maps the keys to pyoxigraph formats.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One serialisation the endpoint offers."""

    key: str
    media_type: str  # canonical media type, without parameters
    content_type: str  # the Content-Type header value we send
    aliases: tuple[str, ...] = ()  # other media types that ask for this format


def _f(key: str, media: str, aliases: tuple[str, ...] = (), charset: bool = True) -> Format:
    return Format(key, media, media + ("; charset=utf-8" if charset else ""), aliases)


#: SELECT and ASK results, in server preference order (the first is the default).
RESULT_FORMATS: tuple[Format, ...] = (
    _f("json", "application/sparql-results+json", ("application/json", "text/javascript", "application/javascript")),
    _f("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    _f("csv", "text/csv"),
    _f("tsv", "text/tab-separated-values"),
)

#: Graphs (CONSTRUCT, DESCRIBE, graph store GET), in server preference order.
GRAPH_FORMATS: tuple[Format, ...] = (
    _f("ttl", "text/turtle", ("application/x-turtle", "application/turtle")),
    _f("nt", "application/n-triples", ("text/plain",)),
    _f("rdfxml", "application/rdf+xml", ("application/xml", "text/xml")),
    _f("jsonld", "application/ld+json", ("application/json",), charset=False),
    _f("trig", "application/trig"),
    _f("nq", "application/n-quads"),
)

#: `format=` synonyms accepted in the query string.
FORMAT_PARAM_ALIASES: dict[str, str] = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "ttl": "ttl", "turtle": "ttl", "nt": "nt", "ntriples": "nt", "n-triples": "nt",
    "nq": "nq", "nquads": "nq", "n-quads": "nq", "trig": "trig",
    "jsonld": "jsonld", "json-ld": "jsonld", "rdfxml": "rdfxml", "rdf": "rdfxml", "owl": "rdfxml",
}

ALL_FORMATS: dict[str, Format] = {f.key: f for f in RESULT_FORMATS + GRAPH_FORMATS}


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    order: int

    def specificity(self, media: str) -> int:
        """-1 if the range does not match `media`, else 0 (*/*), 1 (type/*), 2 (exact)."""
        mtype, _, msub = media.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == mtype and self.subtype == "*":
            return 1
        if self.type == mtype and self.subtype == msub:
            return 2
        return -1


def parse_accept(header: str | None) -> list[_Range]:
    """Media ranges of an Accept header with their q-values (malformed parts are skipped)."""
    ranges: list[_Range] = []
    if not header:
        return ranges
    for order, part in enumerate(header.split(",")):
        fields = [x.strip() for x in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        mtype, _, msub = media.partition("/")
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append(_Range(mtype, msub, q, order))
    return ranges


def _quality(ranges: list[_Range], fmt: Format) -> tuple[float, int]:
    """q of the most specific range matching the format (canonical type or an alias)."""
    best_q, best_spec = 0.0, -1
    for i, media in enumerate((fmt.media_type,) + fmt.aliases):
        for r in ranges:
            spec = r.specificity(media)
            # an alias counts slightly less than the canonical type at equal q
            if spec >= 0 and (spec > best_spec or (spec == best_spec and r.q > best_q)):
                best_spec, best_q = spec, r.q * (1.0 if i == 0 or spec < 2 else 0.999)
    return best_q, best_spec


@functools.lru_cache(maxsize=2048)
def negotiate(accept: str | None, offers: tuple[Format, ...], format_param: str | None = None) -> Format | None:
    """The format to answer with, or None (→ 406).

    `format=` wins if it names one of the offers; an unknown or unsuitable `format=` gives None.
    No Accept header, or only */*, gives the first offer."""
    if format_param:
        key = FORMAT_PARAM_ALIASES.get(format_param.strip().lower())
        if key is None:
            # also accept a media type in format=
            for fmt in offers:
                if format_param.strip().lower() in (fmt.media_type,) + fmt.aliases:
                    return fmt
            return None
        return next((f for f in offers if f.key == key), None)
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best: Format | None = None
    best_score: tuple[float, int, int] = (0.0, -1, 0)
    for pos, fmt in enumerate(offers):
        q, spec = _quality(ranges, fmt)
        if q <= 0.0:
            continue
        score = (q, spec, -pos)
        if best is None or score > best_score:
            best, best_score = fmt, score
    return best


def describe_offers(offers: tuple[Format, ...]) -> str:
    """The media types of `offers`, for 406 messages."""
    return ", ".join(f.media_type for f in offers)


def format_from_content_type(content_type: str | None, offers: tuple[Format, ...] = GRAPH_FORMATS) -> Format | None:
    """The RDF format a request body declares (for graph store uploads), or None (→ 415)."""
    if not content_type:
        return None
    media = content_type.split(";")[0].strip().lower()
    for fmt in offers:
        if media == fmt.media_type or media in fmt.aliases:
            return fmt
    return None
