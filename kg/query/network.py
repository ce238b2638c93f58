"""The actor–programme–municipality network as a networkx graph, and its exports.

Why a projection (and not the RDF graph itself): network tools (Gephi, networkx, igraph) want
typed nodes and typed edges, not reified Participation/Cooperation nodes. So a Participation
becomes one `participatesIn` edge (agent → programme/project/event/committee, carrying its
roles), a Cooperation becomes `cooperatesWith` edges between each pair of partners (carrying the
cooperation and its programme), and direct properties (organiser, speaker, withinProgramme,
areaServed, subEventOf, unitOf, …) become edges of that name. Every edge carries `source`: the
source document(s) that state it (for reference data: the reference graph).

Nodes: persons, organisations, programmes, projects, networks, events and administrative areas
that take part in at least one edge; `partOf` edges are added between areas already present.
"""

from __future__ import annotations

import csv
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from kg.rdf import HN, HNID
from kg.store.protocol import QueryStore, solutions

SOURCE_GRAPH = HNID + "graph/source/"

#: node kind by class, first match wins (kap-do is both Project and Network: project)
KINDS: tuple[tuple[str, str], ...] = (
    ("person", HN + "Person"),
    ("programme", HN + "Programme"),
    ("project", HN + "Project"),
    ("event", HN + "Event"),
    ("area", HN + "AdministrativeArea"),
    ("network", HN + "Network"),
    ("organisation", HN + "Agent"),
)
#: direct properties that become edges (subject → object)
DIRECT = ("organiser", "coOrganiser", "speaker", "moderator", "participantOrganisation", "withinProgramme",
          "areaServed", "location", "subEventOf", "inSeries", "unitOf", "subOrganisationOf", "predecessor",
          "responsibleBody", "funder", "recipient", "underProgramme")


def source_of(graph: str) -> str:
    """The source document of a source graph (hnid:graph/source/x → hnid:source/x); other
    graphs (reference data) are their own source."""
    if graph.startswith(SOURCE_GRAPH):
        return HNID + "source/" + graph[len(SOURCE_GRAPH):]
    return graph


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@dataclass
class _Edge:
    u: str
    v: str
    type: str
    sources: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    start: set[str] = field(default_factory=set)
    extra: dict[str, str] = field(default_factory=dict)


_KIND_VALUES = " ".join(f"<{c}>" for _, c in KINDS)
_NODE_INFO = f"""
SELECT ?s ?t ?l WHERE {{
  ?s a ?t .
  VALUES ?t {{ {_KIND_VALUES} }}
  OPTIONAL {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANGMATCHES(LANG(?l), "de")) }}
}}
"""

_DIRECT_VALUES = " ".join(f"<{HN}{p}>" for p in DIRECT)
_DIRECT = f"""
SELECT ?s ?p ?o ?g WHERE {{
  VALUES ?p {{ {_DIRECT_VALUES} }}
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER(isIRI(?o) && ?g != <{HNID}graph/inferred>)
}}
"""

_PARTICIPATIONS = f"""
SELECT ?a ?c ?role ?start ?g WHERE {{
  GRAPH ?g {{
    ?p a <{HN}Participation> ; <{HN}participant> ?a ; <{HN}participationIn> ?c .
    OPTIONAL {{ ?p <{HN}role> ?role }}
    OPTIONAL {{ ?p <{HN}startDate> ?start }}
  }}
  FILTER NOT EXISTS {{ ?c a <{HN}Cooperation> }}
}}
"""

_COOPERATIONS = f"""
SELECT ?a ?b ?coop ?prog ?start ?g WHERE {{
  GRAPH ?g {{
    ?coop a <{HN}Cooperation> ; <{HN}hasParticipation> ?pa , ?pb .
    ?pa <{HN}participant> ?a .
    ?pb <{HN}participant> ?b .
    OPTIONAL {{ ?coop <{HN}withinProgramme> ?prog }}
    OPTIONAL {{ ?coop <{HN}startDate> ?start }}
  }}
  FILTER(STR(?a) < STR(?b))
}}
"""

_PART_OF = f"SELECT ?s ?o ?g WHERE {{ GRAPH ?g {{ ?s <{HN}partOf> ?o }} }}"


