"""Rows ↔ RDF, both ways, for the kinds of kg.graph.tabular.templates.

Rows → RDF (`map_rows`): each row becomes its resource (and, for a cooperation, one participation
node per partner; for a grant, its amount node; for an event, one hn:StatedFigure with its
hn:Evidence per filled figure cell) in one named graph, with `hn:statedIn` the graph's
source and `hn:sourceRow` the row. Every cell that cannot be read or resolved becomes a
`CellProblem` naming row and column; the mapping goes on so that one run reports every problem.

RDF → rows (`export_rows`): the same columns read back from the store, written so that importing
them again gives the same triples (areas as "Name (Schlüssel)", entities by a name that resolves
back to them or else by IRI, concepts by their German label, dates at their precision, a figure
by its evidence quote where that reads back as the same figure — the cell as it was imported —
else by a text rebuilt from value and precision).

IRIs are stable: the identifier column if filled, else one made from the label (plus partner or
funder names for kinds without a label), so the same file always gives the same IRIs.

Figures (the figure columns of the events template): a filled cell becomes a hn:StatedFigure whose IRI
is derived from the graph's source, the row's resource and the column (`figure_iri`), so re-importing
the cell changes nothing, an edited cell updates it and a cleared cell removes it, and two
contributions stating a figure of one event make two figures, each with its own source. Its
hn:value/hn:maxValue and hn:precision come from the cell (kg.graph.tabular.values.parse_figure),
hn:measure and hn:unitText (de, en) from the column's concept, hn:statedIn the graph's source, and its
hn:Evidence quotes the cell as written, hn:inSource the same source.

A figure that no spreadsheet made (a seed document's "rund 160 Anmeldungen", with its own evidence)
is never changed or removed by an import. It is exported as a text rebuilt from value and precision
("rund 160"), and a cell that states what such a figure of the resource states (same value, maximum
and precision) adds nothing, so export → import neither duplicates nor rewrites it; only a cell that
states something else adds the import's own figure. The rule looks at curated figures only, not at
other contributions', so that `kg build` (curated data first, then the kept contributions in order)
replays every import to the same figures whatever the order.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from kg.errors import SpreadsheetError, column_letter
from kg.graph.tabular import values
from kg.graph.tabular.read import Row, Table
from kg.graph.tabular.resolve import Resolution, Resolver, norm
from kg.graph.tabular.templates import Column, Kind
from kg.i18n import Msg
from kg.rdf import HN, HN_SPREADSHEET_CONTRIBUTION, HNID, PREFIXES, RDF_TYPE, RDFS, XSD

STATED_IN = HN + "statedIn"
SOURCE_ROW = HN + "sourceRow"
_PARTICIPATION = HN + "Participation"
_AMOUNT_CLASS = HN + "MonetaryAmount"
#: Properties of the nodes a row owns besides its resource (participations, amounts).
PARTICIPATION_PREDICATES = (RDF_TYPE, HN + "participant", HN + "role", HN + "participationIn", STATED_IN, SOURCE_ROW)
AMOUNT_PREDICATES = (RDF_TYPE, HN + "amountValue", HN + "currency", STATED_IN, SOURCE_ROW)
FIGURE_CLASS = HN + "StatedFigure"
EVIDENCE_CLASS = HN + "Evidence"
PRECISION_SCHEME = HNID + "concept/figure-precision"
RDFS_LABEL = RDFS + "label"
#: A row whose first cell starts with this is a comment (the example row of a CSV template).
COMMENT_MARK = "#"
_PARTNER_RE = re.compile(r"^(?P<name>.*?)\s*\[(?P<roles>[^\]]*)\]\s*$")
_KEY_SUFFIX_RE = re.compile(r"^(?P<name>.*?)\s*\((?P<key>\d{2,12})\)\s*$")
_YEAR_RE = re.compile(r"^\d{4}$")
_YEAR_MONTH_RE = re.compile(r"^(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})|(?P<m2>\d{1,2})/(?P<y2>\d{4}))$")


@dataclass
class CellProblem:
    """One problem of the file: where (spreadsheet row, column header and letter) and what."""

    row: int | None
    column: str | None
    letter: str | None
    message: Msg
    severity: str = "error"  # "error" | "warning"
    candidates: list[str] = field(default_factory=list)

    def text(self, lang: str = "both") -> str:
        where_de = ", ".join(x for x in (f"Zeile {self.row}" if self.row else "",
                                         f"Spalte „{self.column}“" if self.column else "") if x)
        where_en = ", ".join(x for x in (f"row {self.row}" if self.row else "",
                                         f"column “{self.column}”" if self.column else "") if x)
        de = f"{where_de}: {self.message.de}" if where_de else self.message.de
        en = f"{where_en}: {self.message.en}" if where_en else self.message.en
        return Msg(de, en).text(lang) if lang != "both" else f"{de}\n  {en}"


@dataclass
class MappedRow:
    row: int
    iri: str
    quads: list[ox.Quad]
    nodes: set[str]  # every subject this row describes (resource, participations, amount, figures, evidence)
    node_columns: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # figure node → (header, letter)


def is_comment(row: Row) -> bool:
    first = next((c for c in row.cells if c.column == 1), None)
    return first is not None and isinstance(first.value, str) and first.value.lstrip().startswith(COMMENT_MARK)


def slugify(text: str) -> str:
    s = norm(text).replace(" ", "-")
    return s[:80].strip("-") or "x"


def figure_iri(subject: str, measure: str, source: str) -> str:
    """The IRI of the figure a figure column of a file from `source` states about `subject`:
    hnid:figure/{source slug}/{subject's path}-{measure}, e.g.
    hnid:figure/testdaten-fachtag/event-fachtag-2025-participants (a subject outside hnid: by its SHA-1)."""
    if subject.startswith(HNID):
        name = slugify(subject[len(HNID):].replace("/", " "))
    else:
        name = "x-" + hashlib.sha1(subject.encode("utf-8")).hexdigest()[:16]
    return f"{HNID}figure/{_last(source)}/{name}-{_last(measure)}"


def figure_evidence_iri(figure: str) -> str:
    """The evidence node of a figure made by an import: hnid:evidence/{source slug}/figure-{name}, beside
    the curated evidence of that source (hnid:evidence/{source slug}/…)."""
    source, name = figure.rstrip("/").rsplit("/", 2)[-2:]
    return f"{HNID}evidence/{source}/figure-{name}"


def _last(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def figure_nodes(kind: Kind, subject: str, source: str) -> list[str]:
    """The figure and evidence nodes an import of `kind` from `source` may make for `subject` (and so owns)."""
    out = []
    for c in kind.columns:
        if c.value == "figure" and c.measure:
            f = figure_iri(subject, c.measure, source)
            out += [f, figure_evidence_iri(f)]
    return out


def _decimal_literal(d: Decimal) -> ox.Literal:
    if d == d.to_integral_value():
        return ox.Literal(str(int(d)), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(str(d.normalize()), datatype=ox.NamedNode(XSD + "decimal"))


def expand(value: str, namespace: str) -> str:
    """An identifier cell → IRI: a full IRI, a prefixed name (offer:x) or a slug in `namespace`."""
    v = value.strip()
    if v.startswith(("http://", "https://")):
        return v
    if ":" in v:
        prefix, local = v.split(":", 1)
        if prefix in PREFIXES:
            return PREFIXES[prefix] + local
    return namespace + slugify(v)


def _text(value: Any, *, multiline: bool = False) -> str:
    """Any cell as text ("" when empty), a CSV cell's formula escape undone (kg.graph.tabular.write)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return values.unescape_formula(values.parse_text(value, multiline=multiline) or "")


def _date_literal(value: Any) -> ox.Literal:
    """A date at the precision written: 2017 → xsd:gYear, 06/2021 or 2021-06 → xsd:gYearMonth, a
    day (31.12.2024, 1.9.24, ISO, a date cell) → xsd:date."""
    if not isinstance(value, datetime.date):
        s = _text(value)
        if _YEAR_RE.match(s):
            return ox.Literal(s, datatype=ox.NamedNode(XSD + "gYear"))
        m = _YEAR_MONTH_RE.match(s)
        if m:
            y, mo = (m["y1"], m["m1"]) if m["y1"] else (m["y2"], m["m2"])
            if 1 <= int(mo) <= 12:
                return ox.Literal(f"{y}-{int(mo):02d}", datatype=ox.NamedNode(XSD + "gYearMonth"))
        value = s
    day = values.parse_date(value)
    if day is None:
        raise SpreadsheetError(Msg("kein Datum", "not a date"))
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))


