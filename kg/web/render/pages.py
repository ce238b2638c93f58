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
import re
from collections import Counter
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
    "hidden_inferred": Msg("abgeleitete Doppelungen ausgeblendet", "inferred duplicates hidden"),
    "who": Msg("Wer", "Who"),
    "where": Msg("Wo", "Where"),
    "when": Msg("Wann", "When"),
    "other": Msg("Weitere Beziehungen", "Other relations"),
    "source_links": Msg("Herkunft", "Origin"),
    "search": Msg("Suche", "Search"),
    "search_label": Msg("Im hilfenetz suchen", "Search hilfenetz"),
    "query": Msg("Abfrage", "Query"),
    "skip": Msg("Zum Inhalt springen", "Skip to content"),
    "yes": Msg("ja", "yes"),
    "no": Msg("nein", "no"),
}

#: Month names for dates written for people (15. Juli 2013 / 15 July 2013).
MONTHS: dict[str, tuple[str, ...]] = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

NAME_PROPS = {
    ns.HN_DISPLAY_LABEL, ns.PREFIXES["rdfs"] + "label", ns.PREFIXES["skos"] + "prefLabel",
    ns.PREFIXES["skos"] + "altLabel",
    ns.HN + "abbreviation", ns.HN + "officialName", DCT_TITLE.value, ns.PREFIXES["skos"] + "notation",
}
TEXT_PROPS = {
    ns.PREFIXES["dct"] + "description", ns.HN + "goal", ns.PREFIXES["skos"] + "definition",
    ns.PREFIXES["rdfs"] + "comment", ns.HN + "fundingPurpose", ns.PREFIXES["skos"] + "scopeNote",
}
PROVENANCE_PROPS = {HN_STATED_IN.value, HN_EVIDENCE.value}
#: Links to where a statement comes from: shown under "Origin" beside the source documents.
SOURCE_LINK_PROPS = {ns.PREFIXES["dct"] + "source", ns.PROV_WAS_DERIVED_FROM, ns.HN + "inSource",
                     ns.PREFIXES["prov"] + "wasAttributedTo"}
#: Properties whose values say when, whatever their datatype.
WHEN_PROPS = {ns.HN + "startDate", ns.HN + "endDate", ns.PREFIXES["dct"] + "issued", ns.PREFIXES["dct"] + "modified",
              ns.PREFIXES["dct"] + "created", ns.HN + "populationDate", ns.HN + "areaDate"}
_X = ns.XSD
DATE_TYPES = {_X + "date", _X + "gYear", _X + "gYearMonth", _X + "dateTime", _X + "dateTimeStamp"}
#: Classes whose members answer "who" / "where" (a linked resource of such a class, or a property
#: whose rdfs:range is one, puts a row in that group).
WHO_CLASSES = {ns.HN + "Agent", ns.HN + "Organisation", ns.HN + "Person", ns.PREFIXES["foaf"] + "Agent",
               ns.PREFIXES["prov"] + "Agent", ns.PREFIXES["org"] + "Organization"}
WHERE_PROPS = {ns.HN + x for x in ("partOf", "location", "areaServed", "jurisdiction", "covers",
                                   "coversGovernmentRegion", "memberOfAssociation", "responsibleFor")} | {
    ns.PREFIXES["dct"] + "spatial", ns.SCHEMA + "containedInPlace", ns.SCHEMA + "location"}
WHERE_CLASSES = {ns.HN + "AdministrativeArea", ns.PREFIXES["dct"] + "Location", ns.HN + "Place",
                 ns.SCHEMA + "Place", ns.HN + "Region"}

