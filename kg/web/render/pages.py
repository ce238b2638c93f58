"""HTML for people: entity pages, the ontology documentation, small listings.

Why plain functions over `html.escape` instead of a template engine: the pages are simple, and
keeping every interpolation inside one helper (`e()`) makes the escaping rule easy to audit —
nothing from the store reaches the output without it (the data may contain `<script>`).
JSON embedded in `<script type="application/ld+json">` goes through `script_json()`, which also
escapes `<`, `>` and `&`, so a label cannot close the script element.

Links: resources under https://w3id.org/hilfenetz/ are linked by their local path (`/id/...`,
`/ontology#Term`), so the pages work on any host; the RDF keeps the canonical IRIs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from kg import rdf as ns
from kg.i18n import LANGS, Msg
from kg.query.describe import (
    DCT_TITLE,
    HN_EVIDENCE,
    HN_IN_SOURCE,
    HN_STATED_IN,
    LABEL_PROPERTIES,
    RDF_TYPE,
    SCHEMA,
    ConceptNode,
    Description,
    OntologyTerm,
    Vocabulary,
)

CANONICAL_BASE = ns.CANONICAL_BASE

#: Interface texts in both languages.
T: dict[str, Msg] = {
    "types": Msg("Typ", "Type"),
    "names": Msg("Bezeichnungen", "Names"),
    "texts": Msg("Beschreibung", "Description"),
    "relations": Msg("Beziehungen", "Relations"),
    "facts": Msg("Angaben", "Facts"),
    "incoming": Msg("Verweise auf diese Ressource", "Links to this resource"),
    "sources": Msg("Quellen", "Sources"),
    "evidence": Msg("Belege", "Evidence"),
    "graphs": Msg("Benannte Graphen", "Named graphs"),
    "formats": Msg("Formate", "Formats"),
    "of": Msg("von", "of"),
    "shown": Msg("angezeigt", "shown"),
    "next": Msg("weiter", "next"),
    "prev": Msg("zurück", "previous"),
    "supports": Msg("belegt", "supports"),
    "notfound": Msg("Nicht gefunden", "Not found"),
    "notfound_text": Msg(
        "Zu dieser Adresse gibt es im Wissensgraphen keine Ressource.",
        "The knowledge graph has no resource at this address.",
    ),
    "ontology": Msg("Ontologie", "Ontology"),
    "classes": Msg("Klassen", "Classes"),
    "properties": Msg("Eigenschaften", "Properties"),
    "schemes": Msg("Begriffsschemata", "Concept schemes"),
    "definition": Msg("Definition", "Definition"),
    "subof": Msg("Oberklasse / -eigenschaft", "Superclass / superproperty"),
    "domain": Msg("Domäne", "Domain"),
    "range": Msg("Wertebereich", "Range"),
    "alignment": Msg("Abgleich", "Alignment"),
    "concepts": Msg("Begriffe", "Concepts"),
    "turtle": Msg("Die Ontologie als Turtle", "The ontology as Turtle"),
    "participants": Msg("Beteiligte", "Participants"),
    "downloads": Msg("Downloads", "Downloads"),
    "stated_in": Msg("genannt in", "stated in"),
    "inferred": Msg("Abgeleitete Aussagen (Oberbegriffe)", "Inferred statements (super-properties)"),
    "hidden_inferred": Msg("davon abgeleitete Doppelungen ausgeblendet", "inferred duplicates hidden"),
}

NAME_PROPS = {
    ns.PREFIXES["rdfs"] + "label", ns.PREFIXES["skos"] + "prefLabel", ns.PREFIXES["skos"] + "altLabel",
    ns.HN + "abbreviation", ns.HN + "officialName", DCT_TITLE.value, ns.PREFIXES["skos"] + "notation",
}
TEXT_PROPS = {
    ns.PREFIXES["dct"] + "description", ns.HN + "goal", ns.PREFIXES["skos"] + "definition",
    ns.PREFIXES["rdfs"] + "comment", ns.HN + "fundingPurpose", ns.PREFIXES["skos"] + "scopeNote",
}
PROVENANCE_PROPS = {HN_STATED_IN.value, HN_EVIDENCE.value}

_R, _S, _D, _O = ns.PREFIXES["rdfs"], ns.PREFIXES["skos"], ns.PREFIXES["dct"], ns.PREFIXES["owl"]
#: Labels of external properties the ontology does not label itself (de, en).
BUILTIN_LABELS: dict[str, Msg] = {
    _R + "label": Msg("Bezeichnung", "label"),
    _R + "comment": Msg("Kommentar", "comment"),
    _R + "seeAlso": Msg("siehe auch", "see also"),
    _R + "subClassOf": Msg("Unterklasse von", "subclass of"),
    _R + "subPropertyOf": Msg("Untereigenschaft von", "subproperty of"),
    _S + "prefLabel": Msg("Vorzugsbezeichnung", "preferred label"),
    _S + "altLabel": Msg("andere Bezeichnung", "alternative label"),
    _S + "definition": Msg("Definition", "definition"),
    _S + "notation": Msg("Notation", "notation"),
    _S + "inScheme": Msg("im Schema", "in scheme"),
    _S + "broader": Msg("Oberbegriff", "broader"),
    _S + "narrower": Msg("Unterbegriff", "narrower"),
    _S + "topConceptOf": Msg("Spitzenbegriff von", "top concept of"),
    _S + "hasTopConcept": Msg("Spitzenbegriff", "top concept"),
    _S + "exactMatch": Msg("entspricht genau", "exact match"),
    _S + "closeMatch": Msg("entspricht ungefähr", "close match"),
    _D + "title": Msg("Titel", "title"),
    _D + "description": Msg("Beschreibung", "description"),
    _D + "publisher": Msg("Herausgeber", "publisher"),
    _D + "issued": Msg("veröffentlicht", "issued"),
    _D + "source": Msg("Quelle", "source"),
    _D + "license": Msg("Lizenz", "licence"),
    _D + "rights": Msg("Rechte", "rights"),
    _O + "sameAs": Msg("identisch mit", "same as"),
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#fafbfc;
line-height:1.45}
header.top{background:#23395d;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header.top a{color:#fff;text-decoration:none;font-weight:600}
header.top nav{margin-left:auto;display:flex;gap:.8rem}
main{max-width:70rem;margin:0 auto;padding:1rem 1.2rem 3rem}
h1{margin:.4rem 0 .2rem;font-size:1.7rem}
h2{margin-top:1.8rem;border-bottom:1px solid #d5dae3;padding-bottom:.2rem;font-size:1.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
.iri{font-family:ui-monospace,monospace;font-size:.85rem;color:#555;word-break:break-all}
.alt{color:#555}
.types a,.chip{display:inline-block;background:#e7edf7;border-radius:.8rem;padding:.05rem .6rem;
margin:.1rem .2rem .1rem 0;font-size:.85rem;text-decoration:none;color:#23395d}
table.props{border-collapse:collapse;width:100%}
table.props th{text-align:left;vertical-align:top;width:16rem;padding:.3rem .6rem .3rem 0;font-weight:600;color:#333}
table.props td{padding:.3rem 0;vertical-align:top} table.props tr{border-bottom:1px solid #eceff4}
ul.values{list-style:none;margin:0;padding:0}
.lang{font-size:.7rem;color:#777;margin-left:.3rem} .dt{font-size:.7rem;color:#777;margin-left:.3rem}
blockquote{margin:.2rem 0 .2rem 0;padding:.2rem .6rem;border-left:3px solid #8aa1c8;background:#f1f4f9}
.muted{color:#666;font-size:.9rem} .formats a{margin-right:.6rem}
ul.tree{list-style:none;padding-left:1.1rem;border-left:1px dotted #aab} ul.tree.root{border-left:none;padding-left:0}
details>summary{cursor:pointer} .term{border-top:1px solid #d5dae3;padding:.6rem 0} .term h3{margin:.2rem 0}
.switch a{color:#fff;margin-left:.4rem} .switch a.on{text-decoration:underline}
.types a.inferred{opacity:.65;font-style:italic}
"""


