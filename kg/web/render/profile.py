"""HTML of the area profiles (`/gebiet/{key}`) and the comparison (`/vergleich`).

Why a module beside pages.py: the profile is a page for people in the field — a municipal
representative reads it, not an RDF browser user — so it shows sections with plain headings,
numbers and dates as people write them (603.462; 15. Juli 2013) and says plainly where the data
has nothing yet. It uses the site's frame (`pages.layout`) and its escaping helper (`pages.e`):
everything from the store goes through `e()`.

The page is rendered only from the profile dict of kg.query.profile — the same dict the JSON
answer is — so the HTML cannot show what the JSON does not contain.
Tables that users sort (the coverage of a Land) are plain tables; /static/sortable.js adds
sort buttons to their headers where JavaScript runs (progressive enhancement).
"""

from __future__ import annotations

from typing import Any

from kg import rdf as ns
from kg.i18n import Msg
from kg.web.render.pages import PageContext, e, format_date, layout, local_href

CONTRIBUTE = "/beitragen"

T: dict[str, Msg] = {
    "profile": Msg("Profil", "Profile"),
    "glance": Msg("Auf einen Blick", "At a glance"),
    "population": Msg("Einwohnerinnen und Einwohner", "Population"),
    "area": Msg("Fläche", "Area"),
    "as_of": Msg("Stand", "as of"),
    "ags": Msg("Amtlicher Gemeindeschlüssel", "Official municipality key"),
    "ars": Msg("Amtlicher Regionalschlüssel", "Official regional key"),
    "kreis": Msg("Kreis", "District (Kreis)"),
    "land": Msg("Land", "Land (state)"),
    "within": Msg("Liegt in", "Lies within"),
    "association": Msg("Gemeindeverband", "Municipal association"),
    "responsible": Msg("Zuständig", "Responsible"),
    "health": Msg("Gesundheitsamt", "Health office"),
    "youth": Msg("Jugendamt", "Youth welfare office"),
    "state_youth": Msg("Landesjugendamt", "State youth welfare office"),
    "for_area": Msg("zuständig für", "responsible for"),
    "programmes": Msg("Programme", "Programmes"),
    "programme": Msg("Programm", "Programme"),
    "participant": Msg("Teilnehmend", "Taking part"),
    "role": Msg("Rolle", "Role"),
    "since": Msg("seit", "since"),
    "via": Msg("über", "through"),
    "source": Msg("Quelle", "Source"),
    "projects": Msg("Projekte vor Ort", "Local projects"),
    "serving": Msg("Programme für dieses Gebiet", "Programmes for this area"),
    "cooperation": Msg("Kooperationen, Netzwerke und Koordinierungsstellen",
                       "Cooperations, networks and coordination offices"),
    "cooperations": Msg("Kooperationen", "Cooperations"),
    "partners": Msg("Partner", "Partners"),
    "networks": Msg("Netzwerke", "Networks"),
    "coordination": Msg("Koordinierungsstellen", "Coordination offices"),
    "actors": Msg("Akteure vor Ort", "Local actors"),
    "events": Msg("Veranstaltungen hier", "Events held here"),
    "date": Msg("Datum", "Date"),
    "chain": Msg("Präventionskette", "Prevention chain"),
    "chain_intro": Msg(
        "Angebote Lebensphase für Lebensphase, von der Schwangerschaft bis zum Berufseinstieg. "
        "Eine Lücke ist eine Phase, in der weder die Gemeinde noch ihr Kreis ein Angebot hat, das die Daten nennen.",
        "Offers life phase by life phase, from pregnancy to career entry. A gap is a phase in which neither "
        "the municipality nor its district has an offer that the data names."),
    "life_phase": Msg("Lebensphase", "Life phase"),
    "own_offers": Msg("Angebote hier", "Offers here"),
    "kreis_offers": Msg("Angebote des Kreises", "Offers of the district"),
    "status": Msg("Stand", "Status"),
    "gap": Msg("Lücke", "Gap"),
    "covered": Msg("abgedeckt", "covered"),
    "covered_kreis": Msg("nur über den Kreis", "only through the district"),
    "target_groups": Msg("Zielgruppen", "Target groups"),
    "by_group": Msg("Je Zielgruppe: Lebensphasen mit Angebot (hier oder im Kreis) und Lücken",
                    "Per target group: life phases with an offer (here or in the district) and gaps"),
    "none": Msg("–", "–"),
    "members": Msg("Gemeinden", "Municipalities"),
    "member": Msg("Gemeinde", "Municipality"),
    "members_caption": Msg("Die Gemeinden und ihre Teilnahme an Programmen",
                           "The municipalities and their participation in programmes"),
    "no_participation": Msg("keine Teilnahme in den Daten", "no participation in the data"),
    "coverage": Msg("Programmabdeckung", "Programme coverage"),
    "coverage_intro": Msg(
        "Ein Kreis, der teilnimmt, deckt alle seine Gemeinden ab; eine kreisfreie Stadt zählt als ihre Gemeinde. "
        "Bevölkerung: Summe der Gemeinden.",
        "A district that takes part covers all its municipalities; an urban district counts as its "
        "municipality. Population: the sum of the municipalities."),
    "by_programme": Msg("Je Programm", "Per programme"),
    "by_kreis": Msg("Je Kreis", "Per district"),
    "kreise_part": Msg("Kreise mit Teilnahme", "Districts taking part"),
    "gem_self": Msg("Gemeinden selbst", "Municipalities themselves"),
    "gem_incl": Msg("Gemeinden inkl. Kreis", "Municipalities incl. district"),
    "pop_incl": Msg("Bevölkerung inkl. Kreis", "Population incl. district"),
    "share": Msg("Anteil an der Bevölkerung", "Share of population"),
    "gemeinden": Msg("Gemeinden", "Municipalities"),
    "checklist": Msg("Schritt für Schritt zum Netzwerk", "Step by step to a network"),
    "checklist_intro": Msg(
        "Die Arbeitsschritte zum Aufbau eines Netzwerks, wie sie der Leitfaden nennt; je Schritt, was die "
        "Daten für dieses Gebiet belegen.",
        "The steps of building a network as the guide names them; for each step, what the data shows for "
        "this area."),
    "guide": Msg("Leitfaden", "Guide"),
    "evidence": Msg("Belege", "Evidence"),
    "no_data": Msg("Dazu enthalten die Daten noch nichts.", "The data has nothing on this yet."),
    "contribute": Msg("Daten beitragen", "Contribute data"),
    "linked_data": Msg("Alle Angaben als Linked Data", "All statements as linked data"),
    "json": Msg("als JSON", "as JSON"),
    "compare": Msg("Vergleichen", "Compare"),
    "compare_title": Msg("Zwei Gebiete im Vergleich", "Two areas side by side"),
    "compare_intro": Msg("Schlüssel (AGS/ARS) oder Kennung zweier Gebiete, z. B. 05562014 und 05562004.",
                         "Keys (AGS/ARS) or identifiers of two areas, e.g. 05562014 and 05562004."),
    "first": Msg("Erstes Gebiet", "First area"),
    "second": Msg("Zweites Gebiet", "Second area"),
    "show": Msg("Anzeigen", "Show"),
    "unknown_area": Msg("Kein Gebiet mit diesem Schlüssel", "No area with this key"),
    "aspect": Msg("Angabe", "Aspect"),
    "yes_data": Msg("belegt", "documented"),
    "kind": Msg("Art", "Kind"),
}

