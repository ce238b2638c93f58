"""Canonical forms of answers, so that the embedded and the remote backend can be compared:
solution multisets for SELECT (blank-node labels replaced), graph isomorphism for RDF."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic, to_isomorphic

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


def _term(t: Any) -> str:
    return "_:b" if isinstance(t, ox.BlankNode) else str(t)


def solutions(body: bytes, media: str) -> Counter[Any] | bool:
    """A SELECT answer as a multiset of rows (frozensets of (variable, term)); ASK as a bool.
    CSV is compared as a multiset of lines (it loses term types by design)."""
    media = media.split(";")[0].strip()
    if media == "text/csv":
        lines = list(csv.reader(io.StringIO(body.decode())))
        return Counter([tuple(lines[0]), *sorted(tuple(line) for line in lines[1:])])
    res = ox.parse_query_results(body, format=RESULT_FORMATS[media])
    if isinstance(res, ox.QueryBoolean):
        return bool(res)
    names = [v.value for v in res.variables]
    return Counter(frozenset((n, _term(sol[n])) for n in names if sol[n] is not None) for sol in res)


RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def graph(body: bytes, media: str) -> rdflib.Graph:
    """Parse an RDF answer with rdflib (a second, independent parser)."""
    fmt = RDF_FORMATS[media.split(";")[0].strip()]
    if fmt in ("nquads", "trig"):
        ds = rdflib.Dataset()
        ds.parse(data=body, format=fmt)
        g = rdflib.Graph()
        for s, p, o, _c in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    g = rdflib.Graph()
    g.parse(data=body, format=fmt)
    return g


def same_graph(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    return len(a) == len(b) and isomorphic(a, b)


def graph_diff(a: rdflib.Graph, b: rdflib.Graph, limit: int = 5) -> str:
    """A short description of what differs (for assertion messages)."""
    ia, ib = to_isomorphic(a), to_isomorphic(b)
    only_a = sorted(str(t) for t in (ia - ib))[:limit]
    only_b = sorted(str(t) for t in (ib - ia))[:limit]
    return f"{len(a)} vs {len(b)} triples; only embedded: {only_a}; only remote: {only_b}"


def json_canonical(body: bytes) -> str:
    return json.dumps(json.loads(body), sort_keys=True)
