"""A small runner for the W3C SPARQL 1.1 Protocol and Graph Store Protocol test manifests.

It reads the machine-readable manifests (ht: HTTP vocabulary) with rdflib and replays each
test's requests, in order, against a real server: `/sparql/…` paths go to the server's /sparql,
`/gsp…` paths to its /store, `$LOCATION$` is replaced by the Location of an earlier 201, and
ut:graphData is loaded (via the graph store) before the first request. Checks: status (named
codes or classes), response Content-Type, ASK booleans, result formats and graph isomorphism.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

_NAMED_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404, "BadRequest": 400}
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld"}


def conformance_dir() -> Path | None:
    """Where the W3C manifests are: $HILFENETZ_CONFORMANCE, ../shared/conformance, /work/shared/conformance."""
    candidates = []
    if os.environ.get("HILFENETZ_CONFORMANCE"):
        candidates.append(Path(os.environ["HILFENETZ_CONFORMANCE"]))
    root = Path(__file__).resolve().parents[3]
    candidates += [root.parent / "shared" / "conformance", Path("/work/shared/conformance")]
    for c in candidates:
        if (c / "sparql11" / "protocol" / "manifest.ttl").exists():
            return c
    return None


@dataclass
class Req:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    body_text: str | None
    encoding: str
    statuses: set[str]
    expected_boolean: bool | None = None
    expected_format: str | None = None
    resp_headers: list[tuple[str, str]] = field(default_factory=list)
    resp_body: str | None = None
    location_var: str | None = None


@dataclass
class W3CTest:
    name: str
    label: str
    kind: str  # protocol | gsp
    requests: list[Req]
    graph_data: list[tuple[Path, str]]


def _headers(g: rdflib.Graph, node: rdflib.term.Node | None) -> list[tuple[str, str]]:
    if node is None:
        return []
    out = []
    for h in Collection(g, node):
        out.append((str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue))))
    return out


def load_manifest(path: Path, kind: str) -> list[W3CTest]:
    """Tests of one manifest file, in manifest order."""
    g = rdflib.Graph()
    g.parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    entries = list(Collection(g, g.value(manifest, MF.entries)))
    tests = []
    for entry in entries:
        action = g.value(entry, MF.action)
        reqs = []
        for rnode in Collection(g, g.value(action, HT.requests)):
            body_node = g.value(rnode, HT.body)
            body_text = str(g.value(body_node, CNT.chars)) if body_node is not None else None
            encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8") if body_node is not None else "UTF-8"
            resp = g.value(rnode, HT.resp)
            statuses = {str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)}
            eb = g.value(resp, MF.expectedBoolean)
            rb = g.value(resp, HT.body)
            reqs.append(Req(
                method=str(g.value(rnode, HT.methodName)),
                path=str(g.value(rnode, HT.absolutePath)),
                headers=_headers(g, g.value(rnode, HT.headers)),
                body=None,
                body_text=body_text,
                encoding=encoding,
                statuses=statuses,
                expected_boolean=None if eb is None else bool(eb.toPython()),
                expected_format=str(g.value(resp, MF.expectedFormat)) if g.value(resp, MF.expectedFormat) else None,
                resp_headers=_headers(g, g.value(resp, HT.headers)),
                resp_body=str(g.value(rb, CNT.chars)) if rb is not None else None,
                location_var=str(g.value(resp, MF.expectedLocation)) if g.value(resp, MF.expectedLocation) else None,
            ))
        graph_data = []
        for gd in g.objects(entry, UT.graphData):
            file_iri = g.value(gd, UT.graph)
            label = g.value(gd, RDFS.label)
            graph_data.append((Path(str(file_iri).replace("file://", "")), str(label)))
        tests.append(W3CTest(str(entry).rsplit("#", 1)[-1], str(g.value(entry, MF.name)), kind, reqs, graph_data))
    return tests


def all_tests(base: Path) -> list[W3CTest]:
    s = base / "sparql11"
    return (
        load_manifest(s / "protocol" / "manifest.ttl", "protocol")
        + load_manifest(s / "graph-store-protocol" / "manifest-direct.ttl", "gsp")
        + load_manifest(s / "graph-store-protocol" / "manifest-indirect.ttl", "gsp")
    )


def _status_ok(code: int, statuses: set[str]) -> bool:
    for s in statuses:
        if s.startswith("StatusCode") and s.endswith("xx"):
            if code // 100 == int(s[len("StatusCode")]):
                return True
        elif _NAMED_STATUS.get(s) == code:
            return True
    return False


def _map_path(path: str, base_url: str) -> str:
    if path.startswith("/sparql/"):
        rest = path[len("/sparql/"):]
        return base_url + "/sparql" + rest
    if path.startswith("/sparql"):
        return base_url + path
    if path.startswith("/gsp"):
        return base_url + "/store" + path[len("/gsp"):]
    raise ValueError(f"unexpected path {path}")


def reset(client: httpx.Client, base_url: str, token: str) -> None:
    """Empty store: drop every graph (default graph cleared)."""
    r = client.post(base_url + "/sparql", content=b"DROP ALL",
                    headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})
    r.raise_for_status()


def run_test(test: W3CTest, base_url: str, token: str) -> None:
    """Run one W3C test; raises AssertionError with the step that failed."""
    with httpx.Client(timeout=30) as client:
        reset(client, base_url, token)
        for file, graph in test.graph_data:
            r = client.put(base_url + "/store", params={"graph": graph}, content=file.read_bytes(),
                           headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {token}"})
            assert r.status_code in (200, 201, 204), f"setup load of {file.name} failed: {r.status_code} {r.text}"
        variables: dict[str, str] = {}
        for i, req in enumerate(test.requests, 1):
            path = req.path
            body_text = req.body_text
            for var, value in variables.items():
                path = path.replace(var, value)
                if body_text is not None:
                    body_text = body_text.replace(var, value)
            url = _map_path(path, base_url)
            headers = dict(req.headers)
            headers["Authorization"] = f"Bearer {token}"
            body = body_text.encode(req.encoding.lower().replace("utf-16", "utf-16")) if body_text is not None else None
            if body is not None and "multipart/form-data" in headers.get("content-type", "") and b"\r\n" not in body:
                body = body.replace(b"\n", b"\r\n")
            r = client.request(req.method, url, content=body, headers=headers)
            step = f"step {i}: {req.method} {path} -> {r.status_code}"
            assert _status_ok(r.status_code, req.statuses), f"{step}, expected {sorted(req.statuses)}: {r.text[:300]}"
            if req.location_var:
                assert "location" in r.headers, f"{step}: no Location header"
                variables[req.location_var] = r.headers["location"]
            for name, value in req.resp_headers:
                got = r.headers.get(name)
                assert got is not None and got.lower().replace(" ", "") == value.lower().replace(" ", ""), (
                    f"{step}: header {name} is {got!r}, expected {value!r}")
            ctype = r.headers.get("content-type", "").split(";")[0].strip()
            if req.expected_format == "boolean":
                assert ctype in RESULT_TYPES[:2], f"{step}: content type {ctype} for a boolean"
            elif req.expected_format == "tabular":
                assert ctype in RESULT_TYPES, f"{step}: content type {ctype} for tabular results"
            elif req.expected_format == "RDF":
                assert ctype in RDF_TYPES, f"{step}: content type {ctype} for RDF"
                rdflib.Graph().parse(data=r.content, format=RDF_TYPES[ctype])
            if req.expected_boolean is not None:
                if ctype == "application/sparql-results+json":
                    value = json.loads(r.content)["boolean"]
                else:
                    el = ET.fromstring(r.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
                    value = el is not None and el.text == "true"
                assert value is req.expected_boolean, f"{step}: boolean {value}, expected {req.expected_boolean}"
            if req.resp_body is not None:
                expected = rdflib.Graph().parse(data=req.resp_body, format="turtle")
                got_g = rdflib.Graph().parse(data=r.content, format=RDF_TYPES.get(ctype, "turtle"))
                assert isomorphic(expected, got_g), f"{step}: body not isomorphic:\n{r.text}"
