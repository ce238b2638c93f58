"""Fixtures of the contribution tests: a tokens file written by the real `kg token add` code
(kg.web.auth.add_token), a store built from the mini fixture project (tests/fixtures/mini: shapes,
an ontology, a municipality), and the service over it in a real uvicorn server on 127.0.0.1
(tests/serving.py). The test data below is fixture data, made up for these tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kg.web.auth import add_token
from tests.serving import copy_project, serve_kg

HNID = "https://w3id.org/hilfenetz/id/"
CONTRIB = HNID + "graph/contrib/"

#: name -> scopes of the fixture tokens
TOKENS: dict[str, list[str]] = {
    "kreis-a": ["contribute:kreis-a/*"],
    "kreis-b": ["contribute:kreis-b/*"],
    "redaktion": ["review"],
    "redaktion-2": ["review"],
    "betrieb": ["admin"],
}

#: a valid contribution (fixture): an organisation in the mini project's municipality Dortmund
VALID_TTL = """@prefix hn: <https://w3id.org/hilfenetz/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/hilfenetz/id/org/beratung-kinder-dortmund> a hn:YouthWelfareOffice ;
  rdfs:label "Beratungsstelle Kinder (Fixture)"@de ;
  hn:areaServed <https://w3id.org/hilfenetz/id/area/05913000> ;
  hn:statedIn <https://w3id.org/hilfenetz/id/source/demo> .
"""
#: the same without its label: violates the mini shapes (rdfs:label minCount 1)
INVALID_TTL = VALID_TTL.replace('  rdfs:label "Beratungsstelle Kinder (Fixture)"@de ;\n', "")


@dataclass
class ContribServer:
    url: str
    secrets: dict[str, str]
    store: Path
    contributions: Path
    project: Path

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.secrets[name]}

    def submit(self, name: str, body: str | bytes, *, filename: str = "beitrag.ttl", graph: str | None = None,
               check: bool = False, **fields: str) -> httpx.Response:
        data = {"kind": "rdf", **fields}
        if graph is not None:
            data["graph"] = graph
        if check:
            data["check"] = "1"
        content = body.encode() if isinstance(body, str) else body
        return httpx.post(self.url + "/api/contributions", headers=self.auth(name), data=data,
                          files={"file": (filename, content, "text/turtle")}, timeout=60)

    def ask(self, query: str) -> bool:
        r = httpx.get(self.url + "/sparql", params={"query": query},
                      headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert r.status_code == 200, r.text
        return bool(r.json()["boolean"])

    def kept(self) -> set[str]:
        """The submissions kept (their directories; not the lock file)."""
        if not self.contributions.is_dir():
            return set()
        return {p.name for p in self.contributions.iterdir() if p.is_dir() and not p.name.startswith(".")}

    def dump(self) -> bytes:
        """Every quad the server serves, sorted (to compare the store before and after)."""
        r = httpx.post(self.url + "/sparql", data={"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"},
                       headers={"Accept": "application/n-triples"}, timeout=60)
        assert r.status_code == 200, r.text
        return b"\n".join(sorted(r.content.splitlines()))


def write_tokens(path: Path) -> dict[str, str]:
    return {name: add_token(path, name, scopes) for name, scopes in TOKENS.items()}


@pytest.fixture(scope="module")
def contrib_server(tmp_path_factory: pytest.TempPathFactory, mini_project_source: Path) -> Iterator[ContribServer]:
    """The service over a fresh build of the mini project, with the fixture tokens, writable."""
    from kg.graph.build import build

    tmp = tmp_path_factory.mktemp("contrib")
    store = tmp / "store"
    build(mini_project_source, store)
    secrets = write_tokens(tmp / "tokens.toml")
    # approvals keep their files under the project root (kg.graph.kept): a copy, never the fixture
    project = copy_project(mini_project_source, tmp / "project")
    with serve_kg(store, workers=1, tokens_file=tmp / "tokens.toml", project_root=project,
                  contributions_dir=tmp / "contributions", max_upload_bytes=64 * 1024, rate_limit=0.0,
                  name="contrib-uvicorn") as url:
        yield ContribServer(url, secrets, store, tmp / "contributions", project)
