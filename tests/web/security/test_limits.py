"""Per-client rate limit (429 + Retry-After) and the query length cap, on a real server."""

from __future__ import annotations

import time

import httpx
import pytest

from kg.config import Settings, parse_rate
from kg.web.limits import (
    LimitConfig,
    TokenBuckets,
    client_key,
    config_from,
)
from tests.serving import Server

from .conftest import MAX_QUERY

ASK = {"query": "ASK {}"}


def _as(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def test_flood_gets_429_with_retry_after_then_recovers(limited_server: Server) -> None:
    statuses = []
    last = None
    with httpx.Client(timeout=30) as c:
        for _ in range(8):
            last = c.get(limited_server.sparql, params=ASK, headers=_as("203.0.113.7"))
            statuses.append(last.status_code)
        assert statuses[:3] == [200, 200, 200]  # the burst
        assert statuses[-1] == 429, statuses
        assert set(statuses) == {200, 429}
        assert last is not None
        retry = int(last.headers["Retry-After"])
        assert 1 <= retry <= 2  # rate 0.5/s: one token takes 2 s
        assert "Too many requests" in last.text and "0.5 per second" in last.text
        # security headers are on the refusal too
        assert "frame-ancestors 'none'" in last.headers["Content-Security-Policy"]
        # probes are never limited
        assert c.get(limited_server.url + "/health", headers=_as("203.0.113.7")).status_code == 200
        # another client is not affected
        assert c.get(limited_server.sparql, params=ASK, headers=_as("203.0.113.8")).status_code == 200
        # after the announced wait the client is served again
        time.sleep(retry)
        assert c.get(limited_server.sparql, params=ASK, headers=_as("203.0.113.7")).status_code == 200


def test_forwarded_for_only_counts_from_trusted_proxy() -> None:
    scope = {"client": ("198.51.100.1", 5000), "headers": [(b"x-forwarded-for", b"1.2.3.4, 5.6.7.8")]}
    assert client_key(scope, ()) == "198.51.100.1"  # untrusted peer: header ignored (forgeable)
    assert client_key(scope, ("198.51.100.1",)) == "5.6.7.8"  # the entry the proxy appended


def test_long_get_query_is_414(limited_server: Server) -> None:
    q = "ASK { FILTER(" + " || ".join(["true"] * 400) + ") }"
    assert len(q) > MAX_QUERY
    r = httpx.get(limited_server.sparql, params={"query": q}, headers=_as("203.0.113.20"), timeout=30)
    assert r.status_code == 414
    assert f"limit of {MAX_QUERY} bytes" in r.text


def test_long_direct_post_query_is_413_short_one_runs(limited_server: Server) -> None:
    long_q = "ASK { FILTER(" + " || ".join(["true"] * 400) + ") }"
    r = httpx.post(limited_server.sparql, content=long_q.encode(), timeout=30,
                   headers={"Content-Type": "application/sparql-query", **_as("203.0.113.21")})
    assert r.status_code == 413
    assert f"limit of {MAX_QUERY} bytes" in r.text
    r = httpx.post(limited_server.sparql, content=b"ASK { FILTER(true) }", timeout=30,
                   headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json",
                            **_as("203.0.113.22")})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_token_bucket_refills_at_rate() -> None:
    now = [100.0]
    b = TokenBuckets(rate=2.0, burst=3, clock=lambda: now[0])
    assert [b.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert b.take("a") == 0.0
    assert b.take("a") > 0
    assert b.take("b") == 0.0


def test_token_bucket_memory_is_bounded() -> None:
    b = TokenBuckets(rate=1.0, burst=1, max_keys=10)
    for i in range(50):
        b.take(f"10.0.0.{i}")
    assert len(b) == 10


@pytest.mark.parametrize(("text", "expected"), [
    ("off", (0.0, 0)), ("0", (0.0, 0)), ("10", (10.0, 40)), ("2.5,7", (2.5, 7)), ("0.1", (0.1, 1)),
])
def test_parse_rate(text: str, expected: tuple[float, int]) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["-1", "abc", "5,0", "nan"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_limits_come_from_settings_and_the_environment_fills_what_the_command_line_left_open() -> None:
    """Precedence (kg.config.resolve): flag > environment variable > default."""
    env = {"HILFENETZ_RATE_LIMIT": "off", "HILFENETZ_MAX_QUERY_BYTES": "7",
           "HILFENETZ_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}
    assert config_from(Settings.from_sources({}, {}, store_path="s")) == LimitConfig(50.0, 200, 256 * 1024, ())
    assert config_from(Settings.from_sources({}, env, store_path="s")) == \
        LimitConfig(0.0, 0, 7, ("10.0.0.1", "10.0.0.2"))
    given = {"rate_limit": 5.0, "rate_burst": 9, "max_query_bytes": 100, "trusted_proxies": ["10.9.9.9"]}
    assert config_from(Settings.from_sources(given, env, store_path="s")) == LimitConfig(5.0, 9, 100, ("10.9.9.9",))
    assert config_from(Settings.from_sources({"rate_limit": 3.0}, {"HILFENETZ_RATE_LIMIT": "1,4"}, store_path="s")) \
        == LimitConfig(3.0, 4, 256 * 1024, ())
