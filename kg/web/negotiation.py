"""Content negotiation: which serialisation to answer with, from Accept (with q-values) or `format=`.

Why our own: Starlette has no Accept negotiation, and the rules here are specific — SELECT/ASK
results and graphs (CONSTRUCT/DESCRIBE, graph store) have different format sets and defaults,
`format=` overrides Accept (for links and browsers), and nothing suitable means 406.
The formats themselves (media types, aliases, `format=` names, pyoxigraph formats) are the one
table in kg.formats.

`format=` rules, because real clients send it beside a good Accept header (SPARQLWrapper sends
`format=xml` for its default CONSTRUCT, `format=rdf+xml`, `format=n3`, `format=json-ld`, and
repeats it as `output=` and `results=`): the first value that names one of the offers wins; a
value that names no format at all is ignored, so Accept decides; a value that names a format of
another kind (`format=csv` for a CONSTRUCT) is a 406, because the client asked for exactly that.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kg import formats
from kg.formats import GRAPH_FORMATS, RESULT_FORMATS, Format

__all__ = ["ALL_FORMATS", "GRAPH_FORMATS", "RESULT_FORMATS", "Format", "describe_offers",
           "format_from_content_type", "negotiate", "parse_accept"]

#: Formats by internal key (the keys of worker jobs and cache entries).
ALL_FORMATS: dict[str, Format] = {f.key: f for f in formats.ALL}


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
    for i, media in enumerate((fmt.media_type, *fmt.aliases)):
        for r in ranges:
            spec = r.specificity(media)
            # an alias counts slightly less than the canonical type at equal q
            if spec >= 0 and (spec > best_spec or (spec == best_spec and r.q > best_q)):
                best_spec, best_q = spec, r.q * (1.0 if i == 0 or spec < 2 else 0.999)
    return best_q, best_spec


@functools.lru_cache(maxsize=2048)
def negotiate(accept: str | None, offers: tuple[Format, ...],
              format_param: str | tuple[str, ...] | None = None) -> Format | None:
    """The format to answer with, or None (→ 406).

    `format_param`: the `format=` value(s) of the request, in order. The first that names one
    of the offers wins; values naming no known format are ignored; if one names only formats
    outside the offers (and none names an offer), the answer is None. Otherwise Accept
    decides: no Accept header, or only */*, gives the first offer."""
    values = (format_param,) if isinstance(format_param, str) else (format_param or ())
    refused = False
    for value in values:
        if not value.strip():
            continue
        fmt = formats.by_name(value, offers)
        if fmt is not None:
            return fmt
        refused = refused or formats.is_known(value)
    if refused:
        return None
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
    return formats.by_media_type(content_type, offers)
