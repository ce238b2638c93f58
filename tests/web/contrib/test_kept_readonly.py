"""An approval on a server that cannot write its project's data/contributions/ (a deployment from
a read-only checkout): the approval stands (the data is in the store and its history), and the
log and the API answer say clearly, in German and English, that `kg build` will not rebuild it;
the next `kg build` names the change it replaces. Real server (tests/serving.py), httpx, the mini
fixture project; the contribution is fixture data (tests/web/contrib/conftest.py).

As root (the CI container) permissions do not stop a write, so the directory is made unwritable
the way a wrong deployment would: data/contributions is a file, not a directory."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from kg.graph.build import build
from tests.serving import copy_project, serve_kg
from tests.web.contrib.conftest import CONTRIB, HNID, VALID_TTL, write_tokens


def test_approval_without_a_writable_project_warns_and_stands(mini_project_source: Path, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    project = copy_project(mini_project_source, tmp_path / "project")
    (project / "data" / "contributions").write_text("not a directory (fixture)\n")
    store = tmp_path / "store"
    build(project, store)
    secrets = write_tokens(tmp_path / "tokens.toml")
    graph = CONTRIB + "kreis-a/nur-im-store"
    with caplog.at_level(logging.WARNING, logger="hilfenetz.contributions"), \
            serve_kg(store, workers=1, tokens_file=tmp_path / "tokens.toml", project_root=project,
                     contributions_dir=tmp_path / "submissions", rate_limit=0.0) as url:
        r = httpx.post(url + "/api/contributions", headers={"Authorization": "Bearer " + secrets["kreis-a"]},
                       data={"kind": "rdf", "graph": graph}, files={"file": ("b.ttl", VALID_TTL.encode())}, timeout=60)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        r = httpx.post(url + f"/api/contributions/{cid}/approve", timeout=60,
                       headers={"Authorization": "Bearer " + secrets["redaktion"]}, json={"comment": "ok"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "approved"
        kept = body["kept_for_build"]
        assert kept["kept"] is False and kept["path"] is None
        assert "wurde aber nicht unter" in kept["de"] and "baut ihn nicht wieder auf" in kept["de"]
        assert "was not kept under" in kept["en"] and "will not rebuild it" in kept["en"]
        # the record says so too, later
        again = httpx.get(url + f"/api/contributions/{cid}", timeout=60,
                          headers={"Authorization": "Bearer " + secrets["redaktion"]}).json()
        assert again["kept_for_build"]["kept"] is False
        assert "baut ihn nicht wieder auf" in again["html"]  # the review page shows it (escaped HTML)
        ask = f"ASK {{ GRAPH <{graph}> {{ <{HNID}org/beratung-kinder-dortmund> ?p ?o }} }}"
        res = httpx.get(url + "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"})
        assert res.json()["boolean"] is True
        change = httpx.get(url + "/changes", params={"format": "json", "graph": graph}).json()["changes"][0]["id"]
    assert any(cid in rec.getMessage() and "not kept" in rec.getMessage() for rec in caplog.records)
    # the next build replaces it and names it
    result = build(project, store)
    assert result.unkept_changes == [change]
