"""`kg dump`, /downloads, /dataset (DCAT-AP) and /.well-known/void.

The isomorphism check loads the served N-Quads dump into a fresh pyoxigraph store and compares it
with the served store quad by quad (canonical N-Quads; rdflib's isomorphism if blank nodes occur).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import httpx
import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

from kg import rdf as ns
from kg.cli import make_parser
from kg.graph.dump import SUMS_NAME, dump, graph_file_name

from .conftest import FIXTURE, Server

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DATASET = rdflib.URIRef("https://w3id.org/hilfenetz/dataset")


def same_quads(a: ox.Store, b: ox.Store) -> bool:
    """Equal datasets up to blank-node renaming: quads without blank nodes must match exactly
    (canonical N-Quads), the few quads with blank nodes must be isomorphic (rdflib)."""
    def split(store: ox.Store) -> tuple[list[str], dict[str, list[ox.Triple]]]:
        plain: list[str] = []
        blank: dict[str, list[ox.Triple]] = {}
        for q in store.quads_for_pattern(None, None, None, None):
            if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
                blank.setdefault(str(q.graph_name), []).append(q.triple)
            else:
                plain.append(f"{q} .")
        return sorted(plain), blank

    pa, ba = split(a)
    pb, bb = split(b)
    if pa != pb or set(ba) != set(bb):
        return False
    for graph, triples in ba.items():  # per named graph, up to blank-node renaming
        ga = rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
        gb = rdflib.Graph().parse(data=ox.serialize(bb[graph], format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
        if not isomorphic(ga, gb):
            return False
    return True


def _sums(text: str) -> dict[str, str]:
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in text.splitlines() if line}


def test_kg_dump_writes_files_checksums_and_manifest(
    fixture_store_path: Path, fixture_store: ox.Store, tmp_path: Path
) -> None:
    args = make_parser().parse_args(
        ["dump", "--store", str(fixture_store_path), "--output", str(tmp_path / "out"), "-q"]
    )
    assert args.func(args) == 0
    out = tmp_path / "out"
    sums = _sums((out / SUMS_NAME).read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == set(sums)
    for f in manifest["files"]:
        data = (out / f["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sums[f["name"]] == f["sha256"]
        assert len(data) == f["size"]
    graphs = {g.value for g in fixture_store.named_graphs()}
    assert {graph_file_name(g) for g in graphs} <= set(sums)
    for g in graphs:
        fresh = rdflib.Graph().parse(out / graph_file_name(g), format="turtle")
        assert len(fresh) == len(list(fixture_store.quads_for_pattern(None, None, None, ox.NamedNode(g))))
    # deterministic: a second dump has the same checksums
    again = dump(fixture_store_path, tmp_path / "again")
    assert {f.name: f.sha256 for f in again.files} == {f["name"]: f["sha256"] for f in manifest["files"]}


def test_downloads_listing_and_isomorphic_dump(ld_server: Server, fixture_store: ox.Store) -> None:
    listing = httpx.get(ld_server.url + "/downloads", headers={"Accept": "application/json"}).json()
    names = {f["name"] for f in listing["files"]}
    assert {"hilfenetz.nq.gz", "hilfenetz.trig.gz"} <= names
    sums = _sums(httpx.get(listing["sha256sums"]).text)
    for f in listing["files"]:
        r = httpx.get(f["url"])
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == f["sha256"] == sums[f["name"]]
        assert len(r.content) == f["size"]
    served = httpx.get(ld_server.url + "/downloads/hilfenetz.nq.gz")
    assert served.headers["content-type"] == "application/gzip"
    etag = served.headers["etag"]
    assert httpx.get(ld_server.url + "/downloads/hilfenetz.nq.gz", headers={"If-None-Match": etag}).status_code == 304
    head = httpx.head(ld_server.url + "/downloads/hilfenetz.nq.gz")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(served.content)
    nq = gzip.decompress(served.content)
    fresh = ox.Store()
    fresh.load(io.BytesIO(nq), format=ox.RdfFormat.N_QUADS)
    assert same_quads(fresh, fixture_store)
    trig = gzip.decompress(httpx.get(ld_server.url + "/downloads/hilfenetz.trig.gz").content)
    fresh2 = ox.Store()
    fresh2.load(io.BytesIO(trig), format=ox.RdfFormat.TRIG)
    assert same_quads(fresh2, fixture_store)
    html = httpx.get(ld_server.url + "/downloads", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "hilfenetz.nq.gz" in html.text
    assert httpx.get(ld_server.url + "/downloads/../conftest.py").status_code == 404
    assert httpx.get(ld_server.url + "/downloads/nope.ttl").status_code == 404


def test_dcat_describes_dataset_and_distributions(ld_server: Server) -> None:
    g = rdflib.Graph().parse(ld_server.url + "/dataset")
    assert (DATASET, rdflib.RDF.type, DCAT.Dataset) in g
    assert {str(t) for t in g.objects(DATASET, DCT.title)} >= set()
    assert {o.language for o in g.objects(DATASET, DCT.title)} == {"de", "en"}
    assert (DATASET, DCT.license, rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")) in g
    rights = " ".join(str(o) for r in g.objects(DATASET, DCT.rights) for o in g.objects(r, rdflib.RDFS.label))
    assert "Destatis" in rights and "dl-de/by-2-0" in rights and "Eurostat" in rights and "NWBib" in rights
    listing = httpx.get(ld_server.url + "/downloads?format=json").json()
    by_url = {f["url"]: f for f in listing["files"]}
    dists = list(g.objects(DATASET, DCAT.distribution))
    assert len(dists) == len(by_url)
    for d in dists:
        url = str(g.value(d, DCAT.downloadURL))
        f = by_url[url]
        assert int(g.value(d, DCAT.byteSize)) == f["size"]
        checksum = g.value(d, SPDX.checksum)
        assert str(g.value(checksum, SPDX.checksumValue)) == f["sha256"]
    assert set(g.objects(None, DCAT.endpointURL)) == {rdflib.URIRef(ld_server.url + "/sparql")}
    catalogs = set(g.subjects(rdflib.RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1 and (catalogs.pop(), DCAT.dataset, DATASET) in g


def test_void_counts_partitions_and_linksets(ld_server: Server) -> None:
    r = httpx.get(ld_server.url + "/.well-known/void")
    assert r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    expected = rdflib.Dataset()
    expected.parse(FIXTURE, format="trig")
    triples = {(s, p, o) for s, p, o, _g in expected.quads()}
    assert int(g.value(DATASET, VOID.triples)) == len(triples)
    # class partition of hn:Municipality = number of distinct instances in the fixture
    municipalities = {s for s, p, o in triples if p == rdflib.RDF.type and o == rdflib.URIRef(ns.HN + "Municipality")}
    parts = {g.value(p, VOID["class"]): p for p in g.objects(DATASET, VOID.classPartition)}
    assert int(g.value(parts[rdflib.URIRef(ns.HN + "Municipality")], VOID.entities)) == len(municipalities)
    props = {g.value(p, VOID.property): p for p in g.objects(DATASET, VOID.propertyPartition)}
    part_of = {t for t in triples if t[1] == rdflib.URIRef(ns.HN + "partOf")}
    assert int(g.value(props[rdflib.URIRef(ns.HN + "partOf")], VOID.triples)) == len(part_of)
    # linkset to Wikidata: exactMatch links into wikidata.org
    wikidata = {t for t in triples if t[1] == rdflib.SKOS.exactMatch and str(t[2]).startswith("http://www.wikidata.org/entity/")}
    linksets = [ls for ls in g.subjects(rdflib.RDF.type, VOID.Linkset)
                if "wikidata" in str(g.value(ls, VOID.objectsTarget))
                and g.value(ls, VOID.linkPredicate) == rdflib.SKOS.exactMatch]
    assert len(linksets) == 1
    assert int(g.value(linksets[0], VOID.triples)) == len(wikidata) == 3
    # external vocabulary linksets (alignment) exist too
    assert any("schema-org" in str(g.value(ls, VOID.objectsTarget)) for ls in g.subjects(rdflib.RDF.type, VOID.Linkset))


def test_cached_dumps_keep_the_previous_version(fixture_store: ox.Store, tmp_path: Path) -> None:
    """Replicas share the downloads directory and move to a rebuilt store seconds apart: the dump
    of the previous version stays while the next one is made; older ones go."""
    import os
    import time

    from kg.graph.dump import MANIFEST_NAME, cached_dump

    made = []
    for i, version in enumerate(["v1", "v2", "v3"]):
        target, _manifest = cached_dump(fixture_store, tmp_path, version)
        assert (target / MANIFEST_NAME).is_file() and target.name == version
        os.utime(target, (time.time() + i, time.time() + i))  # distinct ages, oldest first
        made.append(version)
        kept = sorted(d.name for d in tmp_path.iterdir() if d.is_dir() and not d.name.startswith("."))
        assert kept == made[-2:]
    again, _ = cached_dump(fixture_store, tmp_path, "v3")  # served from the cache, nothing removed
    assert again.name == "v3" and sorted(d.name for d in tmp_path.iterdir() if d.is_dir()) == ["v2", "v3"]