def _q(store: QueryStore, query: str) -> Iterable[Any]:
    return solutions(store.query(query, use_default_graph_as_union=True))


def build_network(store: QueryStore, include_events: bool = True) -> nx.MultiDiGraph:
    """The typed, sourced network of the store (see module docstring)."""
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    rank = {c: i for i, (_, c) in enumerate(KINDS)}
    kind_of = {c: k for k, c in KINDS}
    best: dict[str, int] = {}
    for sol in _q(store, _NODE_INFO):
        s, t = sol["s"].value, sol["t"].value
        if s not in best or rank[t] < best[s]:
            best[s] = rank[t]
            kinds[s] = kind_of[t]
        if sol["l"] is not None and s not in labels:
            labels[s] = sol["l"].value
    if not include_events:
        kinds = {s: k for s, k in kinds.items() if k != "event"}

    edges: dict[tuple[str, str, str], _Edge] = {}

    def edge(u: str, v: str, typ: str, key: str | None = None) -> _Edge:
        k = (u, v, key or typ)
        if k not in edges:
            edges[k] = _Edge(u, v, typ)
        return edges[k]

    for sol in _q(store, _DIRECT):
        s, o = sol["s"].value, sol["o"].value
        if s in kinds and o in kinds:
            edge(s, o, local(sol["p"].value)).sources.add(source_of(sol["g"].value))
    for sol in _q(store, _PARTICIPATIONS):
        a, c = sol["a"].value, sol["c"].value
        if a in kinds and c in kinds:
            e = edge(a, c, "participatesIn")
            e.sources.add(source_of(sol["g"].value))
            if sol["role"] is not None:
                e.roles.add(local(sol["role"].value))
            if sol["start"] is not None:
                e.start.add(sol["start"].value)
    for sol in _q(store, _COOPERATIONS):
        a, b, coop = sol["a"].value, sol["b"].value, sol["coop"].value
        if a in kinds and b in kinds:
            e = edge(a, b, "cooperatesWith", f"cooperatesWith {coop}")
            e.sources.add(source_of(sol["g"].value))
            e.extra["cooperation"] = coop
            if sol["prog"] is not None:
                e.extra["programme"] = sol["prog"].value
            if sol["start"] is not None:
                e.start.add(sol["start"].value)
    present = {x for e in edges.values() for x in (e.u, e.v)}
    for sol in _q(store, _PART_OF):
        s, o = sol["s"].value, sol["o"].value
        if s in present and o in present and kinds.get(s) == kinds.get(o) == "area":
            edge(s, o, "partOf").sources.add(source_of(sol["g"].value))

    g = nx.MultiDiGraph(name="hilfenetz actor–programme–municipality network")
    for n in sorted({x for e in edges.values() for x in (e.u, e.v)}):
        g.add_node(n, label=labels.get(n, local(n)), kind=kinds[n], iri=n)
    for (u, v, key), e in sorted(edges.items()):
        attrs: dict[str, Any] = {"type": e.type, "source": " ".join(sorted(e.sources))}
        if e.roles:
            attrs["role"] = " ".join(sorted(e.roles))
        if e.start:
            attrs["start"] = min(e.start)
        attrs.update(e.extra)
        g.add_edge(u, v, key=key, **attrs)
    return g


class NetworkCache:
    """The projection of the current store version (rebuilt when the version changes)."""

    def __init__(self, get_store: Callable[[], QueryStore], get_version: Callable[[], str]) -> None:
        self._get_store, self._get_version = get_store, get_version
        self._lock = threading.Lock()
        self._graphs: dict[bool, tuple[str, nx.MultiDiGraph]] = {}

    def graph(self, include_events: bool = True) -> nx.MultiDiGraph:
        version = self._get_version()
        with self._lock:
            cached = self._graphs.get(include_events)
            if cached is None or cached[0] != version:
                cached = (version, build_network(self._get_store(), include_events=include_events))
                self._graphs[include_events] = cached
            return cached[1]


def neighbourhood(g: nx.MultiDiGraph, node: str, hops: int) -> nx.MultiDiGraph:
    """The k-hop neighbourhood of `node` (edges followed in both directions)."""
    if node not in g:
        raise KeyError(node)
    return nx.ego_graph(g, node, radius=hops, undirected=True).copy()


