"""The profile of one administrative area (Gemeinde, Kreis, Land, region), computed from the store.

Why a module of its own (and not the generic description of kg.query.describe): a municipal
representative asks questions that cross many resources — who is responsible for us, which
programmes do we take part in, where are the gaps of our prevention chain — and the answer is a
handful of small SPARQL queries anchored at the area's IRI, each touching tens of rows, so a
Kreis page costs a few milliseconds even on a graph of a million triples (bench/bench_pages.py).

Every figure comes from the store as it stands; nothing is assumed: a section without data is
empty and the page says so. Names: `hn:displayLabel` (a label meant for people that tells
"Gladbeck, Stadt (Gemeinde)" from "… (Gemeindeverband)") where the data has it, else rdfs:label,
skos:prefLabel, dct:title — the one helper for that is `labels()`.

The result of `area_profile()` is plain JSON-able data (dicts, lists, str, int, float, bool,
None); the HTML page (kg.web.render.profile) and the JSON answer are both made from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from kg import rdf as ns
from kg.store.protocol import QueryStore, solutions

HN = ns.HN
AREA_BASE = ns.HNID + "area/"
LIFE_PHASE_SCHEME = ns.HNID + "concept/life-phase"
GUIDE_SOURCE = ns.source_document("abgestimmte-hilfen")
#: The problem the guide addresses, as the concept schemes name it.
PROBLEM_TOPIC = ns.HNID + "concept/topic/children-of-mentally-ill-addicted-parents"
PROBLEM_TARGET_PREFIX = ns.HNID + "concept/target-group/children-of-parents-"

PREFIX = ns.sparql_prefixes()

#: The kinds of area, most specific first: (class local name, kind key).
KINDS: tuple[tuple[str, str], ...] = (
    ("Municipality", "municipality"), ("UnincorporatedArea", "unincorporated"),
    ("MunicipalAssociation", "association"), ("UrbanDistrict", "urban-district"),
    ("RuralDistrict", "rural-district"), ("District", "district"), ("GovernmentRegion", "government-region"),
    ("StatisticalRegion", "statistical-region"), ("Region", "region"), ("Land", "land"), ("Country", "country"),
)
#: Kinds whose page shows a coverage table of the Kreise (or Länder) within.
COVERAGE_KINDS = frozenset(("land", "government-region", "statistical-region", "region", "country"))
DISTRICT_KINDS = frozenset(("urban-district", "rural-district", "district"))
MUNICIPAL_KINDS = frozenset(("municipality", "unincorporated"))

_KEY = re.compile(r"^(?:\d{2,12}|gv-\d{9}|[a-z][a-z0-9-]{0,60})$")


def _q(store: QueryStore, query: str) -> list[ox.QuerySolution]:
    return list(solutions(store.query(PREFIX + query, use_default_graph_as_union=True)))


def _ref(iri: str) -> str:
    """`<iri>` for SPARQL text; the IRI is checked by pyoxigraph first, so it cannot break out."""
    return str(ox.NamedNode(iri))


def _values(iris: Iterable[str]) -> str:
    return " ".join(_ref(i) for i in sorted(set(iris)))


def _v(sol: ox.QuerySolution, name: str) -> str | None:
    term = sol[name]
    return None if term is None else term.value


def literal_json(term: Any) -> Any:
    """A literal as JSON: integers as int, decimals as float, everything else its lexical form
    (dates stay ISO strings: `2012`, `2019-09`, `2013-07-15`)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt.endswith(("#integer", "#int", "#long", "#nonNegativeInteger")):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt.endswith(("#decimal", "#double", "#float")):
            try:
                return float(term.value)
            except ValueError:
                return term.value
    return term.value


# --- labels ---------------------------------------------------------------------------------------------

_LABEL_RANK = {HN + "displayLabel": 0, ns.RDFS + "label": 1, ns.SKOS + "prefLabel": 2, ns.DCT + "title": 3,
               HN + "officialName": 4}