def e(value: object) -> str:
    """Escape any value for HTML text or attribute context."""
    return escape(str(value), quote=True)


def script_json(data: Any, indent: int | None = 1) -> str:
    """JSON safe inside a <script> element (no `</script>`, no `<!--`): the one helper for every
    page that embeds JSON (entity pages' JSON-LD, the query UI's prefixes)."""
    return (
        json.dumps(data, ensure_ascii=False, indent=indent)
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
    )


def t(key: str, lang: str) -> str:
    return T[key].text(lang)


def local_href(iri: str, root: str = "") -> str:
    """Where a browser should go for `iri`: the local path for our own IRIs, the IRI otherwise."""
    if iri.startswith(CANONICAL_BASE + "/"):
        return root + iri[len(CANONICAL_BASE):]
    return iri


@dataclass
class PageContext:
    """What every page needs besides its data: language, link root and label lookup."""

    lang: str
    root: str  # path prefix the app is mounted at ("" normally)
    vocab: Vocabulary
    path: str  # the page's own path (for language-switch links)
    query: dict[str, str]

    def href(self, iri: str) -> str:
        return local_href(iri, self.root)

    def switch_url(self, lang: str) -> str:
        q = dict(self.query)
        q["lang"] = lang
        return f"{self.path}?{urlencode(q)}"


