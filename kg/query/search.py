"""Entity search over the store: labels, alternative labels, abbreviations, names, descriptions.

Why our own small index (and not SPARQL `CONTAINS`): German spelling variants must meet —
"Jugendämter" has to find "Jugendamt" (stem), "Lueckenlos" "Lückenlos" (umlaut transcription),
"KAPDO" "KAP-DO" (separators) — and results must be ranked. The index is built from the store in
one pass (about 16 k entities with the reference data, well under a few seconds) and is rebuilt
whenever the store version changes (`SearchService`).

Every text is normalised into *keys*: casefolded tokens in two umlaut foldings (ä→ae and ä→a,
ß→ss), the Snowball German stem of each, and the whole value without separators (so "KAP-DO",
"KAP DO" and "KAPDO" share the key "kapdo"). A query token matches a document token exactly, as
a prefix, by stem, or as the head of a compound (a document token ending in the query's stem);
every query token must match (AND). Scores: exact whole-value match of a
label ≫ exact token ≫ prefix ≫ stem, weighted by field (label > abbreviation > alternative label
> name > description).
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox
import snowballstemmer

from kg.rdf import DCT_DESCRIPTION, HN, PREFIXES, RDF_TYPE, RDFS, SKOS

if TYPE_CHECKING:
    from kg.store.protocol import QueryStore

#: field name → (properties, weight)
FIELDS: dict[str, tuple[tuple[str, ...], float]] = {
    "label": ((RDFS + "label", SKOS + "prefLabel", HN + "displayLabel"), 10.0),
    "abbreviation": ((HN + "abbreviation",), 9.0),
    "altLabel": ((SKOS + "altLabel",), 6.0),
    "name": ((HN + "officialName",), 5.0),
    "description": ((DCT_DESCRIPTION, SKOS + "definition"), 1.5),
}
_PROP_FIELD = {p: f for f, (props, _) in FIELDS.items() for p in props}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("german")
_STEM_LOCK = threading.Lock()
EXACT, PREFIX, STEM, COMPOUND = 1.0, 0.6, 0.5, 0.4
MIN_COMPOUND = 6
WHOLE_BONUS = 40.0
MIN_PREFIX = 3


def fold(text: str, umlaut: str = "e") -> str:
    """Casefold and fold German letters: umlaut="e" gives ä→ae, umlaut="" gives ä→a; ß→ss.
    Other diacritics are stripped (é→e)."""
    text = text.casefold().replace("ß", "ss")
    if text.isascii():
        return text
    for u, base in (("ä", "a"), ("ö", "o"), ("ü", "u")):
        text = text.replace(u, base + umlaut)
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Snowball German stem of a folded token (memoised; locked: the stemmer object is not
    thread-safe). snowballstemmer uses the C implementation (PyStemmer) when installed."""
    with _STEM_LOCK:
        return _STEMMER.stemWord(token)


def tokens(text: str) -> list[str]:
    """The distinct folded tokens of a text, in both umlaut foldings."""
    out: list[str] = []
    for variant in dict.fromkeys((fold(text, "e"), fold(text, ""))):
        for t in _TOKEN.findall(variant):
            if t not in out:
                out.append(t)
    return out


def whole(text: str) -> set[str]:
    """The text without separators, in both foldings ("KAP-DO" → {"kapdo"})."""
    return {"".join(_TOKEN.findall(fold(text, u))) for u in ("e", "")} - {""}


@dataclass
class Entity:
    """One searchable resource: its texts per field and its types."""

    iri: str
    texts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    types: set[str] = field(default_factory=set)

    def label(self) -> str:
        for f in ("label", "name", "abbreviation", "altLabel"):
            if self.texts.get(f):
                return self.texts[f][0]
        return self.iri


@dataclass(frozen=True)
class Hit:
    """A ranked result."""

    iri: str
    label: str
    score: float
    types: tuple[str, ...]
    matched: tuple[str, ...]


