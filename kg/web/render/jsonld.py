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
their datatype when all values of the property share it (`"population": 1234`,
`"areaDate": "2023-12-31"`), else left uncoerced: a property whose values have several datatypes
(`startDate`: `xsd:gYear` for programmes, `xsd:date` and `xsd:gYearMonth` for events) gives every
value as a value object, `{"@value": "2013-07-15", "type": "xsd:date"}`. Why: a coercion can only
name one datatype, so the others had to be written as objects beside plain strings — one key with
two shapes for a plain-JSON reader, and a document not in compacted form (JSON-LD compaction moves
such values to `hn:startDate`). One shape per key, and the datatype says the precision (a year, a
month or a day), which a reader of such dates needs anyway. Value objects use the context's
keyword alias `type`, as compaction writes them.

Every served document is in compacted form with respect to its own context: PyLD's
`compact(expand(doc), context)` gives it back unchanged (tests/web/test_jsonld_pyld.py).
`Framer.expand` gives the same document in expanded form (served for
`Accept: application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`).
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
    elif len(kinds) == 1 and "@id" not in kinds and "@lang" not in kinds:
        # one datatype: coerce to it; several: no coercion (see the module docstring)
        (dt,) = kinds
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
        # the terms JSON-LD 1.1 uses as prefixes of compact IRIs: simple terms whose IRI ends in a gen-delim
        self.prefixes = sorted((key, d) for key, d in ctx.items()
                               if isinstance(d, str) and not d.startswith("@") and d[-1:] in ":/?#[]@")

    def _compact(self, iri: str) -> str:
        """`iri` as JSON-LD 1.1 IRI compaction writes it when no term is chosen (the shortest,
        then least, `prefix:suffix` whose candidate is not itself a term; else the IRI), so that
        ids, types and keys without a term are what a JSON-LD processor's compaction gives."""
        best: str | None = None
        for key, base in self.prefixes:
            if iri == base or not iri.startswith(base):
                continue
            candidate = f"{key}:{iri[len(base):]}"
            if candidate in self.ctx:
                continue
            if best is None or (len(candidate), candidate) < (len(best), best):
                best = candidate
        return best or iri

    def _key(self, p: str) -> str:
        return self.term_of.get(p) or self._compact(p)

    def _datatype(self, dt: str) -> str:
        return self._compact(dt)

    def _literal(self, lit: ox.Literal, d: dict[str, str]) -> Any:
        dt = lit.datatype.value
        if lit.language:
            return {"@value": lit.value, "@language": lit.language}
        if d.get("@type") and _expand(self.ctx, d["@type"]) == dt:
            return lit.value
        if "@type" in d:
            return {"@value": lit.value, "type": self._datatype(dt)}
        if dt == XSD_STRING:
            return lit.value
        if dt == NATIVE_INTEGER and re.fullmatch(r"-?[1-9][0-9]*|0", lit.value):
            return int(lit.value)
        if dt == NATIVE_BOOLEAN and lit.value in ("true", "false"):
            return lit.value == "true"
        # `type`, the context's alias of @type: what JSON-LD compaction writes in value objects
        return {"@value": lit.value, "type": self._datatype(dt)}

    def _id(self, node: ox.NamedNode | ox.BlankNode) -> str:
        return self._compact(node.value) if isinstance(node, ox.NamedNode) else f"_:{node.value}"

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
                    types.append(self.class_term.get(t.object.value) or self._compact(t.object.value))
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
            key = self._key(t.predicate.value)
            linked: Any = node(t.subject, frozenset({root_node, t.subject}), t)
            if set(linked) == {"id"} and self.def_of.get(key, {}).get("@type") == "@id":
                linked = linked["id"]  # a bare reference is a plain string under an @id-typed key
            reverse.setdefault(key, []).append(linked)
        if reverse:
            doc["linkedFrom"] = {k: (v[0] if len(v) == 1 else v) for k, v in reverse.items()}
        leftover = [t for t in index.values() for t in t if t not in emitted]
        if leftover:
            subjects = sorted({t.subject for t in leftover}, key=str)
            included = [node(s, frozenset({s}), None) for s in subjects]
            doc["@included"] = included[0] if len(included) == 1 else included
        return doc

    # --- expanded form ---------------------------------------------------------------------

    def _iri(self, value: str, vocab: bool) -> str:
        """A key, type or id of a framed document as an absolute IRI (JSON-LD IRI expansion
        restricted to what `frame` writes: terms (vocab only), compact IRIs, absolute IRIs)."""
        if vocab:
            d = self.ctx.get(value)
            if isinstance(d, str) and value not in ns.PREFIXES:
                return _expand(self.ctx, d)
            if isinstance(d, dict):
                return _expand(self.ctx, d["@id"])
        return _expand(self.ctx, value)

    def _expand_values(self, key: str, value: Any) -> list[Any]:
        d = self.def_of.get(key, {})
        if d.get("@container") == "@language":
            out: list[Any] = []
            for lang, texts in sorted(value.items()):
                for text in texts if isinstance(texts, list) else [texts]:
                    out.append({"@value": text} if lang == "@none" else {"@value": text, "@language": lang.lower()})
            return out
        coerce = d.get("@type")
        result: list[Any] = []
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, dict) and "@value" in v:
                obj = {"@value": v["@value"]}
                datatype = v.get("type") or v.get("@type")
                if isinstance(datatype, str):
                    obj["@type"] = self._iri(datatype, vocab=True)
                if "@language" in v:
                    obj["@language"] = v["@language"].lower()
                result.append(obj)
            elif isinstance(v, dict):
                result.append(self._expand_node(v))
            elif isinstance(v, str) and coerce == "@id":
                result.append({"@id": self._iri(v, vocab=False)})
            elif coerce and coerce != "@id":
                result.append({"@value": v, "@type": self._iri(coerce, vocab=True)})
            else:
                result.append({"@value": v})
        return result

    def _expand_node(self, obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if key == "@context":
                continue
            if key == "id":
                out["@id"] = self._iri(value, vocab=False)
            elif key == "type":
                out["@type"] = [self._iri(t, vocab=True) for t in (value if isinstance(value, list) else [value])]
            elif key == "linkedFrom":
                out["@reverse"] = {self._iri(k, vocab=True): self._expand_values(k, v) for k, v in value.items()}
            elif key == "@included":
                out["@included"] = [self._expand_node(n) for n in (value if isinstance(value, list) else [value])]
            else:
                out[self._iri(key, vocab=True)] = self._expand_values(key, value)
        return out

    def expand(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """The expanded form of a document written by `frame` (what a JSON-LD processor's
        expansion gives for it, e.g. PyLD's `jsonld.expand`): full IRIs, every value an array of
        value or node objects, no context. Written directly because the framed shape is known,
        so the server needs no JSON-LD processor."""
        return [self._expand_node(doc)]


#: JSON-LD profiles (`Accept: application/ld+json; profile="…"`) the entity documents honour.
PROFILE_EXPANDED = "http://www.w3.org/ns/json-ld#expanded"
PROFILE_COMPACTED = "http://www.w3.org/ns/json-ld#compacted"


def requested_profile(accept: str | None) -> str | None:
    """PROFILE_EXPANDED or PROFILE_COMPACTED when the best-rated `application/ld+json` range of
    `accept` asks for it (a `profile` parameter holds space-separated IRIs), else None.
    Other profiles (flattened, framed) are not offered: the compacted document is served."""
    best: tuple[float, str | None] = (-1.0, None)
    for part in (accept or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        if fields[0].lower() != "application/ld+json":
            continue
        q, wanted = 1.0, None
        for field in fields[1:]:
            name, _, value = field.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif name == "profile":
                profiles = value.split()
                wanted = next((p for p in profiles if p in (PROFILE_EXPANDED, PROFILE_COMPACTED)), None)
        if q > best[0]:
            best = (q, wanted)
    return best[1]