def _number_literal(value: Any) -> ox.Literal:
    d = values.parse_decimal(value)
    if d is None:
        raise SpreadsheetError(Msg("keine Zahl", "not a number"))
    if d == d.to_integral_value():
        return ox.Literal(str(int(d)), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(str(d.normalize()), datatype=ox.NamedNode(XSD + "decimal"))


def _split(value: Any, column: Column) -> list[Any]:
    """A cell's values: one, or for a multi-valued column several (`;` or line breaks; text columns
    line breaks only, since texts contain semicolons)."""
    if column.value == "text":
        s = _text(value, multiline=column.multi)
        return [p for p in s.split("\n") if p] if column.multi else ([s] if s else [])
    if isinstance(value, datetime.date | int | float) and not isinstance(value, bool):
        return [value]  # typed cells (xlsx) keep their type
    if not column.multi:
        s = _text(value)
        return [s] if s else []
    return [values.unescape_formula(p) for p in values.split_multi(value)]


def _lines(value: Any) -> list[str]:
    return [p for p in _text(value, multiline=True).split("\n") if p]


class Mapper:
    """Maps the rows of one table of one kind into one graph."""

    def __init__(self, store: Any, kind: Kind, resolver: Resolver, graph: str, source: str,
                 *, record_rows: bool = True) -> None:
        self.store, self.kind, self.resolver = store, kind, resolver
        self.graph, self.source = ox.NamedNode(graph), ox.NamedNode(source)
        self.record_rows = record_rows
        self.problems: list[CellProblem] = []

    # ------------------------------------------------------------------ helpers

    def _problem(self, row: int | None, cell_col: tuple[str, str | None] | None, message: Msg,
                 candidates: list[str] | None = None, severity: str = "error") -> None:
        header, letter = cell_col if cell_col else (None, None)
        self.problems.append(CellProblem(row, header, letter, message, severity, list(candidates or [])))

    def _q(self, s: str, p: str, o: Any) -> ox.Quad:
        return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, self.graph)

    def _resolve(self, value: str, column: Column) -> Resolution:
        m = _KEY_SUFFIX_RE.match(value)
        if column.value in ("area", "agent", "partners") and m:
            return self.resolver.area(m["key"])
        if column.value == "concept" and column.scheme:
            return self.resolver.concept(value, column.scheme, column.msg)
        if column.value == "area":
            return self.resolver.area(value)
        if column.value == "type":
            cls = self.kind.subclasses.get(value) or next(
                (c for label, c in self.kind.subclasses.items() if norm(label) == norm(value)), None)
            if cls:
                return Resolution(cls)
            allowed = list(self.kind.subclasses)
            return Resolution(None, Msg(f"„{value}“ ist keine erlaubte Art. Erlaubt: {', '.join(allowed)}",
                                        f"“{value}” is not an allowed kind. Allowed: {', '.join(allowed)}"), allowed)
        classes = set(column.classes) or {HN + "Agent"}
        return self.resolver.entity(value, classes)

    # ------------------------------------------------------------------ rows → RDF

    def iri_for(self, row: Row, where: dict[str, tuple[str, str | None]], cells: dict[str, Any]) -> str | None:
        ident = _text(cells.get("id"))
        if ident:
            return expand(ident, self.kind.definition.namespace)
        label = _lines(cells.get("label"))
        if label:
            return self.kind.definition.namespace + slugify(label[0])
        parts = [_text(cells.get(k)) for k in ("participant", "participationIn", "funder", "recipient", "fundedItem")]
        parts = [p for p in parts if p]
        if parts:
            return self.kind.definition.namespace + slugify(" ".join(parts))
        self._problem(row.number, where.get("id"), Msg("Weder Kennung noch Bezeichnung: die Zeile kann keinem "
                                                       "Eintrag zugeordnet werden.",
                                                       "Neither identifier nor label: the row names no entry."))
        return None

    def map_row(self, row: Row, columns: dict[str, tuple[Column, str, str | None]]) -> MappedRow | None:
        """`columns`: column key → (column, header as in the file, letter)."""
        cells: dict[str, Any] = {}
        for k, (_c, h, _l) in columns.items():
            cell = row.get(h)
            cells[k] = cell.value if cell is not None else None
        where = {k: (h, letter) for k, (_c, h, letter) in columns.items()}
        iri = self.iri_for(row, where, cells)
        if iri is None:
            return None
        quads: list[ox.Quad] = []
        nodes = {iri}
        start = len(self.problems)
        cls = self.kind.definition.cls
        for key, (col, _h, _l) in columns.items():
            raw = cells.get(key)
            parts = _split(raw, col) if col.value not in ("id", "partners", "amount", "currency", "figure") else []
            if col.required and not _text(raw):
                self._problem(row.number, where[key], Msg("Pflichtangabe fehlt.", "Required value is missing."))
                continue
            if col.value == "type":
                if parts:
                    r = self._resolve(parts[0], col)
                    if r.iri:
                        cls = r.iri
                    else:
                        self._problem(row.number, where[key], r.message or Msg("?", "?"), r.candidates)
                continue
            for part in parts:
                obj = self._object(row, where[key], col, part)
                if obj is not None:
                    quads.append(self._q(iri, col.predicate or "", obj))
        quads.insert(0, self._q(iri, RDF_TYPE, ox.NamedNode(cls)))
        quads.append(self._q(iri, STATED_IN, self.source))
        if self.record_rows:
            quads.append(self._q(iri, SOURCE_ROW, ox.Literal(str(row.number), datatype=ox.NamedNode(XSD + "integer"))))
        if "partners" in columns:
            quads += self._partners(row, iri, cells.get("partners"), columns["partners"][0], where["partners"], nodes)
        if "amount" in columns and _text(cells.get("amount")):
            quads += self._amount(row, iri, cells.get("amount"), cells.get("currency"), where, nodes)
        node_columns: dict[str, tuple[str, str | None]] = {}
        for key, (col, _h, _l) in columns.items():
            if col.value == "figure":
                quads += self._figure(row, iri, cells.get(key), col, where[key], nodes, node_columns)
        if len(self.problems) > start and any(p.severity == "error" for p in self.problems[start:]):
            return MappedRow(row.number, iri, [], nodes, node_columns)
        return MappedRow(row.number, iri, quads, nodes, node_columns)

    def _object(self, row: Row, where: tuple[str, str | None], col: Column, part: Any) -> Any:
        if not isinstance(part, str) and col.value not in ("date", "number"):
            part = _text(part)
        try:
            if col.value == "text":
                return ox.Literal(part, language=col.lang or "de")
            if col.value == "string":
                return ox.Literal(part)
            if col.value == "date":
                return _date_literal(part)
            if col.value == "number":
                return _number_literal(part)
        except SpreadsheetError as exc:
            self._problem(row.number, where, exc.msg)
            return None
        r = self._resolve(part, col)
        if r.iri is None:
            self._problem(row.number, where, r.message or Msg("unbekannt", "unknown"), r.candidates)
            return None
        return ox.NamedNode(r.iri)

    def _figure(self, row: Row, subject: str, raw: Any, col: Column, where: tuple[str, str | None], nodes: set[str],
                node_columns: dict[str, tuple[str, str | None]]) -> list[ox.Quad]:
        """The quads of one figure cell (none for an empty cell, or for one that states exactly what a
        curated figure of the resource states: see the module docstring)."""
        assert col.measure is not None
        own = figure_iri(subject, col.measure, self.source.value)
        ev = figure_evidence_iri(own)
        nodes.update((own, ev))
        node_columns[own] = node_columns[ev] = where
        if isinstance(raw, str):
            raw = values.unescape_formula(raw)
        try:
            fig = values.parse_figure(raw, whole=True)
        except SpreadsheetError as exc:
            self._problem(row.number, where, exc.msg)
            return []
        if fig is None:
            return []
        if self._stated_by_curated_data(subject, col.measure, own, fig):
            return []
        out = [self._q(own, RDF_TYPE, ox.NamedNode(FIGURE_CLASS)),
               self._q(own, HN + "value", _decimal_literal(fig.value)),
               self._q(own, HN + "precision", ox.NamedNode(f"{PRECISION_SCHEME}/{fig.precision}")),
               self._q(own, HN + "measure", ox.NamedNode(col.measure)),
               self._q(own, HN + "unitText", ox.Literal(col.de, language="de")),
               self._q(own, HN + "unitText", ox.Literal(col.en, language="en")),
               self._q(own, RDFS_LABEL, ox.Literal(f"{fig.text} {col.de}", language="de")),
               self._q(own, RDFS_LABEL, ox.Literal(
                   f"{values.figure_text(fig.value, fig.max_value, fig.precision, 'en')} {col.en}", language="en")),
               self._q(own, HN + "figureOf", ox.NamedNode(subject)),
               self._q(own, STATED_IN, self.source),
               self._q(own, HN + "evidence", ox.NamedNode(ev)),
               self._q(ev, RDF_TYPE, ox.NamedNode(EVIDENCE_CLASS)),
               self._q(ev, HN + "quote", ox.Literal(fig.text)),
               self._q(ev, HN + "inSource", self.source),
               self._q(ev, HN + "supports", ox.NamedNode(HN + "value"))]
        if fig.max_value is not None:
            out.append(self._q(own, HN + "maxValue", _decimal_literal(fig.max_value)))
        if self.record_rows:
            out.append(self._q(own, SOURCE_ROW, ox.Literal(str(row.number), datatype=ox.NamedNode(XSD + "integer"))))
        return out

    def _stated_by_curated_data(self, subject: str, measure: str, own: str, fig: values.Figure) -> bool:
        """Whether a figure of `subject` counting `measure` in a graph that holds no spreadsheet
        contribution (a seed document's), other than `own` (the round trip into a seed's graph
        makes its own figures there), states `fig`."""
        q = (f"SELECT ?v ?max ?p WHERE {{ GRAPH ?g {{ ?f <{HN}figureOf> <{subject}> ; <{HN}measure> <{measure}> ; "
             f"<{HN}value> ?v ; <{HN}precision> ?p OPTIONAL {{ ?f <{HN}maxValue> ?max }} }} "
             f"FILTER(?f != <{own}>) FILTER NOT EXISTS {{ GRAPH ?g {{ ?c a <{HN_SPREADSHEET_CONTRIBUTION}> }} }} }}")
        for r in self.store.query(q):
            other = values.Figure(Decimal(r["v"].value), Decimal(r["max"].value) if r["max"] is not None else None,
                                  r["p"].value.rsplit("/", 1)[-1], "")
            if other.same(fig):
                return True
        return False

    def _existing_participation(self, coop: str, participant: str) -> str | None:
        q = (f"SELECT ?p WHERE {{ GRAPH {self.graph} {{ ?p <{HN}participationIn> <{coop}> ; "
             f"<{HN}participant> <{participant}> }} }} LIMIT 1")
        for r in self.store.query(q):
            return str(r["p"].value)
        return None

    def _partners(self, row: Row, coop: str, raw: Any, col: Column, where: tuple[str, str | None],
                  nodes: set[str]) -> list[ox.Quad]:
        out: list[ox.Quad] = []
        role_col = Column("role", "Rolle", "role", "concept", scheme=col.scheme)
        agent_col = Column("partner", "Partner", "partner", "agent", classes=frozenset({HN + "Agent"}))
        for item in [p.strip() for p in re.split(r";|\n", _text(raw, multiline=True)) if p.strip()]:
            m = _PARTNER_RE.match(item)
            name, roles = (m["name"], [r.strip() for r in m["roles"].split(",") if r.strip()]) if m else (item, [])
            if not roles:
                self._problem(row.number, where, Msg(f"Für „{name}“ fehlt die Rolle: „Name [Rolle]“.",
                                                     f"“{name}” has no role: write “name [role]”."), list(col.choices))
                continue
            who = self._resolve(name, agent_col)
            if who.iri is None:
                self._problem(row.number, where, who.message or Msg("?", "?"), who.candidates)
                continue
            p = self._existing_participation(coop, who.iri) or \
                f"{HNID}participation/{coop.rsplit('/', 1)[-1]}-{who.iri.rstrip('/').rsplit('/', 1)[-1]}"
            nodes.add(p)
            out += [self._q(coop, HN + "hasParticipation", ox.NamedNode(p)),
                    self._q(p, RDF_TYPE, ox.NamedNode(_PARTICIPATION)),
                    self._q(p, HN + "participant", ox.NamedNode(who.iri)),
                    self._q(p, HN + "participationIn", ox.NamedNode(coop)),
                    self._q(p, STATED_IN, self.source)]
            if self.record_rows:
                out.append(self._q(p, SOURCE_ROW, ox.Literal(str(row.number), datatype=ox.NamedNode(XSD + "integer"))))
            for role in roles:
                r = self._resolve(role, role_col)
                if r.iri is None:
                    self._problem(row.number, where, r.message or Msg("?", "?"), r.candidates)
                else:
                    out.append(self._q(p, HN + "role", ox.NamedNode(r.iri)))
        return out

    def _amount(self, row: Row, grant: str, amount: Any, currency: Any, where: dict[str, tuple[str, str | None]],
                nodes: set[str]) -> list[ox.Quad]:
        try:
            value = values.parse_decimal(amount)
        except SpreadsheetError as exc:
            self._problem(row.number, where.get("amount"), exc.msg)
            return []
        if value is None:
            return []
        node = grant + "/amount"
        nodes.add(node)
        cur = (_text(currency) or "EUR").upper()
        out = [self._q(grant, HN + "amount", ox.NamedNode(node)),
               self._q(node, RDF_TYPE, ox.NamedNode(_AMOUNT_CLASS)),
               self._q(node, HN + "amountValue", ox.Literal(str(value), datatype=ox.NamedNode(XSD + "decimal"))),
               self._q(node, HN + "currency", ox.Literal(cur)),
               self._q(node, STATED_IN, self.source)]
        return out


