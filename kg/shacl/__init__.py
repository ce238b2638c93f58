"""SHACL validation behind one function, so the engine can be swapped without touching callers.

`validate(data, shapes, ontology, engine=DEFAULT_ENGINE)` returns a `ValidationReport` (kg.shacl.report).
Engines: "native" (kg.shacl.engine: shapes compiled to SPARQL on pyoxigraph, exact Python fallback;
the default since issue 7: ~11x less CPU than pyshacl at 1M triples, same results on the project
data, the W3C SHACL Core suite and mutated data) and "pyshacl" (kg.shacl.pyshacl_engine, kept as
the reference the differential tests compare against); select with `kg build --engine NAME`.

rdflib and pyshacl are imported lazily: `kg query` and `kg --help` import this package for
ENGINES and must stay fast (rdflib alone costs ~0.5 s to import).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kg.errors import KgError

if TYPE_CHECKING:  # pragma: no cover
    import rdflib

    from kg.shacl.report import ValidationReport, ValidationResult

#: The engines `validate` can run (both ship with the package).
ENGINES: tuple[str, ...] = ("pyshacl", "native")

#: The engine `kg build`, `kg validate`, kg.graph.build and `validate` use unless told otherwise.
DEFAULT_ENGINE: str = "native"

__all__ = ["DEFAULT_ENGINE", "ENGINES", "ValidationReport", "ValidationResult", "union_graph", "validate"]


def __getattr__(name: str) -> Any:
    if name in ("ValidationReport", "ValidationResult"):
        from kg.shacl import report  # lazily: rdflib (see the module docstring)

        return getattr(report, name)
    raise AttributeError(name)


def union_graph(data: rdflib.Graph | rdflib.Dataset) -> rdflib.Graph:
    """One plain Graph with the triples of every graph of `data`.

    pyshacl validates each named graph of a Dataset separately, but our entities link across
    graphs (a seed's Jugendamt lies in a reference area), so we always validate the union.
    """
    import rdflib

    if isinstance(data, rdflib.Dataset):
        g = rdflib.Graph()
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    return data


def validate(
    data: rdflib.Graph | rdflib.Dataset,
    shapes: rdflib.Graph,
    ontology: rdflib.Graph | None = None,
    *,
    engine: str = DEFAULT_ENGINE,
    inplace: bool = False,
    graphs_of: Mapping[str, list[str]] | Callable[[str], list[str]] | None = None,
) -> ValidationReport:
    """Validate `data` against `shapes`, the ontology supplying subclass axioms.

    Warnings and infos are reported but do not make the report non-conforming; only
    sh:Violation results do. `inplace=True` allows the engine to modify `data` (faster).
    """
    import rdflib

    from kg.shacl.report import report_from_graph  # lazily: rdflib (see the module docstring)

    if engine not in ENGINES:
        raise KgError(f"unknown SHACL engine {engine!r}; available: {', '.join(ENGINES)}")
    start = time.perf_counter()
    if isinstance(data, rdflib.Dataset):
        data, inplace = union_graph(data), True
    if engine == "native":
        from kg.shacl import engine as native  # lazily: rdflib (see the module docstring)

        try:
            results_graph = native.validate_graphs(data, shapes, ontology).graph
        except native.ValidationFailure as exc:
            raise KgError(f"SHACL shapes cannot be validated: {exc}") from None
    else:
        from kg.shacl import pyshacl_engine  # lazily: pyshacl costs ~2 s to import

        results_graph = pyshacl_engine.run(data, shapes, ontology, inplace=inplace)
    # the same report builder for every engine: labels, file sources, messages in de and en
    report = report_from_graph(results_graph, shapes, data, ontology, engine=engine, graphs_of=graphs_of)
    report.seconds = time.perf_counter() - start
    return report
