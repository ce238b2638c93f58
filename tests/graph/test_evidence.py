"""Evidence phrases are verbatim, short, and point at the exact seed files they were taken from.

Needs the seed texts (not part of the project): $HILFENETZ_SHARED/seeds, by default ../shared/seeds
next to the checkout. Without them the tests skip with the reason.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
import rdflib
from rdflib import URIRef

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HILFENETZ_SHARED", REPO_ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
DATA = REPO_ROOT / "data"

HN = rdflib.Namespace("https://w3id.org/hilfenetz/ontology#")
MAX_WORDS = 15

needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"seed texts not available at {SEEDS} (set HILFENETZ_SHARED to the shared folder)"
)


def normalise(text: str) -> str:
    """Collapse every run of whitespace into one space; nothing else is changed."""
    return re.sub(r"\s+", " ", text).strip()


def data_files() -> list[Path]:
    return [DATA / "sources.ttl", *sorted((DATA / "seeds").glob("*.ttl"))]


def sources() -> rdflib.Graph:
    return rdflib.Graph().parse(DATA / "sources.ttl", format="turtle")


def quotes() -> list[tuple[str, URIRef, str, URIRef | None]]:
    """(file, node, quote, source document) for every hn:quote in data/."""
    out = []
    for path in data_files():
        g = rdflib.Graph().parse(path, format="turtle")
        for node, quote in g.subject_objects(HN.quote):
            # evidence nodes name their document with hn:inSource; a Statement with hn:statedIn
            src = g.value(node, HN.inSource) or g.value(node, HN.statedIn)
            out.append((path.name, node, str(quote), src))
    return out


def test_there_are_quotes_in_every_seed_graph() -> None:
    files = {f for f, *_ in quotes()}
    assert {p.name for p in (DATA / "seeds").glob("*.ttl")} <= files


def test_every_quote_names_a_described_source_document() -> None:
    known = set(sources().subjects(HN.fileName, None))
    missing = [(f, str(n)) for f, n, _q, src in quotes() if src not in known]
    assert not missing, missing


def test_quotes_are_short() -> None:
    long = [(f, str(n), len(q.split())) for f, n, q, _s in quotes() if len(q.split()) > MAX_WORDS]
    assert not long, long


@needs_seeds
def test_quotes_are_verbatim_substrings_of_their_source() -> None:
    g = sources()
    texts = {
        doc: normalise((SEEDS / str(name)).read_text(encoding="utf-8")) for doc, name in g.subject_objects(HN.fileName)
    }
    wrong = [(f, str(n), q) for f, n, q, src in quotes() if normalise(q) not in texts.get(src, "")]
    assert not wrong, wrong


@needs_seeds
def test_sha256_matches_the_seed_files() -> None:
    g = sources()
    docs = list(g.subject_objects(HN.fileName))
    assert len(docs) == 5
    for doc, name in docs:
        path = SEEDS / str(name)
        assert path.is_file(), f"{doc}: {path} missing"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert str(g.value(doc, HN.sha256)) == digest, doc


@needs_seeds
def test_every_seed_file_is_described() -> None:
    names = {str(n) for n in sources().objects(None, HN.fileName)}
    assert names == {p.name for p in SEEDS.glob("*.txt")}