_R, _S, _D, _O = ns.PREFIXES["rdfs"], ns.PREFIXES["skos"], ns.PREFIXES["dct"], ns.PREFIXES["owl"]
_P, _SC, _CV, _OR = ns.PREFIXES["prov"], ns.SCHEMA, ns.PREFIXES["cv"], ns.PREFIXES["org"]
_FO, _SH = ns.PREFIXES["foaf"], ns.PREFIXES["sh"]
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
    _D + "spatial": Msg("räumlicher Bezug", "spatial coverage"),
    _D + "subject": Msg("Thema", "subject"),
    _D + "relation": Msg("bezieht sich auf", "relation"),
    _D + "replaces": Msg("ersetzt", "replaces"),
    _D + "modified": Msg("geändert", "modified"),
    _D + "created": Msg("erstellt", "created"),
    _D + "identifier": Msg("Kennung", "identifier"),
    _D + "isPartOf": Msg("ist Teil von", "is part of"),
    _D + "hasPart": Msg("hat Teil", "has part"),
    _D + "temporal": Msg("zeitlicher Bezug", "temporal coverage"),
    _D + "creator": Msg("Urheber", "creator"),
    _D + "language": Msg("Sprache", "language"),
    _D + "conformsTo": Msg("entspricht Standard", "conforms to"),
    _D + "type": Msg("Art", "type"),
    _D + "format": Msg("Format", "format"),
    _R + "isDefinedBy": Msg("definiert in", "defined by"),
    _R + "domain": Msg("Domäne", "domain"),
    _R + "range": Msg("Wertebereich", "range"),
    _S + "broadMatch": Msg("entspricht weiter gefasst", "broad match"),
    _S + "narrowMatch": Msg("entspricht enger gefasst", "narrow match"),
    _S + "relatedMatch": Msg("entspricht verwandt", "related match"),
    _S + "scopeNote": Msg("Anwendungshinweis", "scope note"),
    _S + "related": Msg("verwandter Begriff", "related"),
    _O + "versionInfo": Msg("Version", "version"),
    _O + "inverseOf": Msg("Umkehrung von", "inverse of"),
    _P + "wasDerivedFrom": Msg("abgeleitet aus", "derived from"),
    _P + "wasAttributedTo": Msg("zugeschrieben", "attributed to"),
    _P + "generated": Msg("erzeugt", "generated"),
    _P + "wasGeneratedBy": Msg("erzeugt durch", "generated by"),
    _P + "used": Msg("verwendet", "used"),
    _P + "startedAtTime": Msg("begonnen", "started"),
    _P + "endedAtTime": Msg("beendet", "ended"),
    _SC + "containedInPlace": Msg("liegt in (schema.org)", "contained in place"),
    _SC + "address": Msg("Adresse", "address"),
    _SC + "location": Msg("Ort (schema.org)", "location (schema.org)"),
    _SC + "organizer": Msg("Veranstalter (schema.org)", "organizer"),
    _SC + "performer": Msg("Mitwirkende (schema.org)", "performer"),
    _SC + "superEvent": Msg("übergeordnete Veranstaltung", "super event"),
    _SC + "streetAddress": Msg("Straße", "street address"),
    _SC + "postalCode": Msg("Postleitzahl", "postal code"),
    _SC + "addressLocality": Msg("Ort", "locality"),
    _SC + "telephone": Msg("Telefon", "telephone"),
    _SC + "email": Msg("E-Mail", "e-mail"),
    _SC + "url": Msg("Website", "website"),
    _SC + "faxNumber": Msg("Fax", "fax"),
    _SC + "name": Msg("Name", "name"),
    _SC + "alternateName": Msg("anderer Name", "alternate name"),
    _CV + "hasParticipant": Msg("Teilnehmer (CPSV)", "has participant"),
    _CV + "hasParticipation": Msg("Mitwirkung (CPSV)", "has participation"),
    _CV + "isClassifiedBy": Msg("klassifiziert durch", "is classified by"),
    _CV + "role": Msg("Rolle (CPSV)", "role"),
    _CV + "sector": Msg("Sektor (CPSV)", "sector"),
    _CV + "format": Msg("Format (CPSV)", "format"),
    _OR + "classification": Msg("Klassifikation", "classification"),
    _OR + "heldBy": Msg("besetzt mit", "held by"),
    _OR + "postIn": Msg("Amt in (org)", "post in"),
    _OR + "subOrganizationOf": Msg("Teil von (org)", "sub-organization of"),
    _OR + "unitOf": Msg("Einheit von (org)", "unit of"),
    _OR + "purpose": Msg("Zweck", "purpose"),
    _FO + "name": Msg("Name", "name"),
    _FO + "homepage": Msg("Website", "homepage"),
    _SH + "hasValue": Msg("Wert (SHACL)", "has value"),
    ns.RDF + "first": Msg("erstes Element", "first"),
    ns.RDF + "rest": Msg("übrige Elemente", "rest"),
    ns.RDF + "type": Msg("Typ", "type"),
    ns.CC + "attributionText": Msg("Namensnennung", "attribution"),
}