KIND_NAMES: dict[str, Msg] = {
    "municipality": Msg("Gemeinde", "Municipality"),
    "unincorporated": Msg("Gemeindefreies Gebiet", "Unincorporated area"),
    "association": Msg("Gemeindeverband", "Municipal association"),
    "urban-district": Msg("Kreisfreie Stadt", "Urban district"),
    "rural-district": Msg("Kreis", "Rural district"),
    "district": Msg("Kreis", "District"),
    "government-region": Msg("Regierungsbezirk", "Government region"),
    "statistical-region": Msg("Statistische Region", "Statistical region"),
    "region": Msg("Landesteil", "Region"),
    "land": Msg("Land", "Land (state)"),
    "country": Msg("Staat", "Country"),
    "area": Msg("Gebiet", "Area"),
}

CSS_LINK = ('<link rel="stylesheet" href="{root}/static/profile.css">'
            '<script src="{root}/static/sortable.js" defer></script>')


def t(key: str, lang: str) -> str:
    return T[key].text(lang)


# --- numbers and dates for people ------------------------------------------------------------------------


def fmt_int(value: Any, lang: str) -> str:
    """603462 → "603.462" (de) or "603,462" (en)."""
    if not isinstance(value, (int, float)):
        return str(value) if value is not None else ""
    text = f"{int(value):,}"
    return text.replace(",", ".") if lang == "de" else text