def shortest_connections(g: nx.MultiDiGraph, a: str, b: str, limit: int = 20) -> list[list[dict[str, Any]]]:
    """All shortest paths between two nodes (edges in either direction), at most `limit`, each
    as a list of steps {from, to, type, source}."""
    und = nx.Graph()
    und.add_nodes_from(g.nodes)
    for u, v, _data in g.edges(data=True):
        und.add_edge(u, v)
    try:
        paths = []
        for i, p in enumerate(nx.all_shortest_paths(und, a, b)):
            if i >= limit:
                break
            paths.append(p)
    except nx.NetworkXNoPath:
        return []
    out = []
    for p in sorted(paths):
        steps = []
        for x, y in itertools.pairwise(p):
            between = [(x, y, d) for d in g.get_edge_data(x, y, default={}).values()] + \
                      [(y, x, d) for d in g.get_edge_data(y, x, default={}).values()]
            s, t, d = min(between, key=lambda e: (e[2]["type"], e[0]))
            steps.append({"from": s, "to": t, "type": d["type"], "source": d["source"]})
        out.append(steps)
    return out


# ----------------------------------------------------------------------------- export

FORMATS = ("graphml", "gexf", "csv")


def write_network(g: nx.MultiDiGraph, fmt: str, output: Path) -> list[Path]:
    """Write `g`: GraphML or GEXF to the file `output`; CSV as `nodes.csv` + `edges.csv` in the
    directory `output` (created). Returns the files written."""
    output = Path(output)
    if fmt == "graphml":
        output.parent.mkdir(parents=True, exist_ok=True)
        nx.write_graphml(g, output)
        return [output]
    if fmt == "gexf":
        output.parent.mkdir(parents=True, exist_ok=True)
        nx.write_gexf(gexf_ready(g), output)
        return [output]
    if fmt == "csv":
        output.mkdir(parents=True, exist_ok=True)
        nodes, edges = output / "nodes.csv", output / "edges.csv"
        with nodes.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "label", "kind"])
            for n, d in g.nodes(data=True):
                w.writerow([n, d.get("label", ""), d.get("kind", "")])
        cols = ["source_node", "target_node", "type", "role", "start", "cooperation", "programme", "source"]
        with edges.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for u, v, d in g.edges(data=True):
                w.writerow([u, v] + [d.get(c, "") for c in cols[2:]])
        return [nodes, edges]
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def gexf_ready(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy for GEXF: there `type` is a reserved edge field (directed/undirected), so the edge
    type goes into the edge `label` (shown by Gephi) and the attribute `relation`."""
    h = g.copy()
    for _, _, d in h.edges(data=True):
        d["relation"] = d["label"] = d.pop("type")
    return h


def to_json(g: nx.MultiDiGraph) -> dict[str, Any]:
    """Nodes and edges as plain JSON (for /api/network)."""
    return {
        "nodes": [{"id": n, **d} for n, d in g.nodes(data=True)],
        "edges": [{"source_node": u, "target_node": v, **d} for u, v, d in g.edges(data=True)],
    }


def degree_table(g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Degree and betweenness centrality per node (undirected, simple view), highest first."""
    und = nx.Graph(g.to_undirected())
    between = nx.betweenness_centrality(und)
    rows = [{"id": n, "label": g.nodes[n].get("label", n), "kind": g.nodes[n].get("kind", ""),
             "degree": und.degree(n), "betweenness": round(between[n], 4)} for n in und.nodes]
    return sorted(rows, key=lambda r: (-r["degree"], -r["betweenness"], r["id"]))


def counts(g: nx.MultiDiGraph) -> dict[str, dict[str, int]]:
    """Nodes per kind and edges per type."""
    nk: dict[str, int] = defaultdict(int)
    et: dict[str, int] = defaultdict(int)
    for _, d in g.nodes(data=True):
        nk[d["kind"]] += 1
    for _, _, d in g.edges(data=True):
        et[d["type"]] += 1
    return {"nodes": dict(sorted(nk.items())), "edges": dict(sorted(et.items()))}
