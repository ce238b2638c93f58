"""`kg build --store URL` and `kg serve --store URL` end to end, on the small fixture project and
a private server of each engine (in-memory `oxigraph serve`; Virtuoso): the remote gets exactly
what a local build holds; a build that fails validation, and a publish killed half way, leave
the remote exactly as it was."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from tests.serving import free_port, serve_app

from .conftest import PROJECT_ROOT, OxigraphServer, RemoteServer, VirtuosoServer, kill_process_group

GRAPH_BUILD = "https://w3id.org/hilfenetz/id/graph/build"
_BNODE = re.compile(r"_:[A-Za-z0-9]+")


def remote_lines(url: str) -> list[str]:
    """The remote's whole content as sorted N-Quads lines, blank-node labels blanked out."""
    from kg.store.remote import RemoteStore

    data = RemoteStore(url).dump(format=ox.RdfFormat.N_QUADS) or b""
    return sorted(_BNODE.sub("_:b", line) for line in data.decode().splitlines())


def local_lines(store: Path) -> list[str]:
    data = ox.Store.read_only(str(store)).dump(format=ox.RdfFormat.N_QUADS)
    return sorted(_BNODE.sub("_:b", line) for line in data.decode().splitlines())


GRAPH_CHANGES = "https://w3id.org/hilfenetz/id/graph/changes"


def without_build_graph(lines: list[str]) -> list[str]:
    """Without the build metadata and the change history (each build records itself there with
    its own id and time)."""
    return [line for line in lines if not line.rstrip(" .").endswith((f"<{GRAPH_BUILD}>", f"<{GRAPH_CHANGES}>"))]