def fmt_decimal(value: Any, lang: str, digits: int = 2) -> str:
    """35.97 → "35,97" (de) or "35.97" (en), thousands grouped."""
    if not isinstance(value, (int, float)):
        return str(value) if value is not None else ""
    text = f"{value:,.{digits}f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def fmt_date(value: Any, lang: str) -> str:
    """ISO dates as people write them: "2013-07-15" → "15. Juli 2013" / "15 July 2013";
    "2019-09" → "September 2019"; "2012" stays "2012" (pages.format_date, without a time)."""
    if not isinstance(value, str) or not value:
        return ""
    return format_date(value[:10], "", lang)


# --- small pieces ----------------------------------------------------------------------------------------


def profile_href(ctx: PageContext, iri: str) -> str:
    return f"{ctx.root}/gebiet/{e(iri.rsplit('/area/', 1)[-1])}"


def _label(p: dict[str, Any], iri: str | None) -> str:
    if not iri:
        return ""
    return str(p["labels"].get(iri) or iri.rsplit("/", 1)[-1])


def _link(ctx: PageContext, p: dict[str, Any], iri: str | None) -> str:
    """A link to a resource's page; areas link to their profile."""
    if not iri:
        return ""
    href = profile_href(ctx, iri) if iri.startswith(ns.HNID + "area/") else e(local_href(iri, ctx.root))
    return f'<a href="{href}">{e(_label(p, iri))}</a>'


def _links(ctx: PageContext, p: dict[str, Any], iris: list[str]) -> str:
    return ", ".join(_link(ctx, p, i) for i in iris)


def _no_data(ctx: PageContext) -> str:
    return (f'<p class="nodata">{e(t("no_data", ctx.lang))} '
            f'<a href="{e(ctx.root)}{CONTRIBUTE}">{e(t("contribute", ctx.lang))}</a></p>')


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}" aria-labelledby="{sid}-h"><h2 id="{sid}-h">{e(title)}</h2>{body}</section>'


def _kind(lang: str, kind: str) -> str:
    return KIND_NAMES.get(kind, KIND_NAMES["area"]).text(lang)


# --- the sections ----------------------------------------------------------------------------------------


