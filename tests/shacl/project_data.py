"""The project's own curated data, shapes and ontology as rdflib graphs (no build needed), shared
by the differential tests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import rdflib

ROOT = Path(__file__).resolve().parents[2]


def _parse(files: list[Path]) -> rdflib.Graph:
    g = rdflib.Graph()
    for f in sorted(files):
        g.parse(f, format="turtle")
    return g


@lru_cache(maxsize=1)
def project_graphs() -> tuple[rdflib.Graph, rdflib.Graph, rdflib.Graph]:
    """(data, shapes, ontology): data = sources, seeds, statutes and SKOS schemes; ontology =
    the OWL modules and the alignment; shapes = ontology/shapes. Callers must not modify them."""
    data = _parse([*(ROOT / "data").glob("*.ttl"), *(ROOT / "data" / "seeds").glob("*.ttl"),
                   *(ROOT / "data" / "reference").glob("*.ttl"), *(ROOT / "ontology" / "schemes").glob("*.ttl")])
    shapes = _parse(list((ROOT / "ontology" / "shapes").glob("*.ttl")))
    ontology = _parse(list((ROOT / "ontology").glob("*.ttl")))
    return data, shapes, ontology
