"""HTML of the contribution pages: `/beitragen` (submit) and `/beitragen/pruefen` (review), and
the report/change fragment both pages show.

Why server-rendered fragments: the pages' script (kg/web/static/contribute.js; the CSP allows no
inline script) fetches JSON from /api/contributions with the token in a header and inserts the
`html` member, which is rendered here — so every value that a contributor controls (labels,
literals, IRIs, file name, source, comments) passes `e()` in one place that tests can audit,
instead of being escaped again in JavaScript. The page frame is pages.layout.
"""

from __future__ import annotations

from typing import Any

from kg.i18n import Msg
from kg.web.render.pages import PageContext, e, layout

T: dict[str, Msg] = {
    "title": Msg("Daten beitragen", "Contribute data"),
    "review_title": Msg("Beiträge prüfen", "Review contributions"),
    "intro": Msg(
        "Hier laden Sie eine ausgefüllte Vorlage (oder Turtle/TriG) hoch. Sie sehen zuerst den Prüfbericht mit den "
        "betroffenen Zeilen und Zellen; gespeichert wird nichts, bis Sie einreichen. Eingereichte Beiträge werden "
        "erst nach der Prüfung durch die Redaktion veröffentlicht.",
        "Upload a filled template (or Turtle/TriG) here. You first see the report with the rows and cells "
        "concerned; nothing is stored until you submit. Submitted contributions are published only after review."),
    "token": Msg("Ihr Token", "Your token"),
    "token_hint": Msg("Wird nur im Header der Anfragen gesendet, nicht gespeichert.",
                      "Sent only in the requests' header, never stored."),
    "templates": Msg("Vorlagen", "Templates"),
    "kind": Msg("Art der Daten", "Kind of data"),
    "graph": Msg("Zielgraph (leer: der Ihres Tokens)", "Target graph (empty: your token's)"),
    "target": Msg("Zielgraph", "Target graph"),
    "file": Msg("Datei", "File"),
    "source_title": Msg("Quelle: Titel", "Source: title"),
    "source_url": Msg("Quelle: Adresse (URL)", "Source: address (URL)"),
    "source_publisher": Msg("Quelle: Herausgeber", "Source: publisher"),
    "source_date": Msg("Quelle: Datum", "Source: date"),
    "comment": Msg("Kommentar", "Comment"),
    "check": Msg("Prüfen", "Check"),
    "submit": Msg("Einreichen", "Submit"),
    "load": Msg("Offene Beiträge laden", "Load open contributions"),
    "approve": Msg("Freigeben", "Approve"),
    "reject": Msg("Ablehnen", "Reject"),
    "report": Msg("Prüfbericht", "Report"),
    "no_problems": Msg("Keine Fehler gefunden.", "No problems found."),
    "row": Msg("Zeile", "Row"),
    "column": Msg("Spalte", "Column"),
    "entity": Msg("Eintrag", "Entry"),
    "property": Msg("Eigenschaft", "Property"),
    "message": Msg("Meldung", "Message"),
    "severity": Msg("Art", "Kind"),
    "error": Msg("Fehler", "Error"),
    "warning": Msg("Warnung", "Warning"),
    "change": Msg("Änderung gegenüber dem aktuellen Stand", "Change against the current graph"),
    "no_change": Msg("Keine Änderung gegenüber dem aktuellen Stand.", "No change against the current graph."),
    "new": Msg("neu", "new"),
    "added": Msg("hinzugefügt", "added"),
    "removed": Msg("entfernt", "removed"),
    "changed": Msg("geändert", "changed"),
    "was": Msg("bisher", "was"),
    "submission": Msg("Beitrag", "Contribution"),
    "status": Msg("Status", "Status"),
    "submitter": Msg("Eingereicht von", "Submitted by"),
    "file_name": Msg("Datei", "File"),
    "source": Msg("Quelle", "Source"),
    "decision": Msg("Entscheidung", "Decision"),
    "kept_for_build": Msg("Für kg build gespeichert", "Kept for kg build"),
    "candidates": Msg("Meinten Sie", "Did you mean"),
}

STATUS = {"checked": Msg("geprüft, nicht gespeichert", "checked, not stored"),
          "invalid": Msg("ungültig", "invalid"), "pending": Msg("wartet auf Prüfung", "waiting for review"),
          "approving": Msg("wird freigegeben", "being approved"), "approved": Msg("freigegeben", "approved"),
          "rejected": Msg("abgelehnt", "rejected")}


def t(key: str, lang: str) -> str:
    return T[key].text(lang)