class SearchIndex:
    """Inverted index: key → {entity number: best weight per field}."""

    def __init__(self, entities: Iterable[Entity], types_of: Callable[[str], set[str]] | None = None) -> None:
        self.entities: list[Entity] = list(entities)
        self._types_of = types_of
        self._tok: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
        self._stem: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
        self._whole: dict[str, dict[int, str]] = defaultdict(dict)
        for n, ent in enumerate(self.entities):
            for fname, values in ent.texts.items():
                for value in values:
                    for t in tokens(value):
                        self._tok[t].setdefault(n, {})[fname] = 1.0
                        self._stem[stem(t)].setdefault(n, {})[fname] = 1.0
                    if fname != "description":
                        for w in whole(value):
                            prev = self._whole[w].get(n)
                            if prev is None or FIELDS[fname][1] > FIELDS[prev][1]:
                                self._whole[w][n] = fname
        self._sorted = sorted(self._tok)
        self._reversed = sorted(t[::-1] for t in self._tok)

    def types(self, n: int) -> set[str]:
        """Types of entity number n (looked up in the store once, then kept)."""
        ent = self.entities[n]
        if not ent.types and self._types_of is not None:
            ent.types = self._types_of(ent.iri) or {"-"}
        return ent.types - {"-"}

    def __len__(self) -> int:
        return len(self.entities)

    def _prefixed(self, prefix: str) -> Iterable[str]:
        i = bisect.bisect_left(self._sorted, prefix)
        while i < len(self._sorted) and self._sorted[i].startswith(prefix):
            yield self._sorted[i]
            i += 1

    def _suffixed(self, suffix: str) -> Iterable[str]:
        """Document tokens ending in `suffix` (German compounds: "Landesjugendamt" ends in "jugendamt")."""
        rev = suffix[::-1]
        i = bisect.bisect_left(self._reversed, rev)
        while i < len(self._reversed) and self._reversed[i].startswith(rev):
            yield self._reversed[i][::-1]
            i += 1

    def _token_scores(self, qt: str) -> dict[int, tuple[float, str]]:
        """Best (score, field) per entity for one query token, over its umlaut variants."""
        best: dict[int, tuple[float, str]] = {}

        def offer(n: int, fields: dict[str, float], kind: float) -> None:
            for fname in fields:
                s = FIELDS[fname][1] * kind
                if n not in best or s > best[n][0]:
                    best[n] = (s, fname)

        for variant in tokens(qt):
            for n, fields in self._tok.get(variant, {}).items():
                offer(n, fields, EXACT)
            if len(variant) >= MIN_PREFIX:
                for t in self._prefixed(variant):
                    if t != variant:
                        for n, fields in self._tok[t].items():
                            offer(n, fields, PREFIX)
            st = stem(variant)
            for n, fields in self._stem.get(st, {}).items():
                offer(n, fields, STEM)
            if len(st) >= MIN_COMPOUND:
                for t in self._suffixed(st):
                    if t != st:
                        for n, fields in self._tok[t].items():
                            offer(n, fields, COMPOUND)
        return best

    def search(self, query: str, types: Iterable[str] = (), limit: int = 20, offset: int = 0
               ) -> tuple[list[Hit], int]:
        """Ranked hits for `query` (restricted to entities of all `types`) and the total count."""
        wanted = set(types)
        qtokens = _TOKEN.findall(query)
        if not qtokens:
            return [], 0
        scores: dict[int, float] | None = None
        matched: dict[int, set[str]] = defaultdict(set)
        for qt in qtokens:
            per = self._token_scores(qt)
            if scores is None:
                scores = {n: s for n, (s, _) in per.items()}
            else:
                scores = {n: scores[n] + per[n][0] for n in scores.keys() & per.keys()}
            for n, (_, fname) in per.items():
                matched[n].add(fname)
        scores = scores or {}
        # whole-value bonus: the query equals a label/abbreviation/… apart from separators
        for w in whole(query):
            for n, fname in self._whole.get(w, {}).items():
                scores[n] = scores.get(n, 0.0) + WHOLE_BONUS * FIELDS[fname][1] / 10
                matched[n].add(fname)
        if wanted:
            scores = {n: s for n, s in scores.items() if wanted <= self.types(n)}
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], len(self.entities[kv[0]].label()),
                                                        self.entities[kv[0]].iri))
        page = ranked[offset:offset + limit]
        hits = [Hit(self.entities[n].iri, self.entities[n].label(), round(s, 3),
                    tuple(sorted(self.types(n))), tuple(sorted(matched[n]))) for n, s in page]
        return hits, len(ranked)


def build_index(store: QueryStore) -> SearchIndex:
    """Read labels, names, descriptions and types of every IRI with a text from the store.

    Uses `quads_for_pattern` (no SPARQL overhead): about 40 k texts and 180 k type triples
    with the reference data."""
    entities: dict[str, Entity] = {}
    for prop, fname in _PROP_FIELD.items():
        for quad in store.quads_for_pattern(None, ox.NamedNode(prop), None, None):
            s, o = quad.subject, quad.object
            if not isinstance(s, ox.NamedNode) or not isinstance(o, ox.Literal):
                continue
            lang = o.language
            if lang and not lang.startswith(("de", "en")):
                continue
            ent = entities.get(s.value)
            if ent is None:
                ent = entities[s.value] = Entity(s.value)
            values = ent.texts[fname]
            if o.value not in values:
                if lang and lang.startswith("de"):
                    values.insert(0, o.value)  # German label first
                else:
                    values.append(o.value)
    for ent in entities.values():
        ent.texts = dict(ent.texts)
    return SearchIndex(entities.values(), types_of=lambda iri: _types(store, iri))


def _types(store: QueryStore, iri: str) -> set[str]:
    """rdf:type values of one IRI (asserted and inferred), looked up when needed: reading all
    180 k type triples up front would double the index build time."""
    return {q.object.value for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), None, None)
            if isinstance(q.object, ox.NamedNode)}


def expand_type(curie: str) -> str | None:
    """`hn:Organisation` or a full IRI → IRI; None if it is neither."""
    curie = curie.strip()
    if curie.startswith("<") and curie.endswith(">"):
        return curie[1:-1]
    if curie.startswith(("http://", "https://")):
        return curie
    if ":" in curie:
        prefix, local = curie.split(":", 1)
        if prefix in PREFIXES and re.fullmatch(r"[A-Za-z0-9_.-]+", local):
            return PREFIXES[prefix] + local
    return None


class SearchService:
    """The index of the current store version: rebuilt on first use after every version change
    (a build or a committed write changes the version), under a lock so only one rebuild runs."""

    def __init__(self, get_store: Callable[[], QueryStore], get_version: Callable[[], str]) -> None:
        self._get_store = get_store
        self._get_version = get_version
        self._lock = threading.Lock()
        self._version: str | None = None
        self._index: SearchIndex | None = None

    def index(self) -> SearchIndex:
        version = self._get_version()
        with self._lock:
            if self._index is None or version != self._version:
                self._index = build_index(self._get_store())
                self._version = version
            return self._index

    @property
    def version(self) -> str | None:
        return self._version