def labels(store: QueryStore, iris: Iterable[str], lang: str = "de") -> dict[str, str]:
    """The name to show for each IRI: `hn:displayLabel` where present, else rdfs:label, else
    skos:prefLabel, dct:title, hn:officialName — each in `lang`, then German, then without
    language; IRIs without any get the tail of the IRI. One query for all of them."""
    wanted = sorted({i for i in iris if i})
    if not wanted:
        return {}
    rows = _q(store, f"""SELECT ?x ?p ?l WHERE {{
      VALUES ?x {{ {_values(wanted)} }}
      ?x ?p ?l FILTER(?p IN (hn:displayLabel, rdfs:label, skos:prefLabel, dct:title, hn:officialName)) }}""")
    lang_rank = {lang: 0, "de": 1, "": 2}
    best: dict[str, tuple[int, int, str]] = {}
    for r in rows:
        x, p, lit = r["x"].value, r["p"].value, r["l"]
        if not isinstance(lit, ox.Literal):
            continue
        key = (_LABEL_RANK.get(p, 9), lang_rank.get(lit.language or "", 3), lit.value)
        if x not in best or key < best[x]:
            best[x] = key
    return {i: best[i][2] if i in best else tail(i) for i in wanted}


def tail(iri: str) -> str:
    """A readable end of an IRI when nothing names it."""
    if iri.startswith(ns.HNID):
        return iri[len(ns.HNID):]
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


# --- finding the area -----------------------------------------------------------------------------------


def resolve(store: QueryStore, key: str) -> str | None:
    """The area IRI for `key`: the local part of the area IRI (`05562`, `05562014`, `gv-055620014`,
    `rheinland`), or a 12-digit ARS (`055620014014`); None when the store has no such area."""
    key = key.strip().lower()
    if not _KEY.match(key):
        return None
    candidates = [AREA_BASE + key]
    if len(key) == 12 and key.isdigit():
        rows = _q(store, f'SELECT ?a WHERE {{ ?a hn:ars "{key}" }} LIMIT 1')
        candidates = [r["a"].value for r in rows] + candidates
    for iri in candidates:
        if _q(store, f"SELECT ?t WHERE {{ {_ref(iri)} a ?t }} LIMIT 1"):
            return iri
    return None


def area_key(iri: str) -> str:
    """The key of an area IRI as it appears in `/gebiet/{key}`."""
    return iri[len(AREA_BASE):] if iri.startswith(AREA_BASE) else iri


def _kind(types: set[str]) -> str:
    for local, kind in KINDS:
        if HN + local in types:
            return kind
    return "area"


# --- the sections ---------------------------------------------------------------------------------------


def _basics(store: QueryStore, iri: str) -> dict[str, Any]:
    rows = _q(store, f"""SELECT ?p ?o WHERE {{ {_ref(iri)} ?p ?o .
      FILTER(?p IN (rdf:type, hn:ags, hn:ars, hn:population, hn:populationDate, hn:area, hn:areaDate, hn:typeDetail,
                    hn:memberOfAssociation, hn:nutsCode, hn:officialName)) }}""")
    by: dict[str, list[Any]] = {}
    for r in rows:
        by.setdefault(r["p"].value.rsplit("#", 1)[-1], []).append(r["o"])

    def one(name: str) -> Any:
        vals = by.get(name) or []
        return literal_json(sorted(vals, key=lambda t: t.value)[0]) if vals else None

    types = {t.value for t in by.get("type", []) if t.value.startswith(HN)}
    return {
        "types": sorted(types),
        "kind": _kind(types),
        "ags": one("ags"), "ars": one("ars"), "nuts": one("nutsCode"), "officialName": one("officialName"),
        "typeDetail": one("typeDetail"),
        "population": {"value": one("population"), "date": one("populationDate")} if "population" in by else None,
        "area": {"value": one("area"), "date": one("areaDate")} if "area" in by else None,
        "association": one("memberOfAssociation"),
    }


def _ancestors(store: QueryStore, iri: str) -> list[dict[str, Any]]:
    """The areas above, nearest first (Kreis, Regierungsbezirk, Land, Deutschland), and the
    regions (Rheinland …) that cover the area or one of them. Walks `hn:partOf` one quad lookup
    at a time: a `partOf+` path query with the types costs ~0.7 s on the real graph, the walk ~1 ms."""
    part_of = ox.NamedNode(HN + "partOf")
    chain: list[str] = []
    frontier = [ox.NamedNode(iri)]
    while frontier and len(chain) < 12:
        nxt = []
        for node in frontier:
            for q in store.quads_for_pattern(node, part_of, None):
                if isinstance(q.object, ox.NamedNode) and q.object.value not in chain and q.object.value != iri:
                    chain.append(q.object.value)
                    nxt.append(q.object)
        frontier = nxt
    if not chain:
        return []
    rows = _q(store, f"""SELECT ?a ?t WHERE {{ VALUES ?a {{ {_values(chain)} }} ?a a ?t .
      FILTER(?t IN (hn:UrbanDistrict, hn:RuralDistrict, hn:District, hn:GovernmentRegion, hn:StatisticalRegion,
                    hn:Land, hn:Country)) }}""")
    types: dict[str, set[str]] = {}
    for r in rows:
        types.setdefault(r["a"].value, set()).add(r["t"].value)
    out = [{"iri": a, "kind": _kind(types[a])} for a in chain if a in types]
    seen = {a["iri"] for a in out}
    scope = _values([iri, *chain])
    regions = _q(store, f"""SELECT DISTINCT ?r WHERE {{ VALUES ?a {{ {scope} }}
      {{ ?r hn:covers ?a }} UNION {{ ?r hn:coversGovernmentRegion ?a }} FILTER EXISTS {{ ?r a hn:Region }} }}""")
    for r in regions:
        if r["r"].value not in seen:
            seen.add(r["r"].value)
            out.append({"iri": r["r"].value, "kind": "region"})
    return out