def _both(key: str, lang: str) -> str:
    """The label in the page's language with the other one in a muted span (German with English)."""
    other = "en" if lang == "de" else "de"
    return f'{e(t(key, lang))} <span class="muted" lang="{other}">/ {e(t(key, other))}</span>'


def _field(key: str, lang: str, control: str) -> str:
    return f'<p><label>{_both(key, lang)}<br>{control}</label></p>'


def contribute_page(ctx: PageContext, kinds: list[tuple[str, str]], template_links: list[tuple[str, str]]) -> str:
    """The submit page: token, kind, file, source; the script checks, shows the report, submits."""
    lang = ctx.lang
    options = "".join(f'<option value="{e(k)}">{e(label)}</option>' for k, label in kinds)
    templates = ""
    if template_links:
        items = "".join(f'<li><a href="{e(href)}" download>{e(label)}</a></li>' for href, label in template_links)
        templates = f'<h2>{_both("templates", lang)}</h2><ul id="templates">{items}</ul>'
    form = (
        f'<form id="contribute-form" data-lang="{e(lang)}" enctype="multipart/form-data">'
        + _field("token", lang, '<input type="password" id="token" name="token" autocomplete="off" size="50" required>')
        + f'<p class="muted">{e(t("token_hint", lang))}</p>'
        + _field("kind", lang, f'<select id="kind" name="kind">{options}</select>')
        + _field("graph", lang, '<input type="text" id="graph" name="graph" size="70">')
        + _field("file", lang, '<input type="file" id="file" name="file" required accept=".xlsx,.ttl,.trig,.nt">')
        + _field("source_title", lang, '<input type="text" id="source_title" name="source_title" size="60">')
        + _field("source_url", lang, '<input type="url" id="source_url" name="source_url" size="60">')
        + _field("source_publisher", lang,
                 '<input type="text" id="source_publisher" name="source_publisher" size="60">')
        + _field("source_date", lang, '<input type="date" id="source_date" name="source_date">')
        + _field("comment", lang, '<textarea id="comment" name="comment" rows="3" cols="60"></textarea>')
        + f'<p><button type="button" id="check">{_both("check", lang)}</button> '
        f'<button type="button" id="submit" disabled>{_both("submit", lang)}</button></p></form>'
    )
    body = (f'<h1>{_both("title", lang)}</h1><p>{e(t("intro", lang))}</p>{templates}{form}'
            '<p id="status" role="status" aria-live="polite"></p><div id="result"></div>')
    return layout(ctx, t("title", lang), body, head=_head(ctx))


def review_page(ctx: PageContext) -> str:
    """The review page: token; the script lists the open contributions with their change."""
    lang = ctx.lang
    body = (
        f'<h1>{_both("review_title", lang)}</h1>'
        f'<form id="review-form" data-lang="{e(lang)}">'
        + _field("token", lang, '<input type="password" id="token" name="token" autocomplete="off" size="50" required>')
        + f'<p class="muted">{e(t("token_hint", lang))}</p>'
        f'<p><button type="button" id="load">{_both("load", lang)}</button></p></form>'
        '<p id="status" role="status" aria-live="polite"></p><div id="list"></div>'
    )
    return layout(ctx, t("review_title", lang), body, head=_head(ctx))


_SCRIPT = '<script src="{root}/static/contribute.js" defer></script>'
#: the pages' own rules, a file (the CSP admits inline styles only by their hash)
_STYLE = '<link rel="stylesheet" href="{root}/static/contribute.css">'


def _head(ctx: PageContext) -> str:
    return _SCRIPT.format(root=e(ctx.root)) + _STYLE.format(root=e(ctx.root))


# ------------------------------------------------------------------------------- fragments


def problems_html(problems: list[dict[str, Any]], lang: str) -> str:
    """The report: one table row per finding, with the row and cell of the file where it has them."""
    if not problems:
        return f'<p class="ok" id="no-problems">{e(t("no_problems", lang))}</p>'
    head = "".join(f"<th>{e(t(k, lang))}</th>" for k in ("severity", "row", "column", "entity", "property", "message"))
    rows = []
    for p in problems:
        sev = "error" if p.get("severity") == "error" else "warning"
        msg = p.get("message_de") if lang == "de" else p.get("message_en")
        cands = p.get("candidates") or []
        extra = f'<br><span class="muted">{e(t("candidates", lang))}: {e(", ".join(cands))}</span>' if cands else ""
        cell = ((p.get("letter") or "") + (str(p["row"]) if p.get("row") is not None and p.get("letter") else "")
                ) or ""
        column = p.get("column") or ""
        col_text = f"{column} ({cell})" if column and cell else (column or cell)
        rows.append(
            f'<tr class="{sev}" data-row="{e(p.get("row") or "")}" data-cell="{e(cell)}">'
            f'<td>{e(t(sev, lang))}</td><td>{e(p.get("row") if p.get("row") is not None else "")}</td>'
            f'<td>{e(col_text)}</td><td>{e(p.get("entity") or "")}</td><td>{e(p.get("property") or "")}</td>'
            f"<td>{e(msg or '')}{extra}</td></tr>")
    return f'<table class="problems" id="problems"><tr>{head}</tr>{"".join(rows)}</table>'