def match_columns(table: Table, kind: Kind) -> tuple[dict[str, tuple[Column, str, str | None]], list[CellProblem]]:
    """Which header of the file is which column of the kind. Unknown headers are a warning naming
    them; a missing required column an error naming it."""
    problems: list[CellProblem] = []
    found: dict[str, tuple[Column, str, str | None]] = {}
    unknown: list[str] = []
    by_name: dict[str, Column] = {}
    for c in kind.columns:
        for n in c.names():
            by_name[n] = c
    for i, h in enumerate(table.headers, start=1):
        if not h:
            continue
        key = h.strip().rstrip("*").strip().casefold()
        col = by_name.get(key)
        if col is None:
            unknown.append(h)
            continue
        letter = column_letter(i)
        if col.key in found:
            problems.append(CellProblem(table.header_row, h, letter, Msg(
                f"Die Spalte „{col.de}“ kommt zweimal vor.", f"The column “{col.en}” occurs twice.")))
            continue
        found[col.key] = (col, h, letter)
    if unknown:
        problems.append(CellProblem(table.header_row, None, None, Msg(
            f"Unbekannte Spalten werden übergangen: {', '.join(f'„{u}“' for u in unknown)}",
            f"Unknown columns are ignored: {', '.join(f'“{u}”' for u in unknown)}"), "warning", unknown))
    for c in kind.columns:
        if c.required and c.key not in found:
            problems.append(CellProblem(table.header_row, c.header(), None, Msg(
                f"Die Pflichtspalte „{c.header()}“ fehlt.", f"The required column “{c.header('en')}” is missing.")))
    return found, problems


