"""JSON-LD for portals: one published context with plain keys, and descriptions framed as one object.

Why hand-written framing instead of a JSON-LD library's `frame()`: portals read our JSON as
ordinary JSON (`doc["name"]["de"]`, `doc["partOf"]["id"]`), so the shape must be predictable —
the resource at the top, linked resources embedded with their labels, incoming links under
`linkedFrom` (an alias of `@reverse`). Building that shape directly from the description's triples
is a few dozen lines and needs no extra dependency; the output is still real JSON-LD, and the tests
parse it back with rdflib and compare it with the Turtle of the same description.

The context is derived from the store (ontology + data): every `hn:` property and class gets its
local name as key; common external properties get readable names (`rdfs:label` → `name`,
`skos:prefLabel` → `prefLabel`, `dct:title` → `title`, ...). Type coercion follows the data:
links are `@id`, language-tagged properties are language maps, other literals are coerced to
their (most common) datatype or left as native JSON numbers/strings.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from kg import rdf as ns

XSD = ns.XSD
XSD_STRING = ns.XSD_STRING
RDF_TYPE = ns.RDF_TYPE
RDF_LANGSTRING = ns.RDF_LANGSTRING
NATIVE_INTEGER = XSD + "integer"
NATIVE_BOOLEAN = XSD + "boolean"

#: Keyword aliases: plain keys for the JSON-LD keywords a portal meets.
KEYWORD_ALIASES: dict[str, str] = {"id": "@id", "type": "@type", "linkedFrom": "@reverse"}

_P = ns.PREFIXES
#: Readable names for external properties, claimed before generated ones (first wins).
WELL_KNOWN: dict[str, str] = {
    _P["rdfs"] + "label": "name",
    _P["rdfs"] + "comment": "comment",
    _P["rdfs"] + "seeAlso": "seeAlso",
    _P["rdfs"] + "subClassOf": "subClassOf",
    _P["rdfs"] + "subPropertyOf": "subPropertyOf",
    _P["rdfs"] + "domain": "domain",
    _P["rdfs"] + "range": "range",
    _P["skos"] + "prefLabel": "prefLabel",
    _P["skos"] + "altLabel": "altLabel",
    _P["skos"] + "definition": "definition",
    _P["skos"] + "notation": "notation",
    _P["skos"] + "inScheme": "inScheme",
    _P["skos"] + "broader": "broader",
    _P["skos"] + "narrower": "narrower",
    _P["skos"] + "topConceptOf": "topConceptOf",
    _P["skos"] + "hasTopConcept": "hasTopConcept",
    _P["skos"] + "exactMatch": "exactMatch",
    _P["skos"] + "closeMatch": "closeMatch",
    _P["skos"] + "broadMatch": "broadMatch",
    _P["skos"] + "narrowMatch": "narrowMatch",
    _P["skos"] + "related": "related",
    _P["dct"] + "title": "title",
    _P["dct"] + "description": "description",
    _P["dct"] + "publisher": "publisher",
    _P["dct"] + "issued": "issued",
    _P["dct"] + "date": "date",
    _P["dct"] + "subject": "subject",
    _P["dct"] + "license": "license",
    _P["owl"] + "sameAs": "sameAs",
    _P["org"] + "heldBy": "heldBy",
}

_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def local_name(iri: str) -> str:
    """The part after `#` or the last `/`."""
    for sep in ("#", "/"):
        if sep in iri:
            return iri.rsplit(sep, 1)[1]
    return iri


def compact_iri(iri: str) -> str:
    """`prefix:local` with the project prefixes, or the IRI itself."""
    for prefix, base in ns.PREFIXES.items():
        if prefix == "hnid":
            continue
        if iri.startswith(base) and _KEY_RE.match(iri[len(base):] or "-"):
            return f"{prefix}:{iri[len(base):]}"
    return iri


_KIND_QUERY = """
SELECT ?p ?k (COUNT(*) AS ?n) WHERE {
  GRAPH ?g { ?s ?p ?o }
  BIND(IF(isLiteral(?o), IF(LANG(?o) != "", "@lang", STR(DATATYPE(?o))), "@id") AS ?k)
} GROUP BY ?p ?k
"""

_CLASS_QUERY = """
SELECT DISTINCT ?c WHERE {
  { GRAPH ?g { ?c a <http://www.w3.org/2002/07/owl#Class> } } UNION { GRAPH ?g { ?x a ?c } }
  FILTER(isIRI(?c) && STRSTARTS(STR(?c), "%s"))
}
""" % ns.HN


def _term_definition(iri: str, kinds: dict[str, int]) -> dict[str, str]:
    """How values of property `iri` are written, from what the data holds (kind → count)."""
    d: dict[str, str] = {"@id": compact_iri(iri)}
    if set(kinds) == {"@id"}:
        d["@type"] = "@id"
    elif "@lang" in kinds and set(kinds) <= {"@lang", XSD_STRING}:
        # mostly language-tagged: a language map; the few plain strings go under "@none"
        d["@container"] = "@language"
    elif "@id" not in kinds and "@lang" not in kinds and kinds:
        dt = max(sorted(kinds), key=lambda k: kinds[k])
        if dt not in (XSD_STRING, NATIVE_INTEGER, NATIVE_BOOLEAN):
            d["@type"] = compact_iri(dt)
    return d


def build_context(store: ox.Store) -> dict[str, Any]:
    """The `@context` object for the whole store (served at /context.jsonld)."""
    kinds: dict[str, dict[str, int]] = {}
    for row in store.query(_KIND_QUERY):
        p = row["p"].value
        if p == RDF_TYPE:
            continue
        kinds.setdefault(p, {})[row["k"].value] = int(row["n"].value)
    ctx: dict[str, Any] = {}
    for prefix, base in ns.PREFIXES.items():
        if prefix != "hnid":
            ctx[prefix] = base
    ctx.update(KEYWORD_ALIASES)
    taken = set(ctx)

    def claim(key: str, iri: str, definition: dict[str, str] | str) -> None:
        if key in taken or not _KEY_RE.match(key):
            prefix = compact_iri(iri).split(":", 1)[0] if compact_iri(iri) != iri else ""
            key = f"{prefix}_{local_name(iri)}" if prefix else ""
            if not key or key in taken or not _KEY_RE.match(key):
                return
        taken.add(key)
        ctx[key] = definition

    # hn: properties first (they are what the data is about), then the well-known external ones,
    # then anything else the data uses.
    ordered = sorted(kinds, key=lambda p: (not p.startswith(ns.HN), p not in WELL_KNOWN, p))
    for p in ordered:
        key = local_name(p) if p.startswith(ns.HN) else WELL_KNOWN.get(p, local_name(p))
        claim(key, p, _term_definition(p, kinds[p]))
    for row in store.query(_CLASS_QUERY):
        c = row["c"].value
        claim(local_name(c), c, compact_iri(c))
    return ctx


class ContextCache:
    """Builds the context once per store state (the query scans the store once).

    Keyed by the store version when the caller knows it: the fallback key `len(store)` is itself
    a full scan, which every JSON-LD request used to pay. Also keeps the `Framer` of the context
    (its lookup tables are built from the whole context, the same for every request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[tuple[int, object], dict[str, Any], Framer] | None = None

    def _current(self, store: ox.Store, version: str | None) -> tuple[tuple[int, object], dict[str, Any], Framer]:
        key = (id(store), version if version is not None else len(store))
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry
        with self._lock:
            entry = self._entry
            if entry is None or entry[0] != key:
                ctx = build_context(store)
                entry = (key, ctx, Framer(ctx))
                self._entry = entry
            return entry

    def get(self, store: ox.Store, version: str | None = None) -> dict[str, Any]:
        return self._current(store, version)[1]

    def framer(self, store: ox.Store, version: str | None = None) -> Framer:
        """The Framer of the current context (stateless per call of `frame`, so shared)."""
        return self._current(store, version)[2]


def _expand(ctx: dict[str, Any], value: str) -> str:
    if ":" in value and not value.startswith("http"):
        prefix, rest = value.split(":", 1)
        if isinstance(ctx.get(prefix), str):
            return ctx[prefix] + rest
    return value


class Framer:
    """Writes a set of triples as one JSON-LD object rooted at a resource."""

    def __init__(self, ctx: dict[str, Any]) -> None:
        self.ctx = ctx
        self.term_of: dict[str, str] = {}
        self.def_of: dict[str, dict[str, str]] = {}
        self.class_term: dict[str, str] = {}
        for key, d in ctx.items():
            if key in KEYWORD_ALIASES:
                continue
            if isinstance(d, dict):
                iri = _expand(ctx, d["@id"])
                self.term_of.setdefault(iri, key)
                self.def_of[key] = d
            elif isinstance(d, str) and key not in ns.PREFIXES:
                self.class_term.setdefault(_expand(ctx, d), key)

    def _key(self, p: str) -> str:
        return self.term_of.get(p) or compact_iri(p)

    def _datatype(self, dt: str) -> str:
        return compact_iri(dt)

    def _literal(self, lit: ox.Literal, d: dict[str, str]) -> Any:
        dt = lit.datatype.value
        if lit.language:
            return {"@value": lit.value, "@language": lit.language}
        if d.get("@type") and _expand(self.ctx, d["@type"]) == dt:
            return lit.value
        if "@type" in d:
            return {"@value": lit.value, "@type": self._datatype(dt)}
        if dt == XSD_STRING:
            return lit.value
        if dt == NATIVE_INTEGER and re.fullmatch(r"-?[1-9][0-9]*|0", lit.value):
            return int(lit.value)
        if dt == NATIVE_BOOLEAN and lit.value in ("true", "false"):
            return lit.value == "true"
        return {"@value": lit.value, "@type": self._datatype(dt)}

    @staticmethod
    def _id(node: ox.NamedNode | ox.BlankNode) -> str:
        return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"

    def frame(self, triples: Iterable[ox.Triple], root: str, context_ref: Any) -> dict[str, Any]:
        """The JSON-LD document: `root` as one object, everything else nested in it."""
        index: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
        incoming: list[ox.Triple] = []
        root_node = ox.NamedNode(root)
        for t in triples:
            index.setdefault(t.subject, []).append(t)
            if t.object == root_node and t.subject != root_node:
                incoming.append(t)
        emitted: set[ox.Triple] = set()

        def node(s: ox.NamedNode | ox.BlankNode, path: frozenset, skip: ox.Triple | None) -> dict[str, Any]:
            obj: dict[str, Any] = {"id": self._id(s)}
            types: list[str] = []
            props: dict[str, list[ox.Triple]] = {}
            for t in index.get(s, []):
                if t == skip:
                    continue
                emitted.add(t)
                if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
                    types.append(self.class_term.get(t.object.value) or compact_iri(t.object.value))
                else:
                    props.setdefault(t.predicate.value, []).append(t)
            if types:
                types.sort()
                obj["type"] = types[0] if len(types) == 1 else types
            for p in sorted(props, key=self._key):
                key = self._key(p)
                d = self.def_of.get(key, {})
                if d.get("@container") == "@language":
                    lang_map: dict[str, list[str]] = {}
                    for t in props[p]:
                        lit = t.object
                        lang = lit.language if isinstance(lit, ox.Literal) and lit.language else "@none"
                        lang_map.setdefault(lang, []).append(lit.value)
                    obj[key] = {k: (sorted(v)[0] if len(v) == 1 else sorted(v)) for k, v in sorted(lang_map.items())}
                    continue
                values: list[Any] = []
                for t in sorted(props[p], key=lambda t: str(t.object)):
                    o = t.object
                    if isinstance(o, ox.Literal):
                        values.append(self._literal(o, d))
                    elif o in index and o not in path and o != root_node:
                        values.append(node(o, path | {o}, None))
                    elif d.get("@type") == "@id":
                        values.append(self._id(o))
                    else:
                        values.append({"id": self._id(o)})
                obj[key] = values[0] if len(values) == 1 else values
            return obj

        doc: dict[str, Any] = {"@context": context_ref}
        doc.update(node(root_node, frozenset({root_node}), None))
        reverse: dict[str, list[Any]] = {}
        for t in sorted(incoming, key=lambda t: (t.predicate.value, str(t.subject))):
            emitted.add(t)
            reverse.setdefault(self._key(t.predicate.value), []).append(
                node(t.subject, frozenset({root_node, t.subject}), t)
            )
        if reverse:
            doc["linkedFrom"] = {k: (v[0] if len(v) == 1 else v) for k, v in reverse.items()}
        leftover = [t for t in index.values() for t in t if t not in emitted]
        if leftover:
            subjects = sorted({t.subject for t in leftover}, key=str)
            doc["@included"] = [node(s, frozenset({s}), None) for s in subjects]
        return doc