def _stmt(s: dict[str, Any], cls: str, lang: str) -> str:
    value = e(s["value_label"])
    if s.get("is_iri"):
        value = f'<span title="{e(s["value"])}">{value}</span>'
    old = ""
    if s.get("old_label") is not None:
        old = f' <span class="muted">({e(t("was", lang))}: {e(s["old_label"])})</span>'
    return (f'<li class="{cls}"><span class="muted">{e(t(cls, lang))}:</span> '
            f'<span title="{e(s["property"])}">{e(s["property_label"])}</span>: {value}{old}</li>')


def changes_html(changes: list[dict[str, Any]], lang: str) -> str:
    """The change in words: per resource (label, new or not), its added, changed, removed statements."""
    if not changes:
        return f'<p id="no-change">{e(t("no_change", lang))}</p>'
    parts = []
    for rc in changes:
        new = f' <span class="added">({e(t("new", lang))})</span>' if rc.get("new") else ""
        items = "".join([*(_stmt(s, "added", lang) for s in rc["added"]),
                         *(_stmt(s, "changed", lang) for s in rc["changed"]),
                         *(_stmt(s, "removed", lang) for s in rc["removed"])])
        parts.append(f'<div class="resource"><h4><span title="{e(rc["iri"])}">{e(rc["label"])}</span>{new}</h4>'
                     f"<ul>{items}</ul></div>")
    return f'<div class="changes">{"".join(parts)}</div>'


def submission_html(record: dict[str, Any], changes: list[dict[str, Any]], lang: str, *,
                    review: bool = False) -> str:
    """One submission: its facts, the report, the change; with review controls for a reviewer."""
    src = record.get("source") or {}
    status = STATUS.get(record.get("status", ""), Msg(record.get("status", ""), record.get("status", "")))
    kept = record.get("status") != "checked"  # a check keeps nothing: no number to show
    facts = [("submission", record.get("id") if kept else ""), ("status", status.text(lang)),
             ("submitter", record.get("submitter", "")), ("target", record.get("graph", "")),
             ("file_name", record.get("filename", "")), ("kind", record.get("kind", ""))]
    src_text = " · ".join(x for x in (src.get("title"), src.get("publisher"), src.get("date"), src.get("url")) if x)
    if src_text:
        facts.append(("source", src_text))
    if src.get("comment"):
        facts.append(("comment", src["comment"]))
    if record.get("decided_by"):
        facts.append(("decision", f"{record.get('decided_by')} ({record.get('decided_at')}): "
                                  f"{record.get('decision_comment') or ''}"))
    kept_for_build = record.get("kept_for_build")
    if isinstance(kept_for_build, dict):  # after approval: the file under data/contributions/, or why not
        facts.append(("kept_for_build", kept_for_build.get("path") if kept_for_build.get("kept")
                      else str(kept_for_build.get(lang) or kept_for_build.get("en") or "")))
    dl = "".join(f"<dt>{e(t(k, lang))}</dt><dd>{e(v)}</dd>" for k, v in facts if v)
    controls = ""
    if review and record.get("status") == "pending":
        cid = e(record.get("id", ""))
        controls = (f'<p><label>{_both("comment", lang)}<br><textarea class="decision-comment" rows="2" cols="60">'
                    f'</textarea></label><br><button type="button" class="approve" data-id="{cid}">'
                    f'{_both("approve", lang)}</button> <button type="button" class="reject" data-id="{cid}">'
                    f'{_both("reject", lang)}</button></p>')
    return (f'<section class="contribution" data-id="{e(record.get("id", ""))}" '
            f'data-status="{e(record.get("status", ""))}"><dl>{dl}</dl>'
            f'<h3>{e(t("report", lang))}</h3>{problems_html(record.get("problems") or [], lang)}'
            f'<h3>{e(t("change", lang))}</h3>{changes_html(changes, lang)}{controls}</section>')