def layout(ctx: PageContext, title: str, body: str, *, head: str = "", status_lang_switch: bool = True) -> str:
    """The page frame: header with navigation and the language switch."""
    switch = " ".join(
        f'<a href="{e(ctx.switch_url(lang))}" class="{"on" if lang == ctx.lang else ""}" hreflang="{lang}" '
        f'lang="{lang}" id="lang-{lang}">{lang.upper()}</a>'
        for lang in LANGS
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{e(ctx.lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)} – hilfenetz</title><link rel="icon" href="data:,"><style>{STYLE}</style>{head}</head><body>'
        f'<header class="top"><a href="{e(ctx.root)}/">hilfenetz</a>'
        f'<nav><a href="{e(ctx.root)}/ontology">{e(t("ontology", ctx.lang))}</a>'
        f'<a href="{e(ctx.root)}/dataset">DCAT</a>'
        f'<a href="{e(ctx.root)}/downloads">{e(t("downloads", ctx.lang))}</a>'
        f'<span class="switch">{switch}</span></nav></header>'
        f"<main>{body}</main></body></html>"
    )


# --- labels ---


class Labels:
    """Labels of the resources in a description, by language, with the vocabulary as fallback."""

    def __init__(self, triples: Iterable[ox.Triple], vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.by_iri: dict[str, dict[str, str]] = {}
        label_iris = {p.value for p in LABEL_PROPERTIES}
        # rdfs:label wins over skos:prefLabel wins over dct:title (order of LABEL_PROPERTIES).
        rank = {p.value: i for i, p in enumerate(LABEL_PROPERTIES)}
        best: dict[tuple[str, str], int] = {}
        for tr in triples:
            if tr.predicate.value in label_iris and isinstance(tr.object, ox.Literal):
                key = (tr.subject.value, tr.object.language or "")
                r = rank[tr.predicate.value]
                if (key not in best or r < best[key]
                        or (r == best[key] and tr.object.value < self.by_iri[key[0]][key[1]])):
                    best[key] = r
                    self.by_iri.setdefault(key[0], {})[key[1]] = tr.object.value

    def get(self, iri: str, lang: str) -> str | None:
        by_lang = self.by_iri.get(iri)
        if by_lang:
            for candidate in (lang, "de", "en", ""):
                if candidate in by_lang:
                    return by_lang[candidate]
            return next(iter(by_lang.values()))
        found = self.vocab.label(iri, lang)
        if found is None and iri in BUILTIN_LABELS:
            return BUILTIN_LABELS[iri].text(lang)
        return found

    def name(self, iri: str, lang: str) -> str:
        """A label, or a readable tail of the IRI."""
        return self.get(iri, lang) or _tail(iri)


def _tail(iri: str) -> str:
    if iri.startswith(ns.HNID):
        return iri[len(ns.HNID):]
    for prefix, base in ns.PREFIXES.items():
        if iri.startswith(base) and prefix != "hnid":
            return f"{prefix}:{iri[len(base):]}"
    return iri


def link(ctx: PageContext, labels: Labels, iri: str) -> str:
    return f'<a href="{e(ctx.href(iri))}">{e(labels.name(iri, ctx.lang))}</a>'


def literal_html(lit: ox.Literal) -> str:
    out = e(lit.value)
    if lit.language:
        out += f'<span class="lang">{e(lit.language)}</span>'
    elif lit.datatype.value != ns.PREFIXES["xsd"] + "string":
        out += f'<span class="dt">{e(_tail(lit.datatype.value))}</span>'
    return out


def value_html(ctx: PageContext, labels: Labels, term: Any) -> str:
    if isinstance(term, ox.Literal):
        return literal_html(term)
    if isinstance(term, ox.NamedNode):
        return link(ctx, labels, term.value)
    return f"<span class=\"muted\">[{e(term.value)}]</span>"


def _lang_sorted(values: list[Any], lang: str) -> list[Any]:
    """Values in the page language first, then German, then the rest."""

    def key(v: Any) -> tuple[int, str]:
        if isinstance(v, ox.Literal) and v.language:
            return (0 if v.language == lang else 1 if v.language == "de" else 2, v.value)
        return (1, str(v))

    return sorted(values, key=key)


def property_table(ctx: PageContext, labels: Labels, props: dict[str, list[Any]]) -> str:
    if not props:
        return ""
    rows = []
    for p in sorted(props, key=lambda p: labels.name(p, ctx.lang).lower()):
        vals = "".join(f"<li>{value_html(ctx, labels, v)}</li>" for v in _lang_sorted(props[p], ctx.lang))
        rows.append(
            f'<tr><th><a href="{e(ctx.href(p))}" title="{e(p)}">{e(labels.name(p, ctx.lang))}</a></th>'
            f'<td><ul class="values">{vals}</ul></td></tr>'
        )
    return f'<table class="props">{"".join(rows)}</table>'


# --- entity page ---


def schema_org(d: Description, vocab: Vocabulary, lang: str) -> dict[str, Any]:
    """A small schema.org description for search engines (types via the alignment)."""
    types: set[str] = set()
    out: dict[str, Any] = {"@context": "https://schema.org", "@id": d.iri, "url": d.iri}
    names: list[str] = []
    alt: list[str] = []
    descr: list[str] = []
    same: list[str] = []
    for q in d.own:
        p, o = q.predicate.value, q.object
        if p == RDF_TYPE.value and isinstance(o, ox.NamedNode):
            if o.value.startswith(SCHEMA):
                types.add(o.value[len(SCHEMA):])
            for m in vocab.schema.get(o.value, []):
                types.add(m[len(SCHEMA):])
        elif isinstance(o, ox.Literal):
            if p in (ns.PREFIXES["rdfs"] + "label", ns.PREFIXES["skos"] + "prefLabel", DCT_TITLE.value):
                (names if (o.language or "de") == lang else alt).append(o.value)
            elif p in (ns.PREFIXES["dct"] + "description", ns.HN + "goal") and (o.language or lang) == lang:
                descr.append(o.value)
        elif isinstance(o, ox.NamedNode) and p in (ns.PREFIXES["skos"] + "exactMatch", ns.PREFIXES["owl"] + "sameAs"):
            same.append(o.value)
        elif isinstance(o, ox.NamedNode) and p == ns.HN + "partOf":
            out["containedInPlace"] = {"@id": o.value}
    out["@type"] = sorted(types) if types else "Thing"
    if names or alt:
        out["name"] = sorted(names)[0] if names else sorted(alt)[0]
    others = sorted(set(names[1:] + alt) - {out.get("name")})
    if others:
        out["alternateName"] = others
    if descr:
        out["description"] = sorted(descr)[0]
    if same:
        out["sameAs"] = sorted(same)
    return out


INFERRED = ox.NamedNode(ns.GRAPH_INFERRED)


def _redundant_inferred(quads: list[ox.Quad], key: Callable[[ox.Triple], Any]) -> set[ox.Triple]:
    """Triples stated only in the inferred graph whose other end is already linked by an asserted
    triple (e.g. `dct:spatial` next to `hn:areaServed`): shown apart, so the page is not doubled."""
    asserted = {q.triple for q in quads if q.graph_name != INFERRED}
    asserted_ends = {key(t) for t in asserted}
    return {q.triple for q in quads if q.triple not in asserted and key(q.triple) in asserted_ends}


def _group(d: Description) -> tuple[list[str], dict[str, dict[str, list[Any]]]]:
    """The resource's own statements: types, and the rest grouped into names/texts/relations/facts;
    inferred statements that repeat an asserted one under a super-property go to "inferred"."""
    types: list[str] = []
    groups: dict[str, dict[str, list[Any]]] = {"names": {}, "texts": {}, "relations": {}, "facts": {}, "inferred": {}}
    redundant = _redundant_inferred(d.own, lambda t: t.object)
    seen: set[ox.Triple] = set()
    for q in d.own:
        tr = q.triple
        if tr in seen:
            continue
        seen.add(tr)
        p, o = tr.predicate.value, tr.object
        if p == RDF_TYPE.value:
            if isinstance(o, ox.NamedNode) and o.value not in types:
                types.append(o.value)
            continue
        if p in PROVENANCE_PROPS:
            continue
        if tr in redundant:
            g = "inferred"
        elif p in NAME_PROPS:
            g = "names"
        elif p in TEXT_PROPS:
            g = "texts"
        elif isinstance(o, ox.Literal):
            g = "facts"
        else:
            g = "relations"
        groups[g].setdefault(p, []).append(o)
    return types, groups


def _asserted_types(d: Description) -> set[str]:
    return {
        q.object.value
        for q in d.own
        if q.predicate == RDF_TYPE
        and q.graph_name != ox.NamedNode(ns.GRAPH_INFERRED)
        and isinstance(q.object, ox.NamedNode)
    }


def _index(triples: Iterable[ox.Triple]) -> dict[Any, dict[str, list[Any]]]:
    idx: dict[Any, dict[str, list[Any]]] = {}
    for tr in triples:
        idx.setdefault(tr.subject, {}).setdefault(tr.predicate.value, []).append(tr.object)
    return idx


def incoming_section(ctx: PageContext, labels: Labels, d: Description, idx: dict[Any, dict[str, list[Any]]],
                     page: int, page_size: int) -> str:
    if not d.incoming_total:
        return ""
    by_prop: dict[str, list[Any]] = {}
    seen: set[ox.Triple] = set()
    redundant = _redundant_inferred(d.incoming, lambda t: t.subject)
    hidden = 0
    for q in d.incoming:
        if q.triple in seen:
            continue
        seen.add(q.triple)
        if q.triple in redundant:
            hidden += 1
            continue
        by_prop.setdefault(q.predicate.value, []).append(q.subject)
    asserted_dep = {q.triple for q in d.dependents if q.graph_name != INFERRED}
    inferred_only = {q.triple for q in d.dependents if q.graph_name == INFERRED} - asserted_dep
    parts = []
    for p in sorted(by_prop, key=lambda p: labels.name(p, ctx.lang).lower()):
        items = []
        for s in sorted(by_prop[p], key=lambda s: labels.name(s.value, ctx.lang).lower()):
            items.append(f"<li>{_incoming_item(ctx, labels, s, idx, d.iri, inferred_only)}</li>")
        parts.append(
            f"<h3>{e(labels.name(p, ctx.lang))} <span class=\"muted\">({len(items)})</span></h3>"
            f"<ul>{''.join(items)}</ul>"
        )
    shown = len(seen)
    first = d.incoming_offset + 1
    last = d.incoming_offset + shown
    nav = []
    if page > 1:
        nav.append(f'<a href="{e(_page_url(ctx, page - 1))}" rel="prev">← {e(t("prev", ctx.lang))}</a>')
    if last < d.incoming_total:
        nav.append(f'<a href="{e(_page_url(ctx, page + 1))}" rel="next">{e(t("next", ctx.lang))} →</a>')
    summary = (
        f'<p class="muted" id="incoming-count" data-total="{d.incoming_total}">'
        f"{first}–{last} {e(t('of', ctx.lang))} {d.incoming_total} {e(t('shown', ctx.lang))}"
        + (f" ({hidden} {e(t('hidden_inferred', ctx.lang))})" if hidden else "")
        + f" {' '.join(nav)}</p>"
    )
    return (
        f'<section id="incoming"><h2>{e(t("incoming", ctx.lang))} ({d.incoming_total})</h2>'
        f'{summary}{"".join(parts)}</section>'
    )


def _page_url(ctx: PageContext, page: int) -> str:
    q = dict(ctx.query)
    q["page"] = str(page)
    return f"{ctx.path}?{urlencode(q)}#incoming"


def _incoming_item(ctx: PageContext, labels: Labels, s: Any, idx: dict[Any, dict[str, list[Any]]], root: str,
                   skip: set[ox.Triple]) -> str:
    """An incoming node; dependent nodes (participations, figures) show what they say."""
    if not isinstance(s, ox.NamedNode):
        return e(s.value)
    html = link(ctx, labels, s.value)
    details = []
    for p, values in sorted(idx.get(s, {}).items()):
        if p in (RDF_TYPE.value, HN_STATED_IN.value, HN_EVIDENCE.value) or p in NAME_PROPS:
            continue
        vals = [v for v in values if v != ox.NamedNode(root) and ox.Triple(s, ox.NamedNode(p), v) not in skip]
        if not vals:
            continue
        details.append(
            f"{e(labels.name(p, ctx.lang))}: "
            + ", ".join(value_html(ctx, labels, v) for v in _lang_sorted(vals, ctx.lang))
        )
    if details:
        html += ' <span class="muted">(' + "; ".join(details) + ")</span>"
    return html


def sources_section(ctx: PageContext, labels: Labels, d: Description, idx: dict[Any, dict[str, list[Any]]]) -> str:
    """Source documents stating the resource, with the evidence phrases taken from them."""
    node = d.node
    sources = sorted({o.value for o in idx.get(node, {}).get(HN_STATED_IN.value, []) if isinstance(o, ox.NamedNode)})
    evidence: dict[str, list[tuple[str, str | None]]] = {}
    for ev in idx.get(node, {}).get(HN_EVIDENCE.value, []):
        props = idx.get(ev, {})
        for src in props.get(HN_IN_SOURCE.value, []):
            for quote in props.get(ns.HN + "quote", []):
                sup = props.get(ns.HN + "supports", [])
                evidence.setdefault(src.value, []).append((quote.value, sup[0].value if sup else None))
    all_sources = sorted(set(sources) | set(evidence))
    if not all_sources and not d.graphs():
        return ""
    items = []
    for src in all_sources:
        props = idx.get(ox.NamedNode(src), {})
        extra = []
        for p in (ns.HN + "fileName", ns.PREFIXES["dct"] + "publisher", ns.PREFIXES["dct"] + "issued"):
            for v in props.get(p, []):
                extra.append(value_html(ctx, labels, v))
        quotes = "".join(
            f"<blockquote>„{e(q)}“"
            + (
                f' <span class="muted">— {e(t("supports", ctx.lang))}: '
                f'<a href="{e(ctx.href(sup))}">{e(labels.name(sup, ctx.lang))}</a></span>'
                if sup else ""
            )
            + "</blockquote>"
            for q, sup in sorted(evidence.get(src, []))
        )
        licence = "".join(
            f' <span class="muted">· {e(labels.name(_D + "license", ctx.lang))}: '
            f'<a href="{e(v.value)}">{e(v.value)}</a></span>'
            for v in props.get(_D + "license", []) if isinstance(v, ox.NamedNode)
        )
        attribution = "".join(
            f'<div class="muted attribution">{e(v.value)}</div>'
            for v in props.get("http://creativecommons.org/ns#attributionText", []) if isinstance(v, ox.Literal)
        )
        items.append(
            f'<li class="source">{link(ctx, labels, src)}'
            + (f' <span class="muted">({", ".join(extra)})</span>' if extra else "")
            + licence
            + attribution
            + quotes
            + "</li>"
        )
    graphs = "".join(f'<li class="iri">{e(g)}</li>' for g in d.graphs())
    return (
        f'<section id="sources"><h2>{e(t("sources", ctx.lang))}</h2><ul>{"".join(items)}</ul>'
        f'<h3>{e(t("graphs", ctx.lang))}</h3><ul>{graphs}</ul></section>'
    )


def tree_html(ctx: PageContext, nodes: list[ConceptNode], root: bool = True, path: frozenset[str] = frozenset()) -> str:
    """A concept forest as nested lists (cycles along skos:broader are cut)."""
    if not nodes:
        return ""
    items = []
    for n in nodes:
        if n.iri in path:
            continue
        label = n.labels.get(ctx.lang) or n.labels.get("de") or n.labels.get("en") or _tail(n.iri)
        notation = f' <span class="muted">{e(n.notation)}</span>' if n.notation else ""
        items.append(
            f'<li><a href="{e(ctx.href(n.iri))}">{e(label)}</a>{notation}'
            + tree_html(ctx, n.children, False, path | {n.iri})
            + "</li>"
        )
    return f'<ul class="tree{" root" if root else ""}">{"".join(items)}</ul>'


def entity_page(
    ctx: PageContext,
    d: Description,
    *,
    alternates: list[tuple[str, str, str]],
    page: int,
    page_size: int,
    tree: list[ConceptNode] | None = None,
) -> str:
    """The HTML page of one resource. `alternates`: (href, media type, label) of the RDF formats."""
    triples = d.triples()
    labels = Labels(triples, ctx.vocab)
    idx = _index(triples)
    types, groups = _group(d)
    asserted = _asserted_types(d)
    title = labels.get(d.iri, ctx.lang) or _fallback_title(ctx, labels, d, types, asserted, groups)
    other = [
        lbl for lang, lbl in sorted(labels.by_iri.get(d.iri, {}).items()) if lbl != title
    ]
    inferred_cls = ' class="inferred"'
    type_links = "".join(
        f'<a href="{e(ctx.href(ty))}" title="{e(ty)}"{"" if ty in asserted else inferred_cls}>'
        f'{e(labels.name(ty, ctx.lang))}</a>'
        for ty in sorted(types, key=lambda ty: (ty not in asserted, labels.name(ty, ctx.lang).lower()))
    )
    formats = " ".join(f'<a href="{e(href)}" type="{e(mt)}">{e(name)}</a>' for href, mt, name in alternates)
    body = [
        f'<h1 id="title">{e(title)}</h1>',
        "".join(f'<div class="alt">{e(o)}</div>' for o in other),
        f'<div class="iri" id="iri">{e(d.iri)}</div>',
        f'<div class="types"><span class="muted">{e(t("types", ctx.lang))}:</span> {type_links}</div>',
        f'<p class="formats muted">{e(t("formats", ctx.lang))}: {formats}</p>',
    ]
    for g in ("names", "texts", "relations", "facts"):
        if groups[g]:
            body.append(
                f'<section id="{g}"><h2>{e(t(g, ctx.lang))}</h2>{property_table(ctx, labels, groups[g])}</section>'
            )
    if groups["inferred"]:
        body.append(
            f'<section id="inferred"><details><summary>{e(t("inferred", ctx.lang))}</summary>'
            f'{property_table(ctx, labels, groups["inferred"])}</details></section>'
        )
    if tree is not None:
        body.append(f'<section id="tree"><h2>{e(t("concepts", ctx.lang))}</h2>{tree_html(ctx, tree)}</section>')
    body.append(incoming_section(ctx, labels, d, idx, page, page_size))
    body.append(sources_section(ctx, labels, d, idx))
    body.append(changes_link(ctx, d.iri))
    head = (
        f'<script type="application/ld+json">{script_json(schema_org(d, ctx.vocab, ctx.lang))}</script>'
        f'<link rel="canonical" href="{e(d.iri)}">'
        + "".join(f'<link rel="alternate" type="{e(mt)}" href="{e(href)}">' for href, mt, _ in alternates)
    )
    return layout(ctx, title, "".join(body), head=head)


def changes_link(ctx: PageContext, iri: str) -> str:
    """The link to the recorded changes of this resource (kg.graph.changes; /changes?resource=)."""
    href = f"{ctx.root}/changes?{urlencode({'resource': iri})}"
    text = "Änderungen an diesem Eintrag" if ctx.lang == "de" else "Changes to this entry"
    return f'<p class="muted" id="changes-link"><a href="{e(href)}">{e(text)}</a></p>'


def _fallback_title(ctx: PageContext, labels: Labels, d: Description, types: list[str], asserted: set[str],
                    groups: dict[str, dict[str, list[Any]]]) -> str:
    """A title for unlabelled nodes (participations, figures): type and what they link, e.g.
    "Beteiligung: Gladbeck – Kommunale Präventionsketten"."""
    main = sorted(asserted or types, key=lambda ty: labels.name(ty, ctx.lang))
    head = labels.name(main[0], ctx.lang) if main else _tail(d.iri)
    linked = [
        labels.get(o.value, ctx.lang)
        for p in sorted(groups["relations"])
        for o in groups["relations"][p]
        if isinstance(o, ox.NamedNode) and o.value.startswith(ns.HNID)
    ]
    named = [x for x in linked if x][:2]
    return f"{head}: {' – '.join(named)}" if named else f"{head} ({_tail(d.iri)})"


def not_found_page(ctx: PageContext, iri: str) -> str:
    body = (
        f'<h1 id="title">{e(t("notfound", ctx.lang))}</h1><p>{e(t("notfound_text", ctx.lang))}</p>'
        f'<p class="iri">{e(iri)}</p>'
    )
    return layout(ctx, t("notfound", ctx.lang), body)


# --- ontology documentation ---


def _pick(by_lang: dict[str, str], lang: str) -> str:
    for candidate in (lang, "de", "en", ""):
        if candidate in by_lang:
            return by_lang[candidate]
    return next(iter(by_lang.values()), "")


def _term_ref(ctx: PageContext, iri: str) -> str:
    builtin = BUILTIN_LABELS[iri].text(ctx.lang) if iri in BUILTIN_LABELS else None
    label = ctx.vocab.label(iri, ctx.lang) or builtin or _tail(iri)
    return f'<a href="{e(local_href(iri, ctx.root))}" title="{e(iri)}">{e(label)}</a>'


def ontology_page(
    ctx: PageContext,
    header: list[ox.Quad],
    terms: list[OntologyTerm],
    schemes: list[tuple[str, dict[str, str], dict[str, str], list[ConceptNode]]],
) -> str:
    """One page documenting every class, property and concept scheme, in both languages."""
    head_lit: dict[str, dict[str, str]] = {}
    for q in header:
        if isinstance(q.object, ox.Literal):
            head_lit.setdefault(q.predicate.value, {}).setdefault(q.object.language or "", q.object.value)
    title = _pick(head_lit.get(DCT_TITLE.value, {}), ctx.lang) or _pick(
        head_lit.get(ns.PREFIXES["rdfs"] + "label", {}), ctx.lang) or "hilfenetz ontology"
    version = _pick(head_lit.get(ns.PREFIXES["owl"] + "versionInfo", {}), ctx.lang)
    descr = _pick(head_lit.get(ns.PREFIXES["dct"] + "description", {}), ctx.lang)
    classes = [x for x in terms if x.kind == "class"]
    props = [x for x in terms if x.kind == "property"]
    toc = (
        f'<p><a href="{e(ctx.root)}/ontology.ttl" id="turtle-link" type="text/turtle">'
        f'{e(t("turtle", ctx.lang))}</a></p>'
        f'<nav class="toc"><h2>{e(t("classes", ctx.lang))} ({len(classes)})</h2><p>'
        + " ".join(
            f'<a class="chip" href="#{e(c.local)}">{e(_pick(c.labels, ctx.lang) or c.local)}</a>' for c in classes
        )
        + f'</p><h2>{e(t("properties", ctx.lang))} ({len(props)})</h2><p>'
        + " ".join(f'<a class="chip" href="#{e(p.local)}">{e(p.local)}</a>' for p in props)
        + f'</p><h2>{e(t("schemes", ctx.lang))} ({len(schemes)})</h2><p>'
        + " ".join(
            f'<a class="chip" href="#scheme-{e(_tail(s[0]).rsplit("/", 1)[-1])}">{e(_pick(s[1], ctx.lang))}</a>'
            for s in schemes
        )
        + "</p></nav>"
    )
    sections = [_term_html(ctx, x) for x in terms]
    scheme_html = []
    for iri, labels, defs, tree in schemes:
        anchor = "scheme-" + _tail(iri).rsplit("/", 1)[-1]
        scheme_html.append(
            f'<div class="term scheme" id="{e(anchor)}">'
            f'<h3><a href="{e(local_href(iri, ctx.root))}">{e(_pick(labels, ctx.lang))}</a></h3>'
            f'<div class="iri">{e(iri)}</div>'
            + "".join(
                f'<p lang="{e(lg)}">{e(txt)} <span class="lang">{e(lg)}</span></p>' for lg, txt in sorted(defs.items())
            )
            + f"<details open><summary>{e(t('concepts', ctx.lang))}</summary>{tree_html(ctx, tree)}</details></div>"
        )
    body = (
        f'<h1 id="title">{e(title)}</h1><div class="iri">{e(ns.ONTOLOGY_IRI)}</div>'
        + (f"<p class=\"muted\">Version {e(version)}</p>" if version else "")
        + (f"<p>{e(descr)}</p>" if descr else "")
        + toc
        + f'<section id="classes-and-properties"><h2>{e(t("classes", ctx.lang))} / {e(t("properties", ctx.lang))}</h2>'
        f'{"".join(sections)}</section>'
        + f'<section id="schemes"><h2>{e(t("schemes", ctx.lang))}</h2>{"".join(scheme_html)}</section>'
    )
    return layout(ctx, t("ontology", ctx.lang), body)


def _term_html(ctx: PageContext, x: OntologyTerm) -> str:
    rows = []
    for lg in LANGS:
        label = x.labels.get(lg)
        definition = x.definitions.get(lg)
        if label or definition:
            rows.append(
                f'<tr lang="{lg}"><th>{e(label or "")} <span class="lang">{lg}</span></th><td>{e(definition or "")}'
                + (f'<div class="muted">{e(x.comments[lg])}</div>' if lg in x.comments else "")
                + "</td></tr>"
            )

    def refs(key: str, iris: list[str]) -> None:
        if iris:
            rows.append(f"<tr><th>{e(t(key, ctx.lang))}</th><td>{', '.join(_term_ref(ctx, i) for i in iris)}</td></tr>")

    refs("subof", x.parents)
    refs("domain", x.domain)
    refs("range", x.range)
    if x.alignments:
        rows.append(
            f"<tr><th>{e(t('alignment', ctx.lang))}</th><td><ul class=\"values\">"
            + "".join(
                f'<li>{e(_tail(rel))} <a href="{e(target)}">{e(_tail(target))}</a></li>' for rel, target in x.alignments
            )
            + "</ul></td></tr>"
        )
    kind = ", ".join(_tail(o) for o in x.owl_types)
    return (
        f'<div class="term {e(x.kind)}" id="{e(x.local)}"><h3>{e(x.local)} <span class="muted">({e(kind)})</span></h3>'
        f'<div class="iri">{e(x.iri)}</div><table class="props">{"".join(rows)}</table></div>'
    )


def listing_page(ctx: PageContext, title: str, intro: str, rows: list[tuple[str, str, str]]) -> str:
    """A simple table page (downloads): (href, name, detail)."""
    body = (
        f'<h1 id="title">{e(title)}</h1><p>{e(intro)}</p><table class="props">'
        + "".join(f'<tr><th><a href="{e(h)}">{e(n)}</a></th><td class="iri">{e(dtl)}</td></tr>' for h, n, dtl in rows)
        + "</table>"
    )
    return layout(ctx, title, body)


def source_page(ctx: PageContext, title: str, iri: str, text: str, alternates: list[tuple[str, str, str]]) -> str:
    """An RDF document for people: its Turtle in a <pre>, with links to the other formats."""
    formats = " ".join(f'<a href="{e(href)}" type="{e(mt)}">{e(name)}</a>' for href, mt, name in alternates)
    body = (
        f'<h1 id="title">{e(title)}</h1><div class="iri">{e(iri)}</div>'
        f'<p class="formats muted">{e(t("formats", ctx.lang))}: {formats}</p>'
        f'<pre id="source" style="white-space:pre-wrap;font-size:.8rem">{e(text)}</pre>'
    )
    return layout(ctx, title, body)