# ---------------------------------------------------------------------- RDF → rows


def _fmt_date(lit: Any) -> str:
    dt = lit.datatype.value if lit.datatype else ""
    if dt == XSD + "date":
        y, m, d = lit.value.split("-")[:3]
        return f"{int(d[:2]):02d}.{int(m):02d}.{y}"
    return str(lit.value)


def _fmt_number(lit: Any) -> Any:
    v = Decimal(lit.value)
    return int(v) if v == v.to_integral_value() else str(v).replace(".", ",")


class Exporter:
    """Reads the resources of one kind back into template rows."""

    def __init__(self, store: Any, kind: Kind, resolver: Resolver, graphs: Sequence[str] | None) -> None:
        """`graphs`: the named graphs to read (None: every data graph, not the model or inferred ones)."""
        self.store, self.kind, self.resolver = store, kind, resolver
        if graphs is None:
            skip = {HNID + "graph/" + g for g in ("inferred", "build", "ontology", "alignment", "schemes", "shapes")}
            graphs = sorted(str(g.value) for g in store.named_graphs() if str(g.value) not in skip)
        self.graphs = list(graphs)

    def _from(self) -> str:
        return " ".join(f"FROM <{g}>" for g in self.graphs)

    def subjects(self, area: str | None = None) -> list[str]:
        cls = self.kind.definition.cls
        sub = f"?s a ?t . ?t <http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{cls}> ." \
            if self.kind.subclasses else f"?s a <{cls}> ."
        q = (f"SELECT DISTINCT ?s {self._from()} FROM <{HNID}graph/ontology> "
             f"WHERE {{ {sub} FILTER(isIRI(?s)) }} ORDER BY ?s")
        subjects = [str(r["s"].value) for r in self.store.query(q)]
        if area:
            subjects = [s for s in subjects if self._in_area(s, area)]
        return subjects

    def _in_area(self, s: str, area: str) -> bool:
        q = (f"ASK {{ <{s}> ?p ?a . VALUES ?p {{ <{HN}areaServed> <{HN}location> <{HN}participant> "
             f"<{HN}responsibleFor> }} ?a <{HN}partOf>* <{area}> }}")
        return bool(self.store.query(q, use_default_graph_as_union=True))

    def _values(self, s: str, p: str) -> list[Any]:
        q = f"SELECT DISTINCT ?o {self._from()} WHERE {{ <{s}> <{p}> ?o }} ORDER BY ?o"
        return [r["o"] for r in self.store.query(q)]

    def ref(self, iri: str, column: Column) -> str:
        """A reference written so that it resolves back to `iri`."""
        e = self.resolver.entries.get(iri)
        if e is None:
            return iri
        if iri.startswith(HNID + "area/") and iri[len(HNID) + 5:].isdigit():
            return f"{e.label} ({iri[len(HNID) + 5:]})"
        classes = set(column.classes) if column.value not in ("partners", "agent") else {HN + "Agent"}
        if self.resolver.entity(e.label, classes or {HN + "Agent"}).iri == iri:
            return e.label
        return iri

    def row(self, s: str) -> list[Any]:
        out: list[Any] = []
        for col in self.kind.columns:
            out.append(self.cell(s, col))
        return out

    def cell(self, s: str, col: Column) -> Any:
        if col.value == "id":
            ns = self.kind.definition.namespace
            return s[len(ns):] if s.startswith(ns) and "/" not in s[len(ns):] else s
        if col.value == "type":
            types = {str(t.value) for t in self._values(s, RDF_TYPE)}
            labels = [lbl for lbl, c in self.kind.subclasses.items() if c in types and c != self.kind.definition.cls]
            return labels[0] if labels else ""
        if col.value == "partners":
            return "; ".join(self._partner_cells(s, col))
        if col.value == "figure":
            return self._figure_cell(s, col)
        if col.value in ("amount", "currency"):
            for node in self._values(s, HN + "amount"):
                vals = self._values(node.value, col.predicate or "")
                if vals:
                    return _fmt_number(vals[0]) if col.value == "amount" else vals[0].value
            return ""
        vals = self._values(s, col.predicate or "")
        parts: list[Any] = []
        for v in vals:
            if col.value == "text":
                if isinstance(v, ox.Literal) and v.language == col.lang:
                    parts.append(v.value)
            elif col.value == "string":
                parts.append(v.value)
            elif col.value == "date":
                parts.append(_fmt_date(v))
            elif col.value == "number":
                parts.append(_fmt_number(v))
            elif col.value == "concept":
                parts.append(self.resolver.concept_labels.get(col.scheme or "", {}).get(v.value, v.value))
            elif isinstance(v, ox.NamedNode):
                parts.append(self.ref(v.value, col))
        if col.value == "number" and len(parts) == 1:
            return parts[0]
        sep = "\n" if col.value == "text" else "; "
        return sep.join(str(p) for p in sorted(parts, key=str))

    def _figure_cell(self, s: str, col: Column) -> str:
        """The figure of `s` counting the column's measure in the exported graphs — one a spreadsheet
        made (its evidence quote reads back as itself) before a curated one, then the first by IRI —
        written as its evidence quote if that reads back as the same figure, else as figure_text's
        rebuilt "rund 160". Empty if there is none."""
        assert col.measure is not None
        q = (f"SELECT ?f ?v ?max ?p ?quote {self._from()} WHERE {{ ?f <{HN}figureOf> <{s}> ; "
             f"<{HN}measure> <{col.measure}> ; <{HN}value> ?v ; <{HN}precision> ?p "
             f"OPTIONAL {{ ?f <{HN}maxValue> ?max }} OPTIONAL {{ ?f <{HN}evidence>/<{HN}quote> ?quote }} }}")
        found: dict[str, tuple[values.Figure, list[str]]] = {}
        for r in self.store.query(q):
            f = str(r["f"].value)
            fig = values.Figure(Decimal(r["v"].value), Decimal(r["max"].value) if r["max"] is not None else None,
                                r["p"].value.rsplit("/", 1)[-1], "")
            quotes = found.setdefault(f, (fig, []))[1]
            if r["quote"] is not None:
                quotes.append(str(r["quote"].value))
        if not found:
            return ""
        cells = {f: _cell_quote(fig, quotes) for f, (fig, quotes) in found.items()}
        f = min(found, key=lambda f: (cells[f] is None, f))
        fig = found[f][0]
        return cells[f] or values.figure_text(fig.value, fig.max_value, fig.precision)

    def _partner_cells(self, s: str, col: Column) -> list[str]:
        out = []
        for p in self._values(s, HN + "hasParticipation"):
            who = self._values(p.value, HN + "participant")
            roles = self._values(p.value, HN + "role")
            if not who:
                continue
            labels = sorted(self.resolver.concept_labels.get(col.scheme or "", {}).get(r.value, r.value) for r in roles)
            out.append(f"{self.ref(who[0].value, col)} [{', '.join(labels)}]")
        return sorted(out)