def _responsible(store: QueryStore, scope: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Health offices (`hn:responsibleFor`) and youth welfare offices (responsible for, serving or
    a unit of) the area or an area containing it."""
    rows = _q(store, f"""SELECT DISTINCT ?o ?t ?a ?source WHERE {{
      VALUES ?a {{ {_values(scope)} }}
      {{ ?o hn:responsibleFor ?a }} UNION {{ ?o hn:areaServed ?a }} UNION {{ ?o hn:unitOf ?a }}
      ?o a ?t . FILTER(?t IN (hn:HealthOffice, hn:YouthWelfareOffice, hn:StateYouthWelfareOffice))
      OPTIONAL {{ ?o hn:statedIn ?source }} }}""")
    health: dict[str, dict[str, Any]] = {}
    youth: dict[str, dict[str, Any]] = {}
    for r in rows:
        o, t = r["o"].value, r["t"].value
        target = health if t == HN + "HealthOffice" else youth
        entry = target.setdefault(o, {"iri": o, "for": r["a"].value, "sources": [], "state": False})
        entry["state"] = entry["state"] or t == HN + "StateYouthWelfareOffice"
        src = _v(r, "source")
        if src and src not in entry["sources"]:
            entry["sources"].append(src)
    if health:
        contact = _q(store, f"""SELECT ?o ?p ?v WHERE {{ VALUES ?o {{ {_values(health)} }}
          {{ ?o ?p ?v FILTER(?p IN (schema:telephone, schema:email, hn:rkiCode)) }}
          UNION {{ ?o schema:address ?ad . ?ad ?p ?v
             FILTER(?p IN (schema:streetAddress, schema:postalCode, schema:addressLocality)) }} }}""")
        for r in contact:
            health[r["o"].value][r["p"].value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = r["v"].value
    order = {a: i for i, a in enumerate(scope)}
    key = lambda d: (order.get(d["for"], 99), d["iri"])  # noqa: E731 - nearest area first
    return sorted(health.values(), key=key), sorted(youth.values(), key=key)


def participations(store: QueryStore, areas: Iterable[str]) -> list[dict[str, Any]]:
    """Every stated participation of the given areas in a programme — directly, or in a cooperation
    or project within it — with role(s), since when (the participation's date, else its
    context's), the context, and the source document."""
    wanted = sorted(set(areas))
    if not wanted:
        return []
    rows = _q(store, f"""SELECT ?a ?p ?ctx ?programme ?role ?ps ?cs ?source WHERE {{
      VALUES ?a {{ {_values(wanted)} }}
      ?p hn:participant ?a ; hn:participationIn ?ctx .
      ?ctx hn:withinProgramme? ?programme . FILTER EXISTS {{ ?programme a hn:Programme }}
      OPTIONAL {{ ?p hn:role ?role }} OPTIONAL {{ ?p hn:startDate ?ps }} OPTIONAL {{ ?ctx hn:startDate ?cs }}
      OPTIONAL {{ ?p hn:statedIn ?source }} }}""")
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        a, prog, ctx = r["a"].value, r["programme"].value, r["ctx"].value
        entry = out.setdefault((a, prog, r["p"].value), {
            "area": a, "programme": prog, "context": ctx, "via": "programme" if ctx == prog else "context",
            "participation": r["p"].value, "roles": [], "since": None, "sources": [],
        })
        since = _v(r, "ps") or _v(r, "cs")
        if since and (entry["since"] is None or since < entry["since"]):
            entry["since"] = since
        for name, field in (("role", "roles"), ("source", "sources")):
            v = _v(r, name)
            if v and v not in entry[field]:
                entry[field].append(v)
    for e in out.values():
        e["roles"].sort()
        e["sources"].sort()
    return sorted(out.values(), key=lambda e: (e["area"], e["since"] or "9999", e["programme"], e["participation"]))


def _cooperations(store: QueryStore, iri: str) -> list[dict[str, Any]]:
    """Cooperations, networks and committees the area takes part in. Two steps: its participations
    first (an index lookup by participant), then their contexts' details — one query starting from
    `?c a hn:Cooperation` took 1–2 s on the graph with a million SYNTHETIC triples."""
    parts = _q(store, f"""SELECT DISTINCT ?p ?c WHERE {{
      {{ ?p hn:participant {_ref(iri)} ; hn:participationIn ?c }}
      UNION {{ ?p hn:participant {_ref(iri)} . ?c hn:hasParticipation ?p }} }}""")
    if not parts:
        return []
    pairs = " ".join(f"({_ref(r['p'].value)} {_ref(r['c'].value)})" for r in parts)
    rows = _q(store, f"""SELECT ?c ?t ?role ?since ?programme ?partner ?source WHERE {{
      VALUES (?p ?c) {{ {pairs} }}
      ?c a ?t FILTER(?t IN (hn:Cooperation, hn:Network, hn:Committee))
      OPTIONAL {{ ?p hn:role ?role }} OPTIONAL {{ ?p hn:startDate ?since }}
      OPTIONAL {{ ?c hn:withinProgramme ?programme }}
      OPTIONAL {{ {{ ?c hn:hasParticipation ?q }} UNION {{ ?q hn:participationIn ?c }}
                 ?q hn:participant ?partner FILTER(?partner != {_ref(iri)}) }}
      OPTIONAL {{ ?p hn:statedIn ?source }} }}""")
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = r["c"].value
        e = out.setdefault(c, {"iri": c, "kind": r["t"].value.rsplit("#", 1)[-1], "roles": [], "since": None,
                               "programme": None, "partners": [], "sources": []})
        for name, field in (("role", "roles"), ("partner", "partners"), ("source", "sources")):
            v = _v(r, name)
            if v and v not in e[field]:
                e[field].append(v)
        e["since"] = e["since"] or _v(r, "since")
        e["programme"] = e["programme"] or _v(r, "programme")
    for e in out.values():
        for f in ("roles", "partners", "sources"):
            e[f].sort()
    return sorted(out.values(), key=lambda e: e["iri"])


def _serving(store: QueryStore, scope: list[str], classes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Resources of `classes` that serve, are responsible for, or are a unit of an area in `scope`."""
    rows = _q(store, f"""SELECT DISTINCT ?x ?t ?a ?source WHERE {{
      VALUES ?a {{ {_values(scope)} }}
      ?x hn:areaServed|hn:responsibleFor|hn:unitOf ?a . ?x a ?t FILTER(?t IN ({", ".join("hn:" + c for c in classes)}))
      OPTIONAL {{ ?x hn:statedIn ?source }} }}""")
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        x = r["x"].value
        e = out.setdefault(x, {"iri": x, "kind": r["t"].value.rsplit("#", 1)[-1], "for": r["a"].value,
                               "sources": []})
        src = _v(r, "source")
        if src and src not in e["sources"]:
            e["sources"].append(src)
    order = {a: i for i, a in enumerate(scope)}
    return sorted(out.values(), key=lambda e: (order.get(e["for"], 99), e["iri"]))


def _actors(store: QueryStore, iri: str) -> list[dict[str, Any]]:
    """Organisations and persons located in the area: units of it, organisations serving it or
    responsible for it, holders of posts in it (health offices are listed under "responsible")."""
    rows = _q(store, f"""SELECT DISTINCT ?x ?rel ?source WHERE {{
      {{ ?x ?rel {_ref(iri)} . VALUES ?rel {{ hn:unitOf hn:subOrganisationOf hn:areaServed hn:responsibleFor }}
         FILTER EXISTS {{ ?x a ?xt FILTER(?xt IN (hn:Organisation, hn:Person)) }}
         FILTER NOT EXISTS {{ ?x a hn:HealthOffice }} }}
      UNION {{ ?post hn:postIn {_ref(iri)} ; org:heldBy ?x . BIND(hn:postIn AS ?rel) }}
      OPTIONAL {{ ?x hn:statedIn ?source }} }} ORDER BY ?x LIMIT 500""")
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        x = r["x"].value
        e = out.setdefault(x, {"iri": x, "relations": [], "sources": []})
        for name, field in (("rel", "relations"), ("source", "sources")):
            v = _v(r, name)
            if v and v not in e[field]:
                e[field].append(v)
    return list(out.values())


def _events(store: QueryStore, iri: str) -> list[dict[str, Any]]:
    rows = _q(store, f"""SELECT ?e (MIN(STR(?d)) AS ?date) (SAMPLE(?s) AS ?source) WHERE {{
      {{ ?e hn:location {_ref(iri)} }} UNION {{ ?e dct:spatial {_ref(iri)} }} UNION {{ ?e schema:location {_ref(iri)} }}
      FILTER EXISTS {{ ?e a hn:Event }}
      OPTIONAL {{ ?e hn:startDate|schema:startDate ?d }} OPTIONAL {{ ?e hn:statedIn ?s }} }}
      GROUP BY ?e ORDER BY ?date ?e""")
    return [{"iri": r["e"].value, "date": _v(r, "date"), "source": _v(r, "source")} for r in rows]


def _projects(store: QueryStore, iri: str) -> list[dict[str, Any]]:
    rows = _q(store, f"""SELECT ?x (SAMPLE(?p) AS ?programme) (SAMPLE(?s) AS ?source) WHERE {{
      ?x hn:areaServed {_ref(iri)} . FILTER EXISTS {{ ?x a hn:Project }}
      OPTIONAL {{ ?x hn:withinProgramme ?p }} OPTIONAL {{ ?x hn:statedIn ?s }} }} GROUP BY ?x ORDER BY ?x""")
    return [{"iri": r["x"].value, "programme": _v(r, "programme"), "source": _v(r, "source")} for r in rows]


def life_phases(store: QueryStore) -> list[str]:
    """The life phases of the prevention chain in their order (ontology/schemes/life-phase.ttl)."""
    rows = _q(store, f"""SELECT ?c ?o WHERE {{ ?c skos:inScheme {_ref(LIFE_PHASE_SCHEME)} ; hn:order ?o }}""")
    return [r["c"].value for r in sorted(rows, key=lambda r: (int(r["o"].value), r["c"].value))]


def prevention_chain(store: QueryStore, own: str, surrounding: str | None) -> dict[str, Any]:
    """The offers serving the area (`own`) and its Kreis (`surrounding`), life phase by life phase
    in the order of the scheme, each with its target groups; a phase is a gap when neither the
    area nor its Kreis has an offer in it (`ownGap`: when the area itself has none)."""
    phases = life_phases(store)
    scope = [own] + ([surrounding] if surrounding else [])
    rows = _q(store, f"""SELECT ?o ?a ?lp ?tg ?provider ?source WHERE {{
      VALUES ?a {{ {_values(scope)} }}
      ?o hn:areaServed ?a ; hn:lifePhase ?lp . FILTER EXISTS {{ ?o a hn:Offer }}
      OPTIONAL {{ ?o hn:targetGroup ?tg }} OPTIONAL {{ ?o hn:provider ?provider }}
      OPTIONAL {{ ?o hn:statedIn ?source }} }}""")
    offers: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        k = (r["lp"].value, r["a"].value, r["o"].value)
        e = offers.setdefault(k, {"iri": r["o"].value, "targetGroups": [], "providers": [], "sources": []})
        for name, field in (("tg", "targetGroups"), ("provider", "providers"), ("source", "sources")):
            v = _v(r, name)
            if v and v not in e[field]:
                e[field].append(v)
    out = []
    for lp in phases:
        mine = sorted((v for (p, a, _), v in offers.items() if p == lp and a == own), key=lambda v: v["iri"])
        theirs = sorted((v for (p, a, _), v in offers.items() if p == lp and a == surrounding),
                        key=lambda v: v["iri"])
        for offer in mine + theirs:
            for f in ("targetGroups", "providers", "sources"):
                offer[f].sort()
        out.append({"lifePhase": lp, "own": mine, "surrounding": theirs,
                    "gap": not mine and not theirs, "ownGap": not mine})
    target_groups = sorted({tg for v in offers.values() for tg in v["targetGroups"]})
    # per target group: the phases in which an offer (the area's or its Kreis's) addresses it, and its gaps
    by_group = [{"targetGroup": tg,
                 "phases": [lp for lp in phases if any(tg in v["targetGroups"] for (p, _, _), v in offers.items()
                                                       if p == lp)],
                 } for tg in target_groups]
    for g in by_group:
        g["gaps"] = [lp for lp in phases if lp not in g["phases"]]
    return {"area": own, "surroundingArea": surrounding, "phases": out, "targetGroups": target_groups,
            "byTargetGroup": by_group,
            "gaps": [p["lifePhase"] for p in out if p["gap"]]}


def members(store: QueryStore, iri: str, kind: str) -> list[dict[str, Any]]:
    """The Gemeinden of a Kreis (or of a Gemeindeverband) with key, population and their programme
    participation, each Gemeinde once, in the order of the official key."""
    link = "hn:memberOfAssociation" if kind == "association" else "hn:partOf"
    rows = _q(store, f"""SELECT ?g (SAMPLE(?k) AS ?ags) (SAMPLE(?p) AS ?pop) (SAMPLE(?d) AS ?date) WHERE {{
      ?g {link} {_ref(iri)} . FILTER EXISTS {{ ?g a ?gt FILTER(?gt IN (hn:Municipality, hn:UnincorporatedArea)) }}
      OPTIONAL {{ ?g hn:ags ?k }} OPTIONAL {{ ?g hn:population ?p }} OPTIONAL {{ ?g hn:populationDate ?d }}
    }} GROUP BY ?g ORDER BY ?ags ?g""")
    parts = participations(store, [r["g"].value for r in rows])
    by_area: dict[str, list[dict[str, Any]]] = {}
    for p in parts:
        by_area.setdefault(p["area"], []).append(p)
    return [{"iri": r["g"].value, "ags": _v(r, "ags"), "population": literal_json(r["pop"]),
             "populationDate": _v(r, "date"), "participations": by_area.get(r["g"].value, [])} for r in rows]


def _districts_below(store: QueryStore, iri: str, kind: str) -> list[str]:
    """The Kreise within a Land, Regierungsbezirk, region or Germany, found by walking `hn:partOf`
    downwards one index lookup at a time and stopping at each Kreis. Why not SPARQL: the planner
    evaluates `?k hn:partOf+ <land>` (or its bounded unions) from the wrong end — 0.3 s for NRW,
    15 s for Rheinland-Pfalz on the real graph — where this walk needs a few milliseconds."""
    part_of, rdf_type = ox.NamedNode(HN + "partOf"), ox.NamedNode(ns.RDF + "type")
    district, municipal = ox.NamedNode(HN + "District"), ox.NamedNode(HN + "Municipality")
    association = ox.NamedNode(HN + "MunicipalAssociation")

    def has(node: ox.NamedNode, cls: ox.NamedNode) -> bool:
        return next(iter(store.quads_for_pattern(node, rdf_type, cls)), None) is not None

    start = ox.NamedNode(iri)
    frontier: list[ox.NamedNode] = [start]
    if kind == "region":
        frontier = []
        for p in ("covers", "coversGovernmentRegion"):
            frontier += [q.object for q in store.quads_for_pattern(start, ox.NamedNode(HN + p), None)
                         if isinstance(q.object, ox.NamedNode)]
    found: dict[str, None] = {}
    seen: set[str] = set()
    while frontier:
        nxt: list[ox.NamedNode] = []
        for node in frontier:
            if node.value in seen:
                continue
            seen.add(node.value)
            if node != start and has(node, district):
                found[node.value] = None
                continue
            for q in store.quads_for_pattern(None, part_of, node):
                child = q.subject
                if isinstance(child, ox.NamedNode) and child.value not in seen \
                        and not has(child, municipal) and not has(child, association):
                    nxt.append(child)
        frontier = nxt
    return sorted(found)


def coverage(store: QueryStore, iri: str, kind: str) -> dict[str, Any]:
    """Programme coverage within a Land (Regierungsbezirk, region, Germany): one row per Kreis
    (for Germany: per Land) with its Gemeinden, how many take part in a programme themselves and
    how many including the participation of their Kreis, the population share so covered; and
    one summary row per programme. A kreisfreie Stadt that takes part counts as its Gemeinde
    taking part itself; a Kreis that takes part covers all its Gemeinden (as in the named query
    population-in-programme-municipalities)."""
    kreis_iris = _districts_below(store, iri, kind)
    krows = _q(store, f"""SELECT ?k ?t WHERE {{ VALUES ?k {{ {_values(kreis_iris)} }}
      OPTIONAL {{ ?k a ?t FILTER(?t = hn:UrbanDistrict) }} }}""") if kreis_iris else []
    kreise: dict[str, dict[str, Any]] = {}
    for r in krows:
        e = kreise.setdefault(r["k"].value, {"iri": r["k"].value, "urban": False, "gemeinden": set()})
        e["urban"] = e["urban"] or _v(r, "t") == HN + "UrbanDistrict"
    # the Gemeinden by the Kreise found (a join with the path above costs 0.1–1 s; this ~40 ms for NRW)
    rows = _q(store, f"""SELECT ?k ?g ?pop WHERE {{ VALUES ?k {{ {_values(kreise)} }}
      ?g hn:partOf ?k . FILTER EXISTS {{ ?g a hn:Municipality }} OPTIONAL {{ ?g hn:population ?pop }} }}""") \
        if kreise else []
    gemeinde_pop: dict[str, int] = {}
    for r in rows:
        g = r["g"].value
        kreise[r["k"].value]["gemeinden"].add(g)
        pop = literal_json(r["pop"])
        gemeinde_pop[g] = max(gemeinde_pop.get(g, 0), pop if isinstance(pop, int) else 0)
    parts = participations(store, list(kreise) + list(gemeinde_pop))
    programmes: dict[str, dict[str, set[str]]] = {}  # programme -> {"self": gemeinden, "all": gemeinden, "kreise"}
    for p in parts:
        a, prog = p["area"], p["programme"]
        bucket = programmes.setdefault(prog, {"self": set(), "all": set(), "kreise": set()})
        if a in kreise:
            bucket["kreise"].add(a)
            bucket["all"] |= kreise[a]["gemeinden"]
            if kreise[a]["urban"]:
                bucket["self"] |= kreise[a]["gemeinden"]
        else:
            bucket["self"].add(a)
            bucket["all"].add(a)
            bucket["kreise"] |= {k for k, e in kreise.items() if a in e["gemeinden"]}
    total_pop = sum(gemeinde_pop.values())
    table = []
    for k, e in kreise.items():
        gem = e["gemeinden"]
        covered_self = set().union(*(b["self"] for b in programmes.values())) & gem if programmes else set()
        covered_all = set().union(*(b["all"] for b in programmes.values())) & gem if programmes else set()
        kpop = sum(gemeinde_pop[g] for g in gem)
        table.append({
            "iri": k, "urban": e["urban"], "population": kpop, "gemeinden": len(gem),
            "gemeindenSelf": len(covered_self), "gemeindenInclKreis": len(covered_all),
            "populationCovered": sum(gemeinde_pop[g] for g in covered_all),
            "share": round(100 * sum(gemeinde_pop[g] for g in covered_all) / kpop, 1) if kpop else 0.0,
            "programmes": sorted(p for p, b in programmes.items() if (b["all"] & gem) or k in b["kreise"]),
        })
    table.sort(key=lambda r: r["iri"])
    summary = []
    for prog, b in sorted(programmes.items()):
        pop_all = sum(gemeinde_pop[g] for g in b["all"])
        summary.append({
            "programme": prog, "kreise": len(b["kreise"]), "gemeindenSelf": len(b["self"]),
            "populationSelf": sum(gemeinde_pop[g] for g in b["self"]),
            "gemeindenInclKreis": len(b["all"]), "populationInclKreis": pop_all,
            "share": round(100 * pop_all / total_pop, 1) if total_pop else 0.0,
        })
    return {"kreise": len(kreise), "gemeinden": len(gemeinde_pop), "population": total_pop,
            "rows": table, "programmes": summary}


# --- the checklist of the guide --------------------------------------------------------------------------

#: The steps of building a network as the guide names them: (key, quote from the guide, de, en).
GUIDE_STEPS: tuple[tuple[str, str, str, str], ...] = (
    ("problem", "von der Identifikation des Problems", "Das Problem ist erkannt",
     "The problem is identified"),
    ("resolution", "Fassen Sie einen Beschluss!", "Ein Beschluss ist gefasst", "A resolution has been passed"),
    ("coordination", "kommunal koordinierter Hilfe", "Es gibt eine Koordinierungsstelle",
     "There is a coordination office"),
    ("network", "ein gut funktionierendes kommunales Netzwerk", "Es gibt ein Netzwerk", "There is a network"),
    ("offers", "Hilfe- und Unterstützungsangebote", "Es gibt Angebote", "There are offers"),
    ("implementation", "bis hin zur Umsetzung", "Die Umsetzung läuft (Programm, Projekt)",
     "Implementation is under way (programme, project)"),
)


def checklist(store: QueryStore, iri: str, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Each step of the guide with the resources the data states for this area as its evidence;
    an empty `evidence` means the data says nothing yet (not that the step is missing)."""
    problem = _q(store, f"""SELECT DISTINCT ?x WHERE {{
      {{ ?x hn:areaServed|hn:location|dct:spatial {_ref(iri)} }}
      UNION {{ ?p hn:participant {_ref(iri)} ; hn:participationIn ?x }}
      ?x hn:topic|hn:targetGroup|dct:subject ?c .
      FILTER(?c = {_ref(PROBLEM_TOPIC)} || STRSTARTS(STR(?c), "{PROBLEM_TARGET_PREFIX}")) }} ORDER BY ?x""")
    resolutions = _q(store, f"""SELECT DISTINCT ?r WHERE {{ ?r a hn:CouncilResolution ; hn:decidedBy ?b .
      {{ FILTER(?b = {_ref(iri)}) }} UNION {{ ?b hn:unitOf|hn:areaServed|hn:subOrganisationOf {_ref(iri)} }}
    }} ORDER BY ?r""")
    coordination = [c["iri"] for c in profile["coordinationOffices"] if c["for"] == iri]
    network = [c["iri"] for c in profile["networks"] if c["for"] == iri] + [c["iri"] for c in profile["cooperations"]]
    offers = sorted({o["iri"] for ph in profile["preventionChain"]["phases"] for o in ph["own"]})
    implementation = sorted({p["programme"] for p in profile["programmes"] if p["area"] == iri}
                            | {p["iri"] for p in profile["projects"]})
    evidence = {
        "problem": [r["x"].value for r in problem], "resolution": [r["r"].value for r in resolutions],
        "coordination": coordination, "network": sorted(set(network)), "offers": offers,
        "implementation": implementation,
    }
    return [{"step": key, "quote": quote, "de": de, "en": en, "evidence": evidence[key],
             "source": GUIDE_SOURCE} for key, quote, de, en in GUIDE_STEPS]


# --- the whole profile ----------------------------------------------------------------------------------


def area_profile(store: QueryStore, iri: str, lang: str = "de") -> dict[str, Any] | None:
    """The profile of the area `iri` (see the module docstring); None if it is not an area."""
    basics = _basics(store, iri)
    if not basics["types"]:
        return None
    kind = basics["kind"]
    ancestors = _ancestors(store, iri)
    kreis = next((a["iri"] for a in ancestors if a["kind"] in DISTRICT_KINDS), None)
    land = next((a["iri"] for a in ancestors if a["kind"] == "land"), None)
    scope = [iri] + [a["iri"] for a in ancestors]
    health, youth = _responsible(store, scope)
    programmes = participations(store, [iri] + ([kreis] if kreis else []) + ([land] if land else []))
    profile: dict[str, Any] = {
        "iri": iri, "key": area_key(iri), **basics,
        "kreis": kreis, "land": land, "ancestors": ancestors,
        "healthOffices": health, "youthWelfareOffices": youth,
        "programmes": programmes, "projects": _projects(store, iri),
        "programmesServing": _serving(store, [iri], ("Programme",)),
        "cooperations": _cooperations(store, iri),
        "networks": _serving(store, [iri] + ([kreis] if kreis else []), ("Network",)),
        "coordinationOffices": _serving(store, scope, ("CoordinationOffice",)),
        "actors": _actors(store, iri), "events": _events(store, iri),
        "preventionChain": prevention_chain(store, iri, kreis if kind in MUNICIPAL_KINDS else None),
        "members": members(store, iri, kind) if kind in DISTRICT_KINDS or kind == "association" else None,
        "coverage": coverage(store, iri, kind) if kind in COVERAGE_KINDS else None,
    }
    profile["checklist"] = checklist(store, iri, profile)
    profile["labels"] = labels(store, _iris(profile), lang)
    profile["label"] = profile["labels"].get(iri, tail(iri))
    return profile


def _iris(data: Any) -> set[str]:
    """Every IRI mentioned in the profile (for the one label lookup)."""
    found: set[str] = set()
    if isinstance(data, str):
        if data.startswith(("https://", "http://")):
            found.add(data)
    elif isinstance(data, dict):
        for v in data.values():
            found |= _iris(v)
    elif isinstance(data, (list, tuple, set)):
        for v in data:
            found |= _iris(v)
    return found