def _glance(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    rows: list[tuple[str, str]] = [(t("kind", lang), e(_kind(lang, p["kind"])))]
    if p.get("population"):
        pop = p["population"]
        rows.append((t("population", lang), f'<span class="num">{e(fmt_int(pop["value"], lang))}</span>'
                     f' <span class="muted">({e(t("as_of", lang))} {e(fmt_date(pop["date"], lang))})</span>'))
    if p.get("area"):
        ar = p["area"]
        rows.append((t("area", lang), f'<span class="num">{e(fmt_decimal(ar["value"], lang))} km²</span>'
                     f' <span class="muted">({e(t("as_of", lang))} {e(fmt_date(ar["date"], lang))})</span>'))
    if p.get("kreis"):
        rows.append((t("kreis", lang), _link(ctx, p, p["kreis"])))
    if p.get("land") and p["land"] != p["iri"]:
        rows.append((t("land", lang), _link(ctx, p, p["land"])))
    others = [a["iri"] for a in p["ancestors"] if a["iri"] not in (p.get("kreis"), p.get("land"))]
    if others:
        rows.append((t("within", lang), _links(ctx, p, others)))
    if p.get("association"):
        rows.append((t("association", lang), _link(ctx, p, p["association"])))
    if p.get("ags"):
        rows.append((t("ags", lang), e(p["ags"])))
    if p.get("ars"):
        rows.append((t("ars", lang), e(p["ars"])))
    items = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return _section("glance", t("glance", lang), f'<dl class="glance">{items}</dl>')


def _responsible(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    parts = []
    for key, offices in (("health", p["healthOffices"]), ("youth", p["youthWelfareOffices"])):
        if offices:
            items = []
            for o in offices:
                addr = ", ".join(e(o[k]) for k in ("streetAddress", "postalCode", "addressLocality") if o.get(k))
                contact = " · ".join(e(o[k]) for k in ("telephone", "email") if o.get(k))
                kind = t("state_youth", lang) if o.get("state") else ""
                items.append(
                    f"<li>{_link(ctx, p, o['iri'])}{f' ({e(kind)})' if kind else ''}"
                    f' <span class="muted">{e(t("for_area", lang))} {_link(ctx, p, o["for"])}</span>'
                    + (f"<br>{addr}" if addr else "") + (f"<br>{contact}" if contact else "") + "</li>")
            body = f'<ul class="plain">{"".join(items)}</ul>'
        else:
            body = _no_data(ctx)
        parts.append(f'<h3 id="{key}">{e(t(key, lang))}</h3>{body}')
    return _section("responsible", t("responsible", lang), "".join(parts))


def _programmes(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    if not p["programmes"] and not p["projects"] and not p["programmesServing"]:
        return _section("programmes", t("programmes", lang), _no_data(ctx))
    rows = "".join(
        f"<tr><th scope=\"row\">{_link(ctx, p, x['programme'])}</th><td>{_link(ctx, p, x['area'])}</td>"
        f"<td>{_links(ctx, p, x['roles'])}</td><td>{e(fmt_date(x['since'], lang))}</td>"
        f"<td>{_link(ctx, p, x['context']) if x['via'] != 'programme' else ''}</td>"
        f"<td>{_links(ctx, p, x['sources'])}</td></tr>"
        for x in p["programmes"])
    body = ""
    if rows:
        body = (f'<div class="scroll"><table class="data"><caption>{e(t("programmes", lang))}: '
                f'{e(p["label"])}</caption><thead><tr>'
                + "".join(f'<th scope="col">{e(t(k, lang))}</th>'
                          for k in ("programme", "participant", "role", "since", "via", "source"))
                + f"</tr></thead><tbody>{rows}</tbody></table></div>")
    if p["programmesServing"]:
        body += f'<h3>{e(t("serving", lang))}</h3><ul class="plain">' + "".join(
            f"<li>{_link(ctx, p, x['iri'])}</li>" for x in p["programmesServing"]) + "</ul>"
    if p["projects"]:
        body += f'<h3>{e(t("projects", lang))}</h3><ul class="plain">' + "".join(
            f"<li>{_link(ctx, p, x['iri'])}"
            + (f" ({e(t('programme', lang))}: {_link(ctx, p, x['programme'])})" if x["programme"] else "")
            + "</li>" for x in p["projects"]) + "</ul>"
    return _section("programmes", t("programmes", lang), body)


def _cooperation(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    parts = []
    if p["cooperations"]:
        items = "".join(
            f"<li>{_link(ctx, p, c['iri'])} <span class=\"muted\">({e(fmt_date(c['since'], lang))})</span>"
            f"<br>{e(t('role', lang))}: {_links(ctx, p, c['roles'])}"
            + (f"<br>{e(t('partners', lang))}: {_links(ctx, p, c['partners'])}" if c["partners"] else "")
            + (f"<br>{e(t('programme', lang))}: {_link(ctx, p, c['programme'])}" if c["programme"] else "")
            + f"<br>{e(t('source', lang))}: {_links(ctx, p, c['sources'])}</li>"
            for c in p["cooperations"])
        parts.append(f'<h3>{e(t("cooperations", lang))}</h3><ul class="plain">{items}</ul>')
    else:
        parts.append(f'<h3>{e(t("cooperations", lang))}</h3>{_no_data(ctx)}')
    for key, entries in (("networks", p["networks"]), ("coordination", p["coordinationOffices"])):
        if entries:
            items = "".join(f"<li>{_link(ctx, p, x['iri'])} <span class=\"muted\">{e(t('for_area', lang))} "
                            f"{_link(ctx, p, x['for'])}</span></li>" for x in entries)
            parts.append(f'<h3>{e(t(key, lang))}</h3><ul class="plain">{items}</ul>')
        else:
            parts.append(f'<h3>{e(t(key, lang))}</h3>{_no_data(ctx)}')
    return _section("cooperation", t("cooperation", lang), "".join(parts))


def _actors_events(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    actors = ('<ul class="plain">' + "".join(f"<li>{_link(ctx, p, a['iri'])}</li>" for a in p["actors"]) + "</ul>"
              if p["actors"] else _no_data(ctx))
    events = ('<ul class="plain">' + "".join(
        f"<li>{_link(ctx, p, ev['iri'])}" + (f" <span class=\"muted\">{e(fmt_date(ev['date'], lang))}</span>"
                                             if ev["date"] else "") + "</li>" for ev in p["events"]) + "</ul>"
              if p["events"] else _no_data(ctx))
    return _section("actors", t("actors", lang), actors) + _section("events", t("events", lang), events)


def _offer_list(ctx: PageContext, p: dict[str, Any], offers: list[dict[str, Any]]) -> str:
    if not offers:
        return f'<span class="muted">{e(t("none", ctx.lang))}</span>'
    return '<ul class="plain">' + "".join(
        f"<li>{_link(ctx, p, o['iri'])}"
        + (f'<br><span class="muted">{e(t("target_groups", ctx.lang))}: {_links(ctx, p, o["targetGroups"])}</span>'
           if o["targetGroups"] else "") + "</li>" for o in offers) + "</ul>"


def _chain(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    chain = p["preventionChain"]
    with_kreis = chain["surroundingArea"] is not None
    head = (f'<th scope="col">{e(t("life_phase", lang))}</th><th scope="col">{e(t("own_offers", lang))}</th>'
            + (f'<th scope="col">{e(t("kreis_offers", lang))}</th>' if with_kreis else "")
            + f'<th scope="col">{e(t("status", lang))}</th>')
    rows = []
    for ph in chain["phases"]:
        if ph["gap"]:
            status = f'<strong class="gap">{e(t("gap", lang))}</strong>'
        elif ph["ownGap"]:
            status = e(t("covered_kreis", lang))
        else:
            status = e(t("covered", lang))
        rows.append(
            f'<tr class="{"gap" if ph["gap"] else "ok"}"><th scope="row">{e(_label(p, ph["lifePhase"]))}</th>'
            f"<td>{_offer_list(ctx, p, ph['own'])}</td>"
            + (f"<td>{_offer_list(ctx, p, ph['surrounding'])}</td>" if with_kreis else "")
            + f"<td>{status}</td></tr>")
    table = (f'<div class="scroll"><table class="data chain"><caption>{e(t("chain", lang))}: {e(p["label"])}'
             + (f" – {e(t('kreis', lang))}: {e(_label(p, chain['surroundingArea']))}" if with_kreis else "")
             + f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
    note = "" if any(not ph["gap"] for ph in chain["phases"]) else _no_data(ctx)
    if chain["byTargetGroup"]:
        phase_heads = "".join(f'<th scope="col">{e(_label(p, ph["lifePhase"]))}</th>' for ph in chain["phases"])
        gap = f'<strong class="gap">{e(t("gap", lang))}</strong>'
        group_rows = "".join(
            f'<tr><th scope="row">{_link(ctx, p, g["targetGroup"])}</th>' + "".join(
                f'<td>{"✓" if ph["lifePhase"] in g["phases"] else gap}</td>' for ph in chain["phases"]) + "</tr>"
            for g in chain["byTargetGroup"])
        table += (f'<div class="scroll"><table class="data chain-groups"><caption>{e(t("by_group", lang))}'
                  f'</caption><thead><tr><th scope="col">{e(t("target_groups", lang))}</th>{phase_heads}</tr></thead>'
                  f"<tbody>{group_rows}</tbody></table></div>")
    return _section("chain", t("chain", lang), f'<p class="muted">{e(t("chain_intro", lang))}</p>{table}{note}')


def _members(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    rows = []
    for m in p["members"]:
        if m["participations"]:
            part = "<br>".join(
                f"{_link(ctx, p, x['programme'])} ({_links(ctx, p, x['roles'])}"
                + (f", {e(t('since', lang))} {e(fmt_date(x['since'], lang))}" if x["since"] else "") + ")"
                for x in m["participations"])
        else:
            part = f'<span class="muted">{e(t("no_participation", lang))}</span>'
        rows.append(f'<tr><th scope="row">{_link(ctx, p, m["iri"])}</th><td>{e(m["ags"] or "")}</td>'
                    f'<td class="num" data-sort="{e(m["population"] or 0)}">{e(fmt_int(m["population"], lang))}</td>'
                    f"<td>{part}</td></tr>")
    table = (f'<div class="scroll"><table class="data sortable" id="members-table"><caption>'
             f'{e(t("members_caption", lang))} ({e(fmt_int(len(p["members"]), lang))})</caption><thead><tr>'
             f'<th scope="col">{e(t("member", lang))}</th><th scope="col">AGS</th>'
             f'<th scope="col" class="num">{e(t("population", lang))}</th>'
             f'<th scope="col">{e(t("programmes", lang))}</th></tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    return _section("members", t("members", lang), table)


def _coverage(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    cov = p["coverage"]
    num = 'class="num"'
    summary_rows = "".join(
        f'<tr><th scope="row">{_link(ctx, p, s["programme"])}</th>'
        f'<td {num} data-sort="{s["kreise"]}">{e(fmt_int(s["kreise"], lang))}</td>'
        f'<td {num} data-sort="{s["gemeindenSelf"]}">{e(fmt_int(s["gemeindenSelf"], lang))}</td>'
        f'<td {num} data-sort="{s["gemeindenInclKreis"]}">{e(fmt_int(s["gemeindenInclKreis"], lang))}</td>'
        f'<td {num} data-sort="{s["populationInclKreis"]}">{e(fmt_int(s["populationInclKreis"], lang))}</td>'
        f'<td {num} data-sort="{s["share"]}">{e(fmt_decimal(s["share"], lang, 1))} %</td></tr>'
        for s in cov["programmes"])
    summary = (f'<div class="scroll"><table class="data sortable" id="coverage-programmes"><caption>'
               f'{e(t("by_programme", lang))}: {e(p["label"])} ({e(fmt_int(cov["kreise"], lang))} '
               f'{e(t("kreise_part", lang).split()[0])}, {e(fmt_int(cov["gemeinden"], lang))} '
               f'{e(t("gemeinden", lang))}, {e(fmt_int(cov["population"], lang))} {e(t("population", lang))})'
               f'</caption><thead><tr><th scope="col">{e(t("programme", lang))}</th>'
               + "".join(f'<th scope="col" {num}>{e(t(k, lang))}</th>'
                         for k in ("kreise_part", "gem_self", "gem_incl", "pop_incl", "share"))
               + f"</tr></thead><tbody>{summary_rows}</tbody></table></div>") if cov["programmes"] else _no_data(ctx)
    rows = "".join(
        f'<tr><th scope="row" data-sort="{e(_label(p, r["iri"]))}">{_link(ctx, p, r["iri"])}</th>'
        f'<td {num} data-sort="{r["population"]}">{e(fmt_int(r["population"], lang))}</td>'
        f'<td {num} data-sort="{r["gemeinden"]}">{e(fmt_int(r["gemeinden"], lang))}</td>'
        f'<td {num} data-sort="{r["gemeindenSelf"]}">{e(fmt_int(r["gemeindenSelf"], lang))}</td>'
        f'<td {num} data-sort="{r["gemeindenInclKreis"]}">{e(fmt_int(r["gemeindenInclKreis"], lang))}</td>'
        f'<td {num} data-sort="{r["share"]}">{e(fmt_decimal(r["share"], lang, 1))} %</td>'
        f'<td>{_links(ctx, p, r["programmes"])}</td></tr>'
        for r in cov["rows"])
    table = (f'<div class="scroll"><table class="data sortable" id="coverage-kreise"><caption>'
             f'{e(t("by_kreis", lang))}: {e(p["label"])}</caption><thead><tr>'
             f'<th scope="col">{e(t("kreis", lang))}</th>'
             + "".join(f'<th scope="col" {num}>{e(t(k, lang))}</th>'
                       for k in ("population", "gemeinden", "gem_self", "gem_incl", "share"))
             + f'<th scope="col">{e(t("programmes", lang))}</th></tr></thead><tbody>{rows}</tbody></table></div>')
    return _section("coverage", t("coverage", lang),
                    f'<p class="muted">{e(t("coverage_intro", lang))}</p>{summary}{table}')


def _checklist(ctx: PageContext, p: dict[str, Any]) -> str:
    lang = ctx.lang
    items = []
    for step in p["checklist"]:
        name = step["de"] if lang == "de" else step["en"]
        quote = (f'<q lang="de">{e(step["quote"])}</q> '
                 f'<span class="muted">({e(t("guide", lang))}: {_link(ctx, p, step["source"])})</span>')
        if step["evidence"]:
            body = f'{e(t("evidence", lang))}: {_links(ctx, p, step["evidence"])}'
            mark = f'<span class="tick" aria-hidden="true">✓</span> <span class="sr">{e(t("yes_data", lang))}:</span>'
        else:
            body = _no_data(ctx)
            mark = '<span class="open" aria-hidden="true">○</span>'
        items.append(f'<li class="{"done" if step["evidence"] else "open"}" id="step-{e(step["step"])}">'
                     f"{mark} <strong>{e(name)}</strong> – {quote}<div>{body}</div></li>")
    return _section("checklist", t("checklist", lang),
                    f'<p class="muted">{e(t("checklist_intro", lang))}</p><ol class="checklist">{"".join(items)}</ol>')


# --- the pages -------------------------------------------------------------------------------------------


def _head(ctx: PageContext) -> str:
    return CSS_LINK.format(root=e(ctx.root))


def profile_page(ctx: PageContext, p: dict[str, Any]) -> str:
    """The profile page of one area."""
    lang = ctx.lang
    kind = _kind(lang, p["kind"])
    crumbs = " · ".join(_link(ctx, p, a["iri"]) for a in p["ancestors"] if a["kind"] != "region")
    head = (f'<p class="kind">{e(kind)}{" · " + crumbs if crumbs else ""}</p>'
            f'<h1 id="title">{e(p["label"])}</h1>'
            f'<p class="muted links"><a href="{e(local_href(p["iri"], ctx.root))}">{e(t("linked_data", lang))}</a>'
            f' · <a href="{profile_href(ctx, p["iri"])}.json" type="application/json">{e(t("json", lang))}</a>'
            f' · <a href="{e(ctx.root)}/vergleich?a={e(p["key"])}">{e(t("compare", lang))}</a></p>')
    sections = [head, _glance(ctx, p), _responsible(ctx, p), _programmes(ctx, p)]
    if p.get("members") is not None:
        sections.append(_members(ctx, p))
    if p.get("coverage") is not None:
        sections.append(_coverage(ctx, p))
    sections += [_cooperation(ctx, p), _chain(ctx, p), _actors_events(ctx, p), _checklist(ctx, p)]
    return layout(ctx, f'{p["label"]} – {t("profile", lang)}', "".join(sections), head=_head(ctx))


def _compare_rows(ctx: PageContext, a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str]]:
    lang = ctx.lang

    def pop(p: dict[str, Any]) -> str:
        return e(fmt_int(p["population"]["value"], lang)) if p.get("population") else ""

    def area(p: dict[str, Any]) -> str:
        return f'{e(fmt_decimal(p["area"]["value"], lang))} km²' if p.get("area") else ""

    def progs(p: dict[str, Any]) -> str:
        return "<br>".join(
            f"{_link(ctx, p, x['programme'])} ({_links(ctx, p, x['roles'])}"
            + (f", {e(t('since', lang))} {e(fmt_date(x['since'], lang))}" if x["since"] else "") + ")"
            for x in p["programmes"] if x["area"] == p["iri"]) or e(t("none", lang))

    def offices(p: dict[str, Any], key: str) -> str:
        return _links(ctx, p, [o["iri"] for o in p[key]]) or e(t("none", lang))

    def listing(p: dict[str, Any], key: str) -> str:
        return _links(ctx, p, [x["iri"] for x in p[key]]) or e(t("none", lang))

    rows = [
        (t("kind", lang), e(_kind(lang, a["kind"])), e(_kind(lang, b["kind"]))),
        (t("population", lang), pop(a), pop(b)),
        (t("area", lang), area(a), area(b)),
        (t("kreis", lang), _link(ctx, a, a.get("kreis")), _link(ctx, b, b.get("kreis"))),
        (t("land", lang), _link(ctx, a, a.get("land")), _link(ctx, b, b.get("land"))),
        (t("health", lang), offices(a, "healthOffices"), offices(b, "healthOffices")),
        (t("youth", lang), offices(a, "youthWelfareOffices"), offices(b, "youthWelfareOffices")),
        (t("programmes", lang), progs(a), progs(b)),
        (t("cooperations", lang), listing(a, "cooperations"), listing(b, "cooperations")),
        (t("coordination", lang), listing(a, "coordinationOffices"), listing(b, "coordinationOffices")),
        (t("actors", lang), listing(a, "actors"), listing(b, "actors")),
        (t("events", lang), listing(a, "events"), listing(b, "events")),
    ]
    for i, ph in enumerate(a["preventionChain"]["phases"]):
        cells = []
        for p in (a, b):
            q = p["preventionChain"]["phases"][i]
            n = len(q["own"]) + len(q["surrounding"])
            cells.append(f'<strong class="gap">{e(t("gap", lang))}</strong>' if q["gap"]
                         else e(fmt_int(n, lang)))
        rows.append((f'{t("chain", lang)}: {_label(a, ph["lifePhase"])}', cells[0], cells[1]))
    for i, step in enumerate(a["checklist"]):
        cells = [(_links(ctx, p, p["checklist"][i]["evidence"]) or e(t("none", lang))) for p in (a, b)]
        rows.append((step["de"] if lang == "de" else step["en"], cells[0], cells[1]))
    return rows


def compare_form(ctx: PageContext, a: str, b: str, message: str = "") -> str:
    lang = ctx.lang
    return (f'<form method="get" action="{e(ctx.root)}/vergleich" class="compare">'
            f'<p class="muted">{e(t("compare_intro", lang))}</p>'
            + (f'<p class="error" role="alert">{e(message)}</p>' if message else "")
            + f'<label for="cmp-a">{e(t("first", lang))}</label> <input id="cmp-a" name="a" value="{e(a)}" '
            f'maxlength="80" required> <label for="cmp-b">{e(t("second", lang))}</label> '
            f'<input id="cmp-b" name="b" value="{e(b)}" maxlength="80" required>'
            + (f'<input type="hidden" name="lang" value="{e(lang)}">' if lang != "de" else "")
            + f' <button type="submit">{e(t("show", lang))}</button></form>')


def compare_page(ctx: PageContext, a: dict[str, Any] | None, b: dict[str, Any] | None, key_a: str, key_b: str,
                 message: str = "") -> str:
    """Two areas side by side (or the form when one is missing)."""
    lang = ctx.lang
    body = f'<h1 id="title">{e(t("compare_title", lang))}</h1>' + compare_form(ctx, key_a, key_b, message)
    if a is not None and b is not None:
        rows = "".join(f'<tr><th scope="row">{e(k)}</th><td>{va}</td><td>{vb}</td></tr>'
                       for k, va, vb in _compare_rows(ctx, a, b))
        body += (f'<div class="scroll"><table class="data compare" id="compare-table"><caption>'
                 f'{e(a["label"])} – {e(b["label"])}</caption><thead><tr><th scope="col">{e(t("aspect", lang))}</th>'
                 f'<th scope="col"><a href="{profile_href(ctx, a["iri"])}">{e(a["label"])}</a></th>'
                 f'<th scope="col"><a href="{profile_href(ctx, b["iri"])}">{e(b["label"])}</a></th></tr></thead>'
                 f"<tbody>{rows}</tbody></table></div>")
    return layout(ctx, t("compare_title", lang), body, head=_head(ctx))