def _cell_quote(fig: values.Figure, quotes: list[str]) -> str | None:
    """The first of `quotes` that parse_figure reads back as `fig` (the cell an import quoted), or None."""
    for quote in sorted(quotes):
        try:
            back = values.parse_figure(quote, whole=True)
        except SpreadsheetError:
            continue
        if back is not None and back.same(fig):
            return back.text
    return None


def managed_predicates(kind: Kind) -> set[str]:
    """The predicates of a kind's resources that an import of that kind owns (sets and removes)."""
    preds = {c.predicate for c in kind.columns if c.predicate and c.value not in ("amount", "currency")}
    preds |= {RDF_TYPE, STATED_IN, SOURCE_ROW}
    if any(c.value in ("amount", "currency") for c in kind.columns):
        preds.add(HN + "amount")
    return {p for p in preds if p}


def owned_nodes(store: Any, graph: str, subject: str) -> list[str]:
    """Nodes a resource owns in `graph`: its participations (cooperations) and amount (grants)."""
    q = (f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ <{subject}> ?p ?n . VALUES ?p {{ <{HN}hasParticipation> "
         f"<{HN}amount> }} FILTER(isIRI(?n)) }} }}")
    return [str(r["n"].value) for r in store.query(q)]


def iter_cells(rows: Iterable[Row]) -> Iterable[Any]:
    for r in rows:
        yield from r.cells
