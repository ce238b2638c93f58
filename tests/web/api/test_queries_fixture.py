"""The queries whose answer on the real seeds is empty (offers with area and life phase, grants,
actors in two programmes, cross-sector cooperations), on a small fixture where it is not — so
these tests can fail. Values are bound and validated exactly as the API does (kg.sparql.params)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.sparql.params import ParamError, bind, load_named_query, run

from .conftest import HNID, QUERIES

FIXTURE = Path(__file__).with_name("fixture-funding-offers.trig")
X = HNID + "area/99999001"
LP = HNID + "concept/life-phase/"
TG = HNID + "concept/target-group/"
ORG = HNID + "org/"
P1, P2 = HNID + "programme/p1", HNID + "programme/p2"


@pytest.fixture(scope="module")
def fx() -> ox.Store:
    store = ox.Store()
    store.load(FIXTURE.read_bytes(), format=ox.RdfFormat.TRIG)
    return store


def answer(store: ox.Store, name: str, *cols: str, **values: str) -> list[tuple[Any, ...]]:
    query = load_named_query(QUERIES / f"{name}.rq")
    bound = bind(query, values, store)
    return sorted(
        (tuple(None if s[c] is None else s[c].value for c in cols) for s in run(store, query, bound)), key=str
    )


def test_offers_by_area_phase_group(fx: ox.Store) -> None:
    cols = ("area", "lifePhase", "targetGroup", "offer", "provider")
    o1, o2 = HNID + "offer/o1", HNID + "offer/o2"
    assert answer(fx, "offers-by-municipality", *cols) == sorted([
        (X, LP + "infancy", TG + "t1", o1, ORG + "a"),
        (X, LP + "preschool", TG + "t1", o1, ORG + "a"),
        (X, LP + "infancy", TG + "t2", o2, None),
    ])
    assert answer(fx, "offers-by-municipality", "offer", lifePhase=LP + "infancy") == [(o1,), (o2,)]
    assert answer(fx, "offers-by-municipality", "offer", "lifePhase", targetGroup=TG + "t2") == [(o2, LP + "infancy")]
    assert answer(fx, "offers-by-municipality", "offer", lifePhase=LP + "career-entry") == []


def test_gaps(fx: ox.Store) -> None:
    got = answer(fx, "prevention-chain-gaps", "order", "offers", "gap", area=X)
    assert got == [("1", "0", "true"), ("2", "2", "false"), ("3", "1", "false"),
                   ("4", "0", "true"), ("5", "0", "true"), ("6", "0", "true")]


def test_funding(fx: ox.Store) -> None:
    cols = ("kind", "funder", "underProgramme", "grantRecipient", "fundedItem", "grant", "amount")
    g1, g2 = HNID + "grant/g1", HNID + "grant/g2"
    assert answer(fx, "funding", *cols) == sorted([
        ("grant", ORG + "f", P1, ORG + "a", None, g1, "1000"),  # xsd:decimal 1000.00, canonical
        ("grant", ORG + "f", None, X, None, g2, None),
        ("programme", ORG + "f2", P2, None, P2, None, None),
    ], key=str)
    assert answer(fx, "funding", "grant", programme=P1) == [(g1,)]
    assert answer(fx, "funding", "grant", recipient=X) == [(g2,)]
    assert answer(fx, "funding", "kind", "fundedItem", funder=ORG + "f2") == [("programme", P2)]
    assert answer(fx, "funding", "grant", funder=ORG + "f", programme=P2) == []


def test_funding_rows_exact(fx: ox.Store) -> None:
    got = answer(fx, "funding", "kind", "funder", "underProgramme", "grantRecipient", "grant")
    assert got == sorted([
        ("grant", ORG + "f", P1, ORG + "a", HNID + "grant/g1"),
        ("grant", ORG + "f", None, X, HNID + "grant/g2"),
        ("programme", ORG + "f2", P2, None, None),
    ], key=str)


def test_actor_in_two_programmes(fx: ox.Store) -> None:
    cols = ("actor", "programme1", "via1", "programme2", "via2")
    e1 = HNID + "event/e1"
    assert answer(fx, "actors-in-two-programmes", *cols) == sorted([
        (ORG + "a", P1, P1, P2, e1),
        (ORG + "a", P2, e1, P1, P1),
    ])
    assert answer(fx, "actors-in-two-programmes", *cols, programme1=P1, programme2=P2) == [(ORG + "a", P1, P1, P2, e1)]


def test_cross_sector_cooperation(fx: ox.Store) -> None:
    got = answer(fx, "cross-sector-links", "area", "kind", "item", "youthSide", "healthSide")
    assert got == [(X, "cooperation", HNID + "cooperation/c1", ORG + "y", ORG + "h")]


def test_validation_against_the_fixture(fx: ox.Store) -> None:
    query = load_named_query(QUERIES / "offers-by-municipality.rq")
    with pytest.raises(ParamError):
        bind(query, {"lifePhase": TG + "t1"}, fx)  # a target group is not a life phase
    with pytest.raises(ParamError):
        bind(query, {"area": ORG + "a"}, fx)       # an organisation is not an area


def test_shortest_connection_three_steps(fx: ox.Store) -> None:
    q1, q2, q3, x1 = ORG + "q1", ORG + "q2", ORG + "q3", HNID + "project/x1"
    cols = ("hops", "via1", "via2")
    assert answer(fx, "shortest-connections", *cols, actor1=q1, actor2=q3) == [("3", x1, q2)]
    assert answer(fx, "shortest-connections", *cols, actor1=q1, actor2=q2) == [("2", x1, None)]
    assert answer(fx, "shortest-connections", *cols, actor1=q3, actor2=q2) == [("1", None, None)]
