"""Entry point for the W3C SHACL test-suite runner (run_shacl_suite.py --callable):
`validate_files(data_path, shapes_path) -> (conforms, report graph)`.

Both files are parsed by pyoxigraph verbatim (relative IRIs against the file's own file: URI)
and the data loaded with `load_exact`, because the suite compares sh:value lexical forms
exactly. When data and shapes are one file the shapes graph is built from the same parsed
triples, so a blank node that is both a shape and a data node is one node in the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from kg.shacl.compile import to_rdf
from kg.shacl.engine import load_exact, validate_store


def parse_file(path: str) -> list[tuple[Any, Any, Any]]:
    """Triples of an RDF file (format from the extension; Turtle by default)."""
    p = Path(path).resolve()
    fmt = {".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE, ".rdf": ox.RdfFormat.RDF_XML,
           ".xml": ox.RdfFormat.RDF_XML, ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
           ".jsonld": ox.RdfFormat.JSON_LD}.get(p.suffix.lower(), ox.RdfFormat.TURTLE)
    return [(q.subject, q.predicate, q.object) for q in ox.parse(path=str(p), format=fmt, base_iri=p.as_uri())]


def rdflib_graph(triples: list[tuple[Any, Any, Any]]) -> rdflib.Graph:
    g = rdflib.Graph()
    for s, p, o in triples:
        g.add((to_rdf(s), to_rdf(p), to_rdf(o)))
    return g


def validate_files(data_path: str, shapes_path: str) -> tuple[bool, rdflib.Graph]:
    data = parse_file(data_path)
    same = Path(data_path).resolve() == Path(shapes_path).resolve()
    shapes = rdflib_graph(data if same else parse_file(shapes_path))
    store = ox.Store()
    surrogates = load_exact(store, data)
    report = validate_store(store, shapes, surrogates=surrogates)
    return not report.results, report.graph


def validate_files_exact(data_path: str, shapes_path: str) -> tuple[bool, rdflib.Graph]:
    """The same with every shape evaluated in Python (no compiled SPARQL): the reference path."""
    data = parse_file(data_path)
    same = Path(data_path).resolve() == Path(shapes_path).resolve()
    shapes = rdflib_graph(data if same else parse_file(shapes_path))
    store = ox.Store()
    surrogates = load_exact(store, data)
    report = validate_store(store, shapes, surrogates=surrogates, compiled=False)
    return not report.results, report.graph


def validate_files_scan(data_path: str, shapes_path: str) -> tuple[bool, rdflib.Graph]:
    """The same with every predicate path checked by the scan-first queries (which the engine
    otherwise uses only for target shapes with many focus nodes, never on the suite's tiny data)."""
    data = parse_file(data_path)
    same = Path(data_path).resolve() == Path(shapes_path).resolve()
    shapes = rdflib_graph(data if same else parse_file(shapes_path))
    store = ox.Store()
    surrogates = load_exact(store, data)
    report = validate_store(store, shapes, surrogates=surrogates, scan_min_focus=0)
    return not report.results, report.graph
