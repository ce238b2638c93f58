"""The native engine on the real built store (curated + reference data, ~250k triples), read in
place (no copy into rdflib): same results as pyshacl on the union of the same graphs. Slow,
because pyshacl needs minutes for the reference data."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
import rdflib

from kg import rdf as ns
from kg.shacl import pyshacl_engine
from kg.shacl.compile import to_rdf
from kg.shacl.engine import validate_store

from .test_differential import result_keys

_NOT_DATA = {ns.GRAPH_SHAPES, ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT, ns.GRAPH_INFERRED, ns.GRAPH_BUILD}


def _graph(store: ox.Store, graphs: list[str]) -> rdflib.Graph:
    g = rdflib.Graph()
    for name in graphs:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
            g.add((to_rdf(q.subject), to_rdf(q.predicate), to_rdf(q.object)))
    return g


@pytest.mark.slow
def test_real_store_native_equals_pyshacl(store: ox.Store) -> None:
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    data_graphs = [g for g in graphs if g not in _NOT_DATA]
    shapes = _graph(store, [ns.GRAPH_SHAPES])
    onto_graphs = [ns.GRAPH_ONTOLOGY, ns.GRAPH_ALIGNMENT]
    expected = result_keys(pyshacl_engine.run(_graph(store, data_graphs), shapes, _graph(store, onto_graphs),
                                              inplace=True))
    for scan_min_focus in (None, 0):  # as configured, and every predicate path scanned
        native = validate_store(store, shapes, data_graph=data_graphs, ontology_graphs=onto_graphs,
                                scan_min_focus=scan_min_focus)
        got = result_keys(native.graph)
        assert Counter(got) == Counter(expected), (scan_min_focus, sorted((expected - got).elements())[:10],
                                                   sorted((got - expected).elements())[:10])