def test_kg_build_store_url_publishes_what_a_local_build_holds(
        run_kg, mini_project: Path, scratch_remote: RemoteServer, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    res = run_kg("build", "--project", str(mini_project), "--store", scratch_remote.query_url, "--no-reference",
                 env={"TMPDIR": str(tmpdir)})
    assert res.returncode == 0, res.stderr
    how = "staged in" if isinstance(scratch_remote, VirtuosoServer) else "one atomic update"
    assert "published" in res.stdout and how in res.stdout
    assert list(tmpdir.iterdir()) == []  # the temporary local store is gone
    local = tmp_path / "local"
    res2 = run_kg("build", "--project", str(mini_project), "--store", str(local), "--no-reference")
    assert res2.returncode == 0, res2.stderr
    remote, here = remote_lines(scratch_remote.query_url), local_lines(local)
    assert len(remote) == len(here) > 50
    # two builds differ only in the build metadata (end time) and their change records
    assert without_build_graph(remote) == without_build_graph(here)
    assert any(line.endswith(f"<{GRAPH_BUILD}> .") for line in remote)
    # the remote's history is carried over: a second publish lists both builds
    res3 = run_kg("build", "--project", str(mini_project), "--store", scratch_remote.query_url, "--no-reference",
                  env={"TMPDIR": str(tmpdir)})
    assert res3.returncode == 0, res3.stderr
    builds = [line for line in remote_lines(scratch_remote.query_url)
              if f"<{GRAPH_CHANGES}>" in line and '"build"' in line]
    assert len(builds) == 2, builds


def test_failing_build_leaves_the_remote_unchanged(
        run_kg, mini_project: Path, scratch_remote: RemoteServer) -> None:
    from kg.store.remote import RemoteStore

    url = scratch_remote.query_url
    assert run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q").returncode == 0
    before, version = remote_lines(url), RemoteStore(url).version()
    seed = mini_project / "data" / "seeds" / "demo.ttl"
    seed.write_text(seed.read_text() + "\norg:ohne-name a hn:YouthWelfareOffice ; hn:statedIn src:demo .\n",
                    encoding="utf-8")
    res = run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q")
    assert res.returncode == 1
    assert "rdfs:label" in res.stderr and "published" not in res.stdout
    assert remote_lines(url) == before
    assert RemoteStore(url).version() == version



def test_server_base_url_names_the_query_endpoint(
        run_kg, mini_project: Path, scratch_oxigraph: OxigraphServer) -> None:
    """`--store http://host:port` (Oxigraph's base URL, whose `/` answers POST with 404) names
    the URL to give, found by asking the same server; nothing is written."""
    from kg.store.remote import RemoteError, RemoteStore

    base, query_url = scratch_oxigraph.base, scratch_oxigraph.query_url
    res = run_kg("build", "--project", str(mini_project), "--store", base, "--no-reference", "-q")
    assert res.returncode == 1
    assert "POST / is not supported by this server" in res.stderr  # Oxigraph's own words, then ours:
    assert (f"{base} is not a SPARQL endpoint; this server answers queries at {query_url}: give that URL "
            f"(--store {query_url}; the update endpoint is derived from it: {scratch_oxigraph.update_url})"
            ) in res.stderr
    assert "published" not in res.stdout and "Traceback" not in res.stderr
    assert remote_lines(query_url) == []
    # the read side (kg serve --store URL) says the same
    with pytest.raises(RemoteError, match=re.escape(f"this server answers queries at {query_url}: give that URL")):
        RemoteStore(base + "/").query("ASK {}")


def test_killed_publish_leaves_the_remote_unchanged(
        built_store: Path, run_kg, mini_project: Path, scratch_remote: RemoteServer,
        tmp_path: Path) -> None:
    """The publisher streams the real store (~65 MB) and is SIGKILLed after its third graph:
    the remote saw a truncated request (Oxigraph) or only staging requests (Virtuoso) and must
    keep the small project published before."""
    from kg.store.remote import RemoteStore

    url = scratch_remote.query_url
    assert run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q").returncode == 0
    before, version = remote_lines(url), RemoteStore(url).version()
    code = ("import sys\nfrom kg.graph.publish import publish\n"
            "publish(sys.argv[1], sys.argv[2], progress=lambda m: print(m, flush=True))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(built_store), url], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT, start_new_session=True)
    seen = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if len([s for s in seen if "sending graph" in s or "staging graph" in s]) == 3:
                break
    finally:
        kill_process_group(proc)
    assert len([s for s in seen if "sending graph" in s or "staging graph" in s]) == 3, "".join(seen)
    deadline = time.monotonic() + 30
    while not RemoteStore(url).ping() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert remote_lines(url) == before
    assert RemoteStore(url).version() == version
    # the next publish clears what the killed one left (Virtuoso: its staging graphs)
    assert run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q").returncode == 0
    assert not [g for g in RemoteStore(url).all_graph_names() if g.startswith("urn:x-hilfenetz:staging:")]
    assert without_build_graph(remote_lines(url)) == without_build_graph(before)


def test_remote_server_follows_a_republish(
        run_kg, mini_project: Path, scratch_remote: RemoteServer, tmp_path: Path) -> None:
    """A hilfenetz server in remote mode polls the remote's version: after `kg build --store URL`
    publishes changed data, it answers the new data (new version, new ETag) without a restart."""
    from kg.config import Settings
    from kg.web.app import create_app

    url = scratch_remote.query_url
    assert run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q").returncode == 0
    settings = Settings(store_path=tmp_path / "cache" / "store", store_url=url, project_root=PROJECT_ROOT,
                        workers=1, rate_limit=0.0, watch_interval=0.2)
    marker = "hilfenetz-republish-marker"
    query = f'ASK {{ ?s <http://www.w3.org/2000/01/rdf-schema#comment> "{marker}" }}'
    with serve_app(create_app(settings)) as base:
        first = httpx.get(base + "/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
        assert first.status_code == 200 and first.json()["boolean"] is False
        seed = mini_project / "data" / "seeds" / "demo.ttl"
        seed.write_text(seed.read_text() + f'\nsrc:demo rdfs:comment "{marker}" .\n', encoding="utf-8")
        assert run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q").returncode == 0
        deadline = time.monotonic() + 30
        while True:
            r = httpx.get(base + "/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
            if r.json()["boolean"] is True or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.json()["boolean"] is True
        assert r.headers.get("etag") != first.headers.get("etag")


def test_kg_serve_store_url(scratch_remote: RemoteServer, run_kg, mini_project: Path,
                            tmp_path: Path) -> None:
    """`kg serve --store URL` as a process: serves the remote's data read-only, and refuses a
    write token with a message saying why and what to do instead."""
    url = scratch_remote.query_url
    assert run_kg("build", "--project", str(mini_project), "--store", url, "--no-reference", "-q").returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in ("HILFENETZ_WRITE_TOKEN", "HILFENETZ_STORE")}
    refused = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--store", url, "--no-warm"],
                             env={**env, "HILFENETZ_WRITE_TOKEN": "secret-token"}, capture_output=True, text=True,
                             timeout=120, cwd=tmp_path, check=False)
    assert refused.returncode != 0
    assert "kg build --store URL" in refused.stderr and "remote" in refused.stderr
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--store", url, "--port", str(port),
                             "--no-warm", "--workers", "1", "--project", str(PROJECT_ROOT)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        r = httpx.get(base + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                      headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert r.status_code == 200
        n = int(r.json()["results"]["bindings"][0]["n"]["value"])
        assert n == len(remote_lines(url))
        assert httpx.post(base + "/store", content=b"", timeout=10).status_code in (404, 405)  # no writes
        assert not list(tmp_path.glob("**/store"))  # nothing was built locally
    finally:
        proc.send_signal(signal.SIGTERM)  # a graceful stop: the replicas' supervisor cleans up
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        kill_process_group(proc)


def test_state_refuses_writes_and_reports_an_unreachable_remote(tmp_path: Path) -> None:
    from kg.config import Settings
    from kg.query.service import ServiceState

    dead = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(ValueError, match="kg build --store URL"):
        ServiceState(Settings(store_path=tmp_path / "s", store_url=dead, write_token="t", workers=1))
    state = ServiceState(Settings(store_path=tmp_path / "s", store_url=dead, workers=1))
    assert state.version == "remote-unavailable"
    assert state.store.ping(timeout=2) is False
    assert state.refresh_remote() is False


#: what differs by design: the dump files are written in each store's own order (other bytes,
#: sizes and checksums); everything else in the DCAT/VoID description must agree
_VOLATILE = ("checksum", "byteSize")


def test_small_project_same_answers_on_a_remote_without_union_default_graph(
        mini_project: Path, scratch_oxigraph: OxigraphServer, tmp_path: Path) -> None:
    """The same local store served embedded and from a remote whose default graph is the real
    one (the explicit `default-graph-uri` path): /dataset (which writes every dump file, so it is
    compared here on the small project), linked data and a union query agree."""
    from kg.config import Settings
    from kg.graph.build import build
    from kg.graph.publish import publish
    from kg.store.remote import RemoteStore
    from kg.web.app import create_app

    from .compare import graph, graph_diff, same_graph, solutions

    local = tmp_path / "local" / "store"
    build(mini_project, local, include_reference=False)
    publish(local, scratch_oxigraph.query_url)
    assert RemoteStore(scratch_oxigraph.query_url).union_default_graph is False
    common = {"project_root": PROJECT_ROOT, "workers": 1, "rate_limit": 0.0, "watch_interval": 0.0}
    embedded = Settings(store_path=local, **common)
    remote = Settings(store_path=tmp_path / "remote" / "store", store_url=scratch_oxigraph.query_url, **common)
    with serve_app(create_app(embedded)) as e, serve_app(create_app(remote)) as r:
        # each server names its own address in the download links: one placeholder for both
        ge, gr = (graph(httpx.get(b + "/dataset", headers={"Accept": "text/turtle"}, timeout=120).content
                        .replace(b.encode(), b"http://hilfenetz.test"), "text/turtle") for b in (e, r))
        for g in (ge, gr):
            for t in list(g):
                if any(v in str(t[1]) for v in _VOLATILE):
                    g.remove(t)
        assert len(ge) > 20 and same_graph(ge, gr), graph_diff(ge, gr)
        query = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
        answers = [httpx.get(b + "/sparql", params={"query": query}, timeout=60,
                             headers={"Accept": "application/sparql-results+json"}) for b in (e, r)]
        assert solutions(answers[0].content, "application/sparql-results+json") == \
            solutions(answers[1].content, "application/sparql-results+json")
        assert answers[0].json()["results"]["bindings"]
        subject = answers[0].json()["results"]["bindings"][0]["s"]["value"]
        path = subject.replace("https://w3id.org/hilfenetz", "")
        if path.startswith("/id/"):
            ttl = [httpx.get(b + path, headers={"Accept": "text/turtle"}, timeout=60) for b in (e, r)]
            assert ttl[0].status_code == ttl[1].status_code == 200
            assert same_graph(graph(ttl[0].content, "text/turtle"), graph(ttl[1].content, "text/turtle"))
