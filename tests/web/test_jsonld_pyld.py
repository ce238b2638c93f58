"""The served JSON-LD with a real JSON-LD processor (PyLD), as a portal would read it.

Every event and programme of the real project is fetched from a real server as JSON-LD; PyLD
expands it and compacts it again with the served context (loaded from the same server by a
document loader that refuses every other URL: no network). The round trip must give the
served document back unchanged — it is in compacted form w.r.t. its own context — and
`startDate` must have one shape for programmes (`xsd:gYear`) and events (`xsd:date`). A request
with the `#expanded` profile gets exactly PyLD's expansion.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pyld import jsonld

HN = "https://w3id.org/hilfenetz/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
EXPANDED = "http://www.w3.org/ns/json-ld#expanded"
COMPACTED = "http://www.w3.org/ns/json-ld#compacted"
JSONLD = "application/ld+json"


def server_loader(base: str) -> Any:
    """A PyLD document loader that reads from `base` only (anything else is an error)."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if not url.startswith(base + "/"):
            raise AssertionError(f"the test may not load {url} (only {base}/…)")
        response = httpx.get(url, headers={"Accept": JSONLD}, timeout=60)
        assert response.status_code == 200, (url, response.status_code)
        return {"contextUrl": None, "documentUrl": url, "document": response.json()}

    return load


def local_url(base: str, iri: str) -> str:
    assert iri.startswith("https://w3id.org/hilfenetz/id/")
    return base + iri.removeprefix("https://w3id.org/hilfenetz")


def subjects(base: str, cls: str) -> list[tuple[str, str]]:
    """(IRI, datatype of hn:startDate or "") of every member of `cls`, asked at the server's /sparql."""
    query = (f"SELECT DISTINCT ?s (SAMPLE(STR(DATATYPE(?d))) AS ?dt) WHERE {{ ?s a <{HN}{cls}> "
             f"OPTIONAL {{ ?s <{HN}startDate> ?d }} }} GROUP BY ?s ORDER BY ?s")
    response = httpx.get(base + "/sparql", params={"query": query}, timeout=60)
    assert response.status_code == 200, response.text
    return [(b["s"]["value"], b.get("dt", {}).get("value", "")) for b in response.json()["results"]["bindings"]]


@pytest.fixture(scope="module")
def documents(web_server: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """IRI → (startDate datatype, served JSON-LD) for every event and programme."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for cls in ("Event", "Programme"):
        found = subjects(web_server, cls)
        assert found, f"no hn:{cls} in the built store"
        for iri, datatype in found:
            response = httpx.get(local_url(web_server, iri), headers={"Accept": JSONLD}, timeout=60)
            assert response.status_code == 200
            assert response.headers["content-type"].split(";")[0] == JSONLD
            out[iri] = (datatype, response.json())
    return out


def test_compaction_round_trip_is_identical(web_server: str, documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    loader = server_loader(web_server)
    context_url = web_server + "/context.jsonld"
    for iri, (_, doc) in documents.items():
        assert doc["@context"] == context_url
        expanded = jsonld.expand(doc, {"documentLoader": loader})
        again = jsonld.compact(expanded, context_url, {"documentLoader": loader})
        assert again == doc, iri
    print(f"\n{len(documents)} documents round-trip unchanged")


def test_start_date_has_one_shape(documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """A year (programmes) and a day (events) are both `{"@value": …, "type": "xsd:…"}`."""
    by_datatype: dict[str, list[Any]] = {}
    for iri, (datatype, doc) in documents.items():
        assert not any(k.endswith(":startDate") for k in doc), (iri, sorted(doc))  # no second key
        if datatype:
            by_datatype.setdefault(datatype, []).append(doc["startDate"])
    assert {XSD + "gYear", XSD + "date"} <= set(by_datatype), set(by_datatype)
    for datatype, values in by_datatype.items():
        for value in values:
            assert isinstance(value, dict) and set(value) == {"@value", "type"}, value
            assert value["type"] == "xsd:" + datatype.removeprefix(XSD)


def _profiled(base: str, iri: str, profile: str) -> httpx.Response:
    return httpx.get(local_url(base, iri), headers={"Accept": f'{JSONLD}; profile="{profile}"'}, timeout=60)


def test_expanded_profile_is_pyld_expansion(web_server: str, documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    loader = server_loader(web_server)
    for iri, (_, doc) in documents.items():
        response = _profiled(web_server, iri, EXPANDED)
        assert response.status_code == 200
        assert response.headers["content-type"] == f'{JSONLD}; profile="{EXPANDED}"'
        assert "accept" in response.headers["vary"].lower()
        served = response.json()
        assert served == jsonld.expand(doc, {"documentLoader": loader}), iri
        assert "@context" not in served[0]


def test_compacted_profile_and_other_profiles_get_the_compacted_document(
        web_server: str, documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    iri, (_, doc) = next(iter(documents.items()))
    for profile in (COMPACTED, "http://www.w3.org/ns/json-ld#flattened", f"{COMPACTED} {EXPANDED}"):
        response = _profiled(web_server, iri, profile)
        assert response.status_code == 200
        assert response.headers["content-type"] == JSONLD
        assert response.json() == doc, profile
    # the best-rated ld+json range decides
    accept = f'{JSONLD}; profile="{COMPACTED}"; q=0.5, {JSONLD}; profile="{EXPANDED}"'
    response = httpx.get(local_url(web_server, iri), headers={"Accept": accept}, timeout=60)
    assert isinstance(response.json(), list)


def test_context_coerces_only_single_datatype_keys(web_server: str) -> None:
    """A key coerced to a datatype has no value of another datatype anywhere in the store (asked
    at /sparql), so coerced values are always plain strings; startDate (xsd:date and xsd:gYear
    values) is not coerced."""
    context = httpx.get(web_server + "/context.jsonld", timeout=60).json()["@context"]

    def full(value: str) -> str:
        prefix, _, rest = value.partition(":")
        return context[prefix] + rest if isinstance(context.get(prefix), str) else value

    coerced = {key: (full(d["@id"]), full(d["@type"])) for key, d in context.items()
               if isinstance(d, dict) and d.get("@type") not in (None, "@id", "@vocab")}
    assert coerced, "no coerced key at all"
    assert "@type" not in context["startDate"]
    for key, (prop, datatype) in coerced.items():
        query = f"ASK {{ ?s <{prop}> ?o FILTER(!isLiteral(?o) || DATATYPE(?o) != <{datatype}>) }}"
        response = httpx.get(web_server + "/sparql", params={"query": query}, timeout=60)
        assert response.status_code == 200 and response.json()["boolean"] is False, (key, prop, datatype)
