"""The network export on the real data: opens in networkx with the node and edge counts the seed
documents imply (derived by hand, see comments), edges typed and sourced; /api/network and the
shortest-connection endpoint over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import networkx as nx
import pyoxigraph as ox
import pytest

from kg.query.network import build_network, counts

from .conftest import read_csv, run_cli

HNID = "https://w3id.org/hilfenetz/id/"

# nodes with at least one edge: programmes KPK, KeKiZ, Gesamtkonzepte, KIPS, Landesinitiative, BI,
# LVR-Netzwerke (7); projects KPK Kreis RE, KAP-DO, Lückenlos (3); persons Schmidt, Klostermann,
# Möller, Wagenblass, Neuendorf, Elzer (6; Binz has only a post); 16 events (all but the 2019
# Netzwerktagung, which has no actor; incl. the first two events of September 2019, in the series);
# 21 organisations incl. committees and the groups/ministries recorded literally in issue 21 (the two
# Landesjugendämter of the Fachtag, the Kooperationspartner of KPK Kreis RE, the ministry of the
# Landeskoordinierungsstelle, the RLP ministry of the minister's title); 11 areas (05, 07, de,
# Rheinland, Westfalen-Lippe, Dortmund, Oberberg, Kreis RE, Gladbeck, Castrop-Rauxel, Köln).
NODES = {"area": 11, "event": 16, "organisation": 21, "person": 6, "programme": 7, "project": 3}
# cooperatesWith: KPK cooperation 3 pairs + BI coordination 1 + joint organisation 2021 3 = 7;
# participatesIn: 15 participations outside cooperations (the Bundestag's establishing-body included:
# the projection keeps every participation with its roles); organiser 3 (2021) + LKS ×2 = 5;
# speaker: Wagenblass, Neuendorf, Elzer, NZFH, LKS = 5; subEventOf 4 + 1 + 5 = 10;
# areaServed 12 (offers are not nodes; the Bundesinitiative has none stated); partOf among present
# areas 6; withinProgramme 5; participantOrganisation 6 on the events of 15 June 2021 …
EDGES = {"areaServed": 12, "coOrganiser": 1, "cooperatesWith": 7, "inSeries": 3, "location": 1, "moderator": 2,
         "organiser": 5, "partOf": 6, "participantOrganisation": 6, "participatesIn": 15, "predecessor": 1,
         "responsibleBody": 1, "speaker": 5, "subEventOf": 10, "subOrganisationOf": 3, "unitOf": 4,
         "withinProgramme": 5}


@pytest.fixture(scope="module")
def graph(store: ox.Store) -> nx.MultiDiGraph:
    return build_network(store)


def test_counts_from_the_seeds(graph: nx.MultiDiGraph) -> None:
    assert counts(graph) == {"nodes": NODES, "edges": EDGES}
    assert graph.number_of_nodes() == sum(NODES.values()) == 64
    assert graph.number_of_edges() == sum(EDGES.values()) == 87


def test_edges_typed_and_sourced(graph: nx.MultiDiGraph) -> None:
    for u, v, d in graph.edges(data=True):
        assert d["type"] and d["source"], (u, v, d)
    lks = HNID + "org/landeskoordinierungsstelle-fruehe-hilfen-nrw"
    fachtag = HNID + "event/fachtag-fruehe-hilfen-koeln-2013"
    part = graph.get_edge_data(lks, fachtag)["participatesIn"]
    assert part["role"] == "organiser presenter"
    assert part["source"] == HNID + "source/fachtag-fruehe-hilfen-2013"
    gladbeck = HNID + "area/05562014"
    kpk = graph.get_edge_data(gladbeck, HNID + "programme/kommunale-praeventionsketten-nrw")["participatesIn"]
    assert (kpk["role"], kpk["start"]) == ("model-municipality", "2012")
    # the Kreis is part of the reference data: its partOf edge is sourced by the reference graph
    assert graph.get_edge_data(gladbeck, HNID + "area/05562")["partOf"]["source"] == HNID + "graph/reference/destatis"


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_export_opens_in_networkx(store: ox.Store, built_store: Path, artifacts: Path, fmt: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = artifacts / f"network.{fmt}"
    assert run_cli("export", "network", "--format", fmt, "--output", str(out), "--store", str(built_store)) == 0
    assert "64 nodes, 87 edges" in capsys.readouterr().out
    g = nx.read_graphml(out, force_multigraph=True) if fmt == "graphml" else nx.read_gexf(out)
    assert g.number_of_nodes() == 64
    assert g.number_of_edges() == 87
    kinds: dict[str, int] = {}
    for _, d in g.nodes(data=True):
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    assert kinds == NODES
    types: dict[str, int] = {}
    for _, _, d in g.edges(data=True):
        t = d["type"] if fmt == "graphml" else d["relation"]  # GEXF reserves "type"
        types[t] = types.get(t, 0) + 1
    assert types == EDGES


def test_csv_export(built_store: Path, artifacts: Path) -> None:
    out = artifacts / "network-csv"
    assert run_cli("export", "network", "--format", "csv", "--output", str(out), "--store", str(built_store)) == 0
    nodes = read_csv(out / "nodes.csv")
    edges = read_csv(out / "edges.csv")
    assert len(nodes) == 64 and len(edges) == 87
    ids = {n["id"] for n in nodes}
    assert all(e["source_node"] in ids and e["target_node"] in ids and e["source"] for e in edges)
    # igraph-style edge list: rebuild with networkx from the CSV alone
    g = nx.MultiDiGraph()
    g.add_edges_from((e["source_node"], e["target_node"]) for e in edges)
    assert g.number_of_edges() == 87


def test_neighbourhood_cli(built_store: Path, artifacts: Path) -> None:
    out = artifacts / "gladbeck-1hop.graphml"
    assert run_cli("export", "network", "--output", str(out), "--store", str(built_store),
                   "--focus", HNID + "area/05562014", "--hops", "1") == 0
    g = nx.read_graphml(out)
    assert set(g.nodes) == {HNID + "area/05562014", HNID + "area/05562", HNID + "area/05562004",
                            HNID + "programme/kommunale-praeventionsketten-nrw"}


def test_api_network(built_store: Path) -> None:
    from tests.serving import serve_kg

    with serve_kg(built_store, workers=1) as url, httpx.Client(base_url=url, timeout=60) as c:
        full = c.get("/api/network").json()
        assert len(full["nodes"]) == 64 and len(full["edges"]) == 87
        ego = c.get("/api/network", params={"focus": HNID + "area/05562014", "hops": "1"}).json()
        assert len(ego["nodes"]) == 4
        gml = c.get("/api/network", params={"format": "graphml"})
        assert gml.headers["content-type"].startswith("application/graphml+xml")
        assert c.get("/api/network", params={"focus": HNID + "area/99999999"}).status_code == 422
        path = c.get("/api/network/path", params={"from": HNID + "area/05562014",
                                                   "to": HNID + "person/heleen-klostermann"}).json()
        # Gladbeck – Kreis RE (cooperation) – project (areaServed) – Klostermann (affiliation), and
        # Gladbeck – KPK (model municipality) – project (withinProgramme) – Klostermann
        assert path["hops"] == 3
        assert sorted([s["type"] for s in p] for p in path["paths"]) == [
            ["cooperatesWith", "areaServed", "participatesIn"],
            ["participatesIn", "withinProgramme", "participatesIn"],
        ]
        assert all(s["source"] == HNID + "source/praeventionsketten-recklinghausen" for p in path["paths"] for s in p)
        # Gladbeck – KPK – NRW (areaServed) – Rheinland / Westfalen-Lippe (partOf) – Landesjugendamt
        # (areaServed) – LZG.NRW (joint organisation 2021), and Gladbeck – KPK – NRW – one of the two NRW
        # ministries (subOrganisationOf) – the events of 15 June 2021 (participantOrganisation) – LZG.NRW
        # (organiser)
        far = c.get("/api/network/path", params={"from": HNID + "area/05562014", "to": HNID + "org/lzg-nrw"}).json()
        assert far["hops"] == 5
        ljas = {HNID + "org/landesjugendamt-rheinland", HNID + "org/landesjugendamt-westfalen-lippe"}
        via = sorted(sorted({n for s in p for n in (s["from"], s["to"])} & ljas) for p in far["paths"])
        assert via == [[], [], [HNID + "org/landesjugendamt-rheinland"], [HNID + "org/landesjugendamt-westfalen-lippe"]]
        assert c.get("/api/network/path", params={"from": HNID + "area/05562014", "to": "x"}).status_code == 422


def test_real_kg_command(run_kg, built_store: Path, artifacts: Path) -> None:
    """`kg export network` through the installed command."""
    out = artifacts / "network-kg.graphml"
    r = run_kg("export", "network", "--format", "graphml", "--output", str(out), "--store", str(built_store))
    assert r.returncode == 0, r.stderr
    g = nx.read_graphml(out, force_multigraph=True)
    assert (g.number_of_nodes(), g.number_of_edges()) == (64, 87)