#: How external properties read from their object, for incoming links (de, en).
BUILTIN_INVERSE_LABELS: dict[str, Msg] = {
    _D + "source": Msg("Quelle für", "source of"),
    _D + "spatial": Msg("mit räumlichem Bezug hierauf", "with this spatial coverage"),
    _D + "subject": Msg("Dokumente zum Thema", "documents on this subject"),
    _D + "relation": Msg("verweist hierauf", "related from"),
    _D + "replaces": Msg("ersetzt durch", "replaced by"),
    _D + "publisher": Msg("veröffentlicht", "publishes"),
    _D + "license": Msg("Lizenz von", "licence of"),
    _D + "isPartOf": Msg("hat Teil", "has part"),
    _R + "seeAlso": Msg("verwiesen von", "referred to by"),
    _R + "isDefinedBy": Msg("definiert", "defines"),
    _R + "subClassOf": Msg("Unterklassen", "subclasses"),
    _R + "subPropertyOf": Msg("Untereigenschaften", "subproperties"),
    _R + "domain": Msg("Eigenschaften dieser Klasse", "properties of this class"),
    _R + "range": Msg("Eigenschaften mit diesem Wertebereich", "properties with this range"),
    _S + "inScheme": Msg("Begriffe im Schema", "concepts in scheme"),
    _S + "broader": Msg("Unterbegriffe", "narrower concepts"),
    _S + "narrower": Msg("Oberbegriffe", "broader concepts"),
    _S + "topConceptOf": Msg("Spitzenbegriffe", "top concepts"),
    _S + "hasTopConcept": Msg("Spitzenbegriff von", "top concept of"),
    _S + "exactMatch": Msg("entspricht genau", "exact match of"),
    _S + "closeMatch": Msg("entspricht ungefähr", "close match of"),
    _S + "related": Msg("verwandter Begriff", "related"),
    _O + "sameAs": Msg("identisch mit", "same as"),
    _P + "wasDerivedFrom": Msg("Grundlage für", "source of"),
    _P + "wasAttributedTo": Msg("zugeschrieben", "credited with"),
    _P + "generated": Msg("erzeugt von", "generated by"),
    _P + "used": Msg("verwendet von", "used by"),
    _SC + "containedInPlace": Msg("umfasst (schema.org)", "contains place"),
    _SC + "address": Msg("Adresse von", "address of"),
    _SC + "location": Msg("Ort von (schema.org)", "location of"),
    _SC + "organizer": Msg("veranstaltet (schema.org)", "organizes"),
    _SC + "performer": Msg("wirkt mit bei (schema.org)", "performs in"),
    _SC + "superEvent": Msg("Teilveranstaltungen (schema.org)", "sub-events"),
    _CV + "hasParticipant": Msg("hat Teilnehmer (CPSV)", "has participant"),
    _CV + "hasParticipation": Msg("Mitwirkung von (CPSV)", "participation of"),
    _CV + "isClassifiedBy": Msg("klassifiziert", "classifies"),
    _CV + "role": Msg("Rolle in (CPSV)", "role in"),
    _CV + "sector": Msg("Sektor von (CPSV)", "sector of"),
    _CV + "format": Msg("Format von (CPSV)", "format of"),
    _OR + "classification": Msg("klassifiziert", "classifies"),
    _OR + "heldBy": Msg("hat Amt", "holds post"),
    _OR + "postIn": Msg("Ämter (org)", "posts"),
    _OR + "subOrganizationOf": Msg("hat Teilorganisation (org)", "has sub-organization"),
    _OR + "unitOf": Msg("hat Einheit (org)", "has unit"),
    _SH + "hasValue": Msg("Wert in Regel", "value in shape"),
    ns.RDF + "first": Msg("erstes Element von", "first element of"),
    ns.RDF + "type": Msg("Instanzen", "instances"),
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#fafbfc;
line-height:1.45}
header.top{background:#23395d;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header.top a{color:#fff;text-decoration:none;font-weight:600}
a{color:#1f4f9a}
header.top nav{margin-left:auto;display:flex;gap:.8rem;flex-wrap:wrap}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#23395d;padding:.4rem}.skip:focus{left:.5rem}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
form.hsearch{position:relative;display:flex;gap:.3rem;flex:1 1 14rem;max-width:28rem}
form.hsearch input[type=search]{flex:1;min-width:0;padding:.3rem .5rem;border:1px solid #8aa1c8;border-radius:.3rem}
form.hsearch button{padding:.3rem .7rem;border:1px solid #fff;background:#fff;color:#23395d;border-radius:.3rem;
font-weight:600}
#hsearch-list{position:absolute;top:2.2rem;left:0;right:0;z-index:10;list-style:none;margin:0;padding:0;
background:#fff;color:#1d2330;border:1px solid #8aa1c8;border-radius:.3rem;box-shadow:0 4px 12px #0003}
#hsearch-list li{padding:.35rem .6rem;cursor:pointer}#hsearch-list li .muted{display:block;font-size:.8rem}
#hsearch-list li[aria-selected=true]{background:#23395d;color:#fff}
#hsearch-list li[aria-selected=true] .muted{color:#e7edf7}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{
outline:3px solid #f0b400;outline-offset:2px}
ol.hits{padding-left:1.4rem} ol.hits li{margin:.5rem 0} .hit-meta{color:#555;font-size:.88rem}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:.6rem 0}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;font-weight:600}
form.filters input,form.filters select{padding:.3rem;font-size:1rem;max-width:100%}
@media (max-width:40rem){table.props th{width:auto;display:block;padding-bottom:0}table.props td{display:block}
main{padding:.8rem .7rem 2rem}header.top nav{margin-left:0}h1{font-size:1.35rem}}
main{max-width:70rem;margin:0 auto;padding:1rem 1.2rem 3rem}
h1{margin:.4rem 0 .2rem;font-size:1.7rem}
h2{margin-top:1.8rem;border-bottom:1px solid #d5dae3;padding-bottom:.2rem;font-size:1.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
.iri{font-family:ui-monospace,monospace;font-size:.85rem;color:#555;word-break:break-all}
main a,main li,main td,h1,h2,h3{overflow-wrap:anywhere;hyphens:auto}
.alt{color:#555}
.types a,.chip{display:inline-block;background:#e7edf7;border-radius:.8rem;padding:.05rem .6rem;
margin:.1rem .2rem .1rem 0;font-size:.85rem;text-decoration:none;color:#23395d}
table.props{border-collapse:collapse;width:100%}
table.props th{text-align:left;vertical-align:top;width:16rem;padding:.3rem .6rem .3rem 0;font-weight:600;color:#333}
table.props td{padding:.3rem 0;vertical-align:top} table.props tr{border-bottom:1px solid #eceff4}
ul.values{list-style:none;margin:0;padding:0}
.lang{font-size:.7rem;color:#595959;margin-left:.3rem}
blockquote{margin:.2rem 0 .2rem 0;padding:.2rem .6rem;border-left:3px solid #8aa1c8;background:#f1f4f9}
.muted{color:#666;font-size:.9rem} .formats a{margin-right:.6rem}
ul.tree{list-style:none;padding-left:1.1rem;border-left:1px dotted #aab} ul.tree.root{border-left:none;padding-left:0}
details>summary{cursor:pointer} .term{border-top:1px solid #d5dae3;padding:.6rem 0} .term h3{margin:.2rem 0}
.switch a{color:#fff;margin-left:.4rem} .switch a.on{text-decoration:underline}
.types a.inferred{font-style:italic;background:#f1f3f6}
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
    """The page frame: skip link, header with navigation, the search box (suggestions while typing
    from /api/search, kg/web/static/suggest.js: an ARIA 1.2 combobox, no framework) and the
    language switch."""
    switch = " ".join(
        f'<a href="{e(ctx.switch_url(lang))}" class="{"on" if lang == ctx.lang else ""}" hreflang="{lang}" '
        f'lang="{lang}" id="lang-{lang}">{lang.upper()}</a>'
        for lang in LANGS
    )
    q = ctx.query.get("q", "") if ctx.path.endswith("/search") else ""
    search = (
        f'<form class="hsearch" method="get" action="{e(ctx.root)}/search" role="search">'
        f'<label for="hsearch-q" class="vh">{e(t("search_label", ctx.lang))}</label>'
        f'<input id="hsearch-q" name="q" type="search" maxlength="200" value="{e(q)}" autocomplete="off" '
        f'role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="hsearch-list" '
        f'placeholder="{e(t("search_label", ctx.lang))}">'
        f'<input type="hidden" name="lang" value="{e(ctx.lang)}">'
        f'<button type="submit">{e(t("search", ctx.lang))}</button>'
        f'<ul id="hsearch-list" role="listbox" aria-label="{e(t("search", ctx.lang))}" hidden></ul></form>'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{e(ctx.lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)} – hilfenetz</title><link rel="icon" href="data:,"><style>{STYLE}</style>'
        f'<script src="{e(ctx.root)}/static/suggest.js" defer></script>{head}</head><body>'
        f'<a class="skip" href="#main">{e(t("skip", ctx.lang))}</a>'
        f'<header class="top"><a href="{e(ctx.root)}/" class="home">hilfenetz</a>{search}'
        f'<nav aria-label="hilfenetz"><a href="{e(ctx.root)}/">{e(t("query", ctx.lang))}</a>'
        f'<a href="{e(ctx.root)}/ontology">{e(t("ontology", ctx.lang))}</a>'
        f'<a href="{e(ctx.root)}/dataset">DCAT</a>'
        f'<a href="{e(ctx.root)}/downloads">{e(t("downloads", ctx.lang))}</a>'
        f'<span class="switch">{switch}</span></nav></header>'
        f'<main id="main">{body}</main></body></html>'
    )


# --- labels ---


class Labels:
    """Labels of the resources in a description, by language, with the vocabulary as fallback.

    Equal labels are told apart by kind: where two resources on one page share a label (the
    Gemeinde and the Gemeindeverband "Gladbeck, Stadt"; the Gemeinde "Dortmund, Stadt" in the
    Kreisfreie Stadt "Dortmund, Stadt"), `name` adds the most specific asserted class:
    "Gladbeck, Stadt (Gemeinde)". `kinds`: IRI → asserted classes (Description.kinds)."""

    def __init__(self, triples: Iterable[ox.Triple], vocab: Vocabulary,
                 kinds: dict[str, set[str]] | None = None) -> None:
        self.vocab = vocab
        self.kinds = kinds or {}
        self.by_iri: dict[str, dict[str, str]] = {}
        label_iris = {p.value for p in LABEL_PROPERTIES}
        # hn:displayLabel wins over rdfs:label over skos:prefLabel over dct:title (LABEL_PROPERTIES).
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
        self._shared: dict[str, set[str]] = {}
        for lang in LANGS:
            counts: dict[str, set[str]] = {}
            for iri in self.by_iri:
                counts.setdefault(self._plain(iri, lang), set()).add(iri)
            self._shared[lang] = {name for name, iris in counts.items() if len(iris) > 1}

    def fill_unlabelled(self, idx: dict[Any, dict[str, list[Any]]], root: str) -> None:
        """Names for unlabelled nodes on the page (participations, figures): their kind and what they
        link besides the page's resource, "Mitwirkung: Reinhard Elzer – Begrüßung"; equal ones get
        the IRI's tail, so no two entries of a list read the same."""
        made: dict[str, dict[str, str]] = {}
        for node, props in idx.items():
            if not isinstance(node, ox.NamedNode) or node.value in self.by_iri or node.value == root:
                continue
            if node.value not in self.kinds:
                continue
            for lang in LANGS:
                kind = self.kind(node.value, lang) or _tail(node.value)
                linked = []
                for p in sorted(props):
                    if p == RDF_TYPE.value or p in PROVENANCE_PROPS or not p.startswith(ns.HN):
                        continue
                    for o in props[p]:
                        if isinstance(o, ox.NamedNode) and o.value != root:
                            name = self._plain(o.value, lang) or self.vocab.label(o.value, lang)
                            if name and name not in linked:
                                linked.append(name)
                made.setdefault(node.value, {})[lang] = f"{kind}: {' – '.join(linked[:2])}" if linked else kind
        for lang in LANGS:
            counts = Counter(names[lang] for names in made.values())
            for iri, names in made.items():
                if counts[names[lang]] > 1:
                    names[lang] += f" ({iri.rsplit('/', 1)[-1]})"
        for iri, names in made.items():
            self.by_iri[iri] = names

    def _plain(self, iri: str, lang: str) -> str:
        by_lang = self.by_iri.get(iri)
        if by_lang:
            for candidate in (lang, "de", "en", ""):
                if candidate in by_lang:
                    return by_lang[candidate]
            return next(iter(by_lang.values()))
        return ""

    def kind(self, iri: str, lang: str) -> str | None:
        """The label of the most specific asserted class of `iri` ("Gemeinde"), if it has one."""
        classes = self.kinds.get(iri)
        if not classes:
            return None
        own = [c for c in classes if c.startswith(ns.HN)] or list(classes)
        names = [self.vocab.label(c, lang) for c in self.vocab.most_specific(own)]
        named = [n for n in names if n]
        return " / ".join(named) if named else None

    def get(self, iri: str, lang: str) -> str | None:
        plain = self._plain(iri, lang)
        if plain:
            if plain in self._shared.get(lang, ()):
                kind = self.kind(iri, lang)
                if kind and kind.lower() not in plain.lower():
                    return f"{plain} ({kind})"
            return plain
        found = self.vocab.label(iri, lang)
        if found is None and iri in BUILTIN_LABELS:
            return BUILTIN_LABELS[iri].text(lang)
        return found

    def name(self, iri: str, lang: str) -> str:
        """A label, else the kind of an unlabelled node ("Mitwirkung"), else a readable tail of the IRI."""
        return self.get(iri, lang) or self.kind(iri, lang) or _tail(iri)

    def prop(self, iri: str, lang: str) -> str:
        """A property's label for people: the ontology's, a built-in one, else the local name
        without prefix ("wasDerivedFrom"), never a prefixed name."""
        return self.vocab.label(iri, lang) or (BUILTIN_LABELS[iri].text(lang) if iri in BUILTIN_LABELS
                                               else _local(iri))

    def inverse(self, iri: str, lang: str) -> str:
        """How property `iri` reads from its object ("hat Teilnehmer" for hn:participant)."""
        found = self.vocab.inverse_label(iri, lang)
        if found:
            return found
        if iri in BUILTIN_INVERSE_LABELS:
            return BUILTIN_INVERSE_LABELS[iri].text(lang)
        label = self.prop(iri, lang)
        return Msg(f"verweist als „{label}“", f"links as “{label}”").text(lang)


def _local(iri: str) -> str:
    """The local name of an IRI (after the last # or /)."""
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def _tail(iri: str) -> str:
    if iri.startswith(ns.HNID):
        return iri[len(ns.HNID):]
    for prefix, base in ns.PREFIXES.items():
        if iri.startswith(base) and prefix != "hnid":
            return f"{prefix}:{iri[len(base):]}"
    return iri


def link(ctx: PageContext, labels: Labels, iri: str) -> str:
    return f'<a href="{e(ctx.href(iri))}">{e(labels.name(iri, ctx.lang))}</a>'


def format_number(text: str, lang: str) -> str:
    """603462 → "603.462" (de) / "603,462" (en); 761.32 → "761,32" / "761.32"."""
    try:
        value = float(text)
    except ValueError:
        return text
    if "." in text or "e" in text.lower():
        decimals = len(text.split(".", 1)[1]) if "." in text and "e" not in text.lower() else 2
        out = f"{value:,.{min(decimals, 6)}f}"
    else:
        try:
            out = f"{int(text):,}"
        except ValueError:
            return text
    if lang == "de":
        out = out.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return out


def format_date(text: str, datatype: str, lang: str) -> str:
    """xsd:date "2013-07-15" → "15. Juli 2013" / "15 July 2013"; gYearMonth → "Juli 2013";
    gYear → "2021"; dateTime → date and hh:mm. Values that do not parse stay as they are."""
    months = MONTHS.get(lang, MONTHS["de"])
    m = re.fullmatch(r"(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::[\d.]+)?)?(Z|[+-]\d{2}:\d{2})?", text)
    if not m:
        return text
    year, month, day, hh, mm = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    if month and not 1 <= int(month) <= 12:
        return text
    if datatype.endswith("gYear") or not month:
        return year.lstrip("0") or "0"
    mname = months[int(month) - 1]
    if not day:
        return f"{mname} {year}"
    out = f"{int(day)}. {mname} {year}" if lang == "de" else f"{int(day)} {mname} {year}"
    if hh:
        out += f", {hh}:{mm}" + (" Uhr" if lang == "de" else "")
    return out


_NUMERIC = {_X + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger",
                            "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt",
                            "unsignedLong", "byte", "unsignedShort", "unsignedByte")}


def literal_text(lit: ox.Literal, lang: str) -> str:
    """A literal written for people: numbers with thousands separators, dates in words, booleans
    as ja/nein; the datatype itself is never shown (that is what the RDF views are for)."""
    dt = lit.datatype.value
    if dt in _NUMERIC:
        return format_number(lit.value, lang)
    if dt in DATE_TYPES:
        return format_date(lit.value, dt, lang)
    if dt == _X + "boolean":
        return t("yes" if lit.value in ("true", "1") else "no", lang)
    return lit.value


def literal_html(lit: ox.Literal, lang: str = "de") -> str:
    if lit.datatype.value == _X + "anyURI":
        return f'<a href="{e(lit.value)}">{e(lit.value)}</a>'
    out = e(literal_text(lit, lang))
    if lit.language and lit.language != lang:
        out = f'<span lang="{e(lit.language)}">{out}</span><span class="lang">{e(lit.language)}</span>'
    return out


def value_html(ctx: PageContext, labels: Labels, term: Any) -> str:
    if isinstance(term, ox.Literal):
        return literal_html(term, ctx.lang)
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
    """Rows headed by the property's label for people; properties with the same label (a property
    and its schema.org twin) share one row, and a value shows once per row."""
    if not props:
        return ""
    by_head: dict[str, tuple[str, list[str]]] = {}
    for p in props:
        head = labels.prop(p, ctx.lang)
        _, cells = by_head.setdefault(head, (p, []))
        for v in _lang_sorted(props[p], ctx.lang):
            html = value_html(ctx, labels, v)
            if html not in cells:
                cells.append(html)
    rows = []
    for head in sorted(by_head, key=str.lower):
        p, cells = by_head[head]
        vals = "".join(f"<li>{c}</li>" for c in cells)
        rows.append(
            f'<tr><th scope="row"><a href="{e(ctx.href(p))}" title="{e(p)}">{e(head)}</a></th>'
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
    # an inferred hn: link (hn:hasParticipation, the inverse of an asserted hn:participationIn)
    # stands for its external super-property copies (cv:hasParticipation) as well
    own_ends = {key(q.triple) for q in quads if q.predicate.value.startswith(ns.HN)}
    return {q.triple for q in quads if q.triple not in asserted
            and (key(q.triple) in asserted_ends
                 or (not q.predicate.value.startswith(ns.HN) and key(q.triple) in own_ends))}


GROUPS = ("names", "texts", "who", "where", "when", "facts", "other")


def _meaning(p: str, o: Any, d: Description, vocab: Vocabulary) -> str:
    """Which group a statement of the resource belongs to: who / where / when / facts / other, by
    the linked resource's asserted classes, else the property's range, else the datatype."""
    if p in WHEN_PROPS:
        return "when"
    if isinstance(o, ox.Literal):
        return "when" if o.datatype.value in DATE_TYPES else "facts"
    # the property's range first (hn:cooperatesWith: an agent, even where the partner is a town),
    # then the linked resource's own classes
    for classes in (set(vocab.ranges.get(p, ())),
                    set(d.kinds.get(o.value, ())) if isinstance(o, ox.NamedNode) else set()):
        lineage = set(classes)
        for c in classes:
            lineage |= vocab.ancestors(c)
        # a town is an area and an agent (Gebietskörperschaft): a partner is "who", a place "where"
        if lineage & WHERE_CLASSES and (p in WHERE_PROPS or not lineage & WHO_CLASSES):
            return "where"
        if lineage & WHO_CLASSES:
            return "who"
    return "other"


def _group(d: Description, vocab: Vocabulary) -> tuple[list[str], dict[str, dict[str, list[Any]]]]:
    """The resource's own statements: types, and the rest grouped by meaning (names, texts, who,
    where, when, facts, other) plus the links to its origin ("sources"); inferred statements that
    repeat an asserted one under a super-property go to "inferred"."""
    types: list[str] = []
    groups: dict[str, dict[str, list[Any]]] = {g: {} for g in (*GROUPS, "sources", "inferred")}
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
        elif p in SOURCE_LINK_PROPS:
            g = "sources"
        elif p in NAME_PROPS:
            g = "names"
        elif p in TEXT_PROPS:
            g = "texts"
        else:
            g = _meaning(p, o, d, vocab)
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
    """Links to this resource, headed by how each property reads backwards ("hat Teilnehmer");
    properties that read the same share one heading, and a linking resource shows once under it."""
    if not d.incoming_total:
        return ""
    by_head: dict[str, list[Any]] = {}
    seen: set[ox.Triple] = set()
    redundant = _redundant_inferred(d.incoming, lambda t: t.subject)
    hidden = d.incoming_hidden
    for q in d.incoming:
        if q.triple in seen:
            continue
        seen.add(q.triple)
        if q.triple in redundant:
            hidden += 1
            continue
        subjects = by_head.setdefault(labels.inverse(q.predicate.value, ctx.lang), [])
        if q.subject not in subjects:
            subjects.append(q.subject)
    asserted_dep = {q.triple for q in d.dependents if q.graph_name != INFERRED}
    inferred_only = {q.triple for q in d.dependents if q.graph_name == INFERRED} - asserted_dep
    parts = []
    for head in sorted(by_head, key=str.lower):
        items = []
        for s in sorted(by_head[head], key=lambda s: labels.name(s.value, ctx.lang).lower()):
            items.append(f"<li>{_incoming_item(ctx, labels, s, idx, d.iri, inferred_only)}</li>")
        parts.append(
            f"<h3>{e(head)} <span class=\"muted\">({len(items)})</span></h3>"
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
        f'<p class="muted" id="incoming-count" data-total="{d.incoming_total + d.incoming_hidden}">'
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
            f"{e(labels.prop(p, ctx.lang))}: "
            + ", ".join(value_html(ctx, labels, v) for v in _lang_sorted(vals, ctx.lang))
        )
    if details:
        html += ' <span class="muted">(' + "; ".join(details) + ")</span>"
    return html


def sources_section(ctx: PageContext, labels: Labels, d: Description, idx: dict[Any, dict[str, list[Any]]],
                    links: dict[str, list[Any]] | None = None) -> str:
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
    origin = (f'<h3>{e(t("source_links", ctx.lang))}</h3>{property_table(ctx, labels, links)}' if links else "")
    return (
        f'<section id="sources"><h2>{e(t("sources", ctx.lang))}</h2><ul>{"".join(items)}</ul>{origin}'
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
    labels = Labels(triples, ctx.vocab, d.kinds)
    idx = _index(triples)
    labels.fill_unlabelled(idx, d.iri)
    types, groups = _group(d, ctx.vocab)
    asserted = _asserted_types(d)
    title = labels.get(d.iri, ctx.lang) or _fallback_title(ctx, labels, d, types, asserted, groups)
    other = [
        lbl for lang, lbl in sorted(labels.by_iri.get(d.iri, {}).items())
        if lbl != title and lbl != labels._plain(d.iri, ctx.lang)
    ]
    inferred_cls = ' class="inferred"'
    # asserted classes, then the inferred ones the ontology labels (external super-classes such as
    # org:Organization stay in the RDF views)
    shown_types = [ty for ty in types if ty in asserted or labels.get(ty, ctx.lang)]
    type_links = "".join(
        f'<a href="{e(ctx.href(ty))}" title="{e(ty)}"{"" if ty in asserted else inferred_cls}>'
        f'{e(labels.name(ty, ctx.lang))}</a>'
        for ty in sorted(shown_types, key=lambda ty: (ty not in asserted, labels.name(ty, ctx.lang).lower()))
    )
    formats = " ".join(f'<a href="{e(href)}" type="{e(mt)}">{e(name)}</a>' for href, mt, name in alternates)
    body = [
        f'<h1 id="title">{e(title)}</h1>',
        "".join(f'<div class="alt">{e(o)}</div>' for o in other),
        f'<div class="iri" id="iri">{e(d.iri)}</div>',
        *([f'<p id="profile-link"><a href="{e(ctx.root)}/gebiet/{e(d.iri[len(ns.HNID) + 5:])}"><strong>{e(Msg("Profil dieses Gebiets: Programme, Zuständigkeiten, Präventionskette", "Profile of this area: programmes, responsibilities, prevention chain").text(ctx.lang))}</strong></a></p>'] if d.iri.startswith(ns.HNID + "area/") else []),  # noqa: E501 - one self-contained line (h19-areas)
        f'<div class="types"><span class="muted">{e(t("types", ctx.lang))}:</span> {type_links}</div>',
        f'<p class="formats muted">{e(t("formats", ctx.lang))}: {formats}</p>',
    ]
    for g in GROUPS:
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
    body.append(sources_section(ctx, labels, d, idx, groups["sources"]))
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
        for g in ("who", "where", "other")
        for p in sorted(groups[g])
        for o in groups[g][p]
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
