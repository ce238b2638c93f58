"""SHACL validation with pyshacl: the reference engine (`--engine pyshacl`, the differential tests); correct, not fast.

Inference is off: the ontology is mixed into the data only so that sh:class and sh:targetClass
follow rdfs:subClassOf (pyshacl walks subclass links present in the data graph). RDFS inference
would change the results via rdfs:range (see /work/shared/research/perf-anchors.md §2).
"""

from __future__ import annotations

import rdflib
from pyshacl import validate as _pyshacl_validate


def run(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None, *,
        inplace: bool = False) -> rdflib.Graph:
    """Validate and return the standard sh:ValidationReport graph.

    `inplace=True` lets pyshacl mix the ontology into `data` without cloning it first (saves
    seconds on the 250k-triple reference data); only pass it for a throw-away graph.
    """
    _conforms, results_graph, _text = _pyshacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=False,
        advanced=False,
        inplace=inplace,
    )
    return results_graph
