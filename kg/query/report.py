"""`kg report`: the figures and tables a researcher would put in a paper.

Why a fixed set written to one folder: the same run (CLI or test) produces comparable files
every time, and each figure is backed by a CSV of exactly the numbers it draws:

- `network.png` / `network.svg` — the actor–programme–municipality network, coloured by kind;
- `centrality.csv` / `centrality.md` — degree and betweenness of every node (actors first);
- `coverage-heatmap.png` / `.svg` + `coverage.csv` — offers per area × life phase of the
  prevention chain (areas: those an offer serves or a programme runs in);
- `participation-over-time.png` / `.svg` + `participation.csv` — programme participations per
  year joined, per programme;
- `report.md` — an index of the above with the headline numbers.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from kg.query.network import build_network, counts, degree_table
from kg.rdf import HN, HNID
from kg.store.protocol import QueryStore, solutions

COLOURS = {"person": "#e6550d", "organisation": "#3182bd", "area": "#31a354", "programme": "#756bb1",
           "project": "#9e9ac8", "network": "#636363", "event": "#fdae6b"}
ACTOR_KINDS = ("organisation", "person", "area", "network")


def _pyplot() -> Any:
    """matplotlib.pyplot with the file-only Agg backend, imported on first use rather than with this
    module: kg.cli imports every command at start, and matplotlib made `kg --help` take about
    1.3 s longer (python -X importtime, 2-core machine under load), for every command."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


@dataclass
class Report:
    """What `make_report` wrote, plus the numbers it is built on (for tests and the CLI)."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    nodes: int = 0
    edges: int = 0
    coverage: list[dict[str, Any]] = field(default_factory=list)
    participation: dict[str, dict[int, int]] = field(default_factory=dict)
    centrality: list[dict[str, Any]] = field(default_factory=list)


def _save(fig: Any, base: Path) -> list[Path]:
    out = []
    for ext in ("png", "svg"):
        path = base.with_suffix(f".{ext}")
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        out.append(path)
    _pyplot().close(fig)
    return out


def draw_network(g: nx.MultiDiGraph, base: Path) -> list[Path]:
    """Spring layout (fixed seed, so the drawing is reproducible), nodes coloured by kind."""
    und = nx.Graph(g.to_undirected())
    pos = nx.spring_layout(und, seed=7, k=0.6)
    fig, ax = _pyplot().subplots(figsize=(14, 10))
    nx.draw_networkx_edges(und, pos, ax=ax, alpha=0.35, width=0.8)
    for kind, colour in COLOURS.items():
        nodes = [n for n in und if g.nodes[n]["kind"] == kind]
        if nodes:
            nx.draw_networkx_nodes(und, pos, nodelist=nodes, node_color=colour, ax=ax,
                                   node_size=[60 + 40 * und.degree(n) for n in nodes], label=kind)
    nx.draw_networkx_labels(und, pos, {n: _short(g.nodes[n]["label"]) for n in und}, font_size=6, ax=ax)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("hilfenetz: actors, programmes, projects, events and places (edges: stated relations)")
    ax.axis("off")
    return _save(fig, base)


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_COVERAGE = f"""
SELECT ?area ?areaLabel ?order ?phase ?phaseLabel (COUNT(DISTINCT ?offer) AS ?offers) WHERE {{
  {{ SELECT DISTINCT ?area WHERE {{
      {{ ?o a <{HN}Offer> ; <{HN}areaServed> ?area }}
      UNION {{ ?x a <{HN}Programme> ; <{HN}areaServed> ?area }}
      UNION {{ ?x a <{HN}Project> ; <{HN}areaServed> ?area }}
      UNION {{ ?p <{HN}participant> ?area ; <{HN}participationIn> ?c . ?c a <{HN}Programme> }}
      ?area a <{HN}AdministrativeArea> .
  }} }}
  ?phase <http://www.w3.org/2004/02/skos/core#inScheme> <{HNID}concept/life-phase> ; <{HN}order> ?order .
  OPTIONAL {{ ?offer a <{HN}Offer> ; <{HN}areaServed> ?area ; <{HN}lifePhase> ?phase }}
  OPTIONAL {{ ?area <http://www.w3.org/2000/01/rdf-schema#label> ?areaLabel
             FILTER(LANGMATCHES(LANG(?areaLabel), "de")) }}
  OPTIONAL {{ ?phase <http://www.w3.org/2004/02/skos/core#prefLabel> ?phaseLabel
              FILTER(LANGMATCHES(LANG(?phaseLabel), "en")) }}
}}
GROUP BY ?area ?areaLabel ?order ?phase ?phaseLabel
ORDER BY ?area ?order
"""

_PARTICIPATION = f"""
SELECT DISTINCT ?p ?programme ?label ?start WHERE {{
  ?p a <{HN}Participation> ; <{HN}participationIn> ?c .
  {{ ?c a <{HN}Programme> BIND(?c AS ?programme) }} UNION {{ ?c <{HN}withinProgramme> ?programme }}
  OPTIONAL {{ ?p <{HN}startDate> ?ps }}
  OPTIONAL {{ ?c <{HN}startDate> ?cs . {{ ?c a <{HN}Cooperation> }} UNION {{ ?c a <{HN}Event> }} }}
  BIND(COALESCE(?ps, ?cs) AS ?start)
  FILTER(BOUND(?start))
  OPTIONAL {{ ?programme <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(LANGMATCHES(LANG(?label), "de")) }}
}}
"""


def coverage(store: QueryStore) -> list[dict[str, Any]]:
    """Offers per (area, life phase), zeros included."""
    rows = []
    for s in solutions(store.query(_COVERAGE, use_default_graph_as_union=True)):
        rows.append({"area": s["area"].value, "areaLabel": s["areaLabel"].value if s["areaLabel"] else s["area"].value,
                     "order": int(s["order"].value), "phase": s["phase"].value,
                     "phaseLabel": s["phaseLabel"].value if s["phaseLabel"] else s["phase"].value,
                     "offers": int(s["offers"].value)})
    return rows


def participation_by_year(store: QueryStore) -> dict[str, dict[int, int]]:
    """Per programme (German label): participations that joined in each year — in the programme
    itself or in a cooperation, project, committee or event within it. The year is the stated
    start of the participation, else the start of its cooperation or the date of its event (a
    programme's own start is not the year a participant joined)."""
    seen: set[tuple[str, str]] = set()
    years: dict[str, Counter[int]] = defaultdict(Counter)
    for s in solutions(store.query(_PARTICIPATION, use_default_graph_as_union=True)):
        key = (s["p"].value, s["programme"].value)
        if key in seen:
            continue
        seen.add(key)
        label = s["label"].value if s["label"] is not None else s["programme"].value
        years[label][int(s["start"].value[:4])] += 1
    return {label: dict(sorted(c.items())) for label, c in sorted(years.items())}


def draw_heatmap(rows: list[dict[str, Any]], base: Path) -> list[Path]:
    areas = sorted({(r["areaLabel"], r["area"]) for r in rows})
    phases = sorted({(r["order"], r["phaseLabel"]) for r in rows})
    grid = defaultdict(int)
    for r in rows:
        grid[(r["area"], r["order"])] = r["offers"]
    data = [[grid[(a, o)] for o, _ in phases] for _, a in areas]
    fig, ax = _pyplot().subplots(figsize=(9, 1.2 + 0.45 * max(1, len(areas))))
    im = ax.imshow(data or [[0]], cmap="YlGn", aspect="auto", vmin=0,
                   vmax=max(1, max((max(r) for r in data), default=1)))
    ax.set_xticks(range(len(phases)), [p for _, p in phases], rotation=30, ha="right")
    ax.set_yticks(range(len(areas)), [_short(a, 40) for a, _ in areas])
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8, color="black" if v == 0 else "white")
    fig.colorbar(im, ax=ax, label="offers")
    ax.set_title("Prevention chain coverage: offers per area and life phase (0 = gap)")
    return _save(fig, base)


def draw_participation(by_programme: dict[str, dict[int, int]], base: Path) -> list[Path]:
    """Stacked bars of new participations per year and programme, with the cumulative total."""
    fig, ax = _pyplot().subplots(figsize=(8, 4))
    all_years = [y for years in by_programme.values() for y in years]
    if all_years:
        span = list(range(min(all_years), max(all_years) + 1))
        bottom = [0] * len(span)
        for label, years in by_programme.items():
            values = [years.get(y, 0) for y in span]
            ax.bar(span, values, bottom=bottom, label=_short(label, 40))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.plot(span, [sum(bottom[: i + 1]) for i in range(len(span))], color="#e6550d", marker="o",
                label="cumulative (all programmes)")
        ax.set_xticks(span, [str(y) for y in span])
        ax.legend(fontsize=8)
    ax.set_xlabel("year joined (as stated)")
    ax.set_ylabel("participations")
    ax.set_title("Programme participation over time")
    return _save(fig, base)


def _write_csv(path: Path, rows: list[dict[str, Any]], cols: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def make_report(store: QueryStore, out_dir: Path) -> Report:
    """Write every figure and table into `out_dir` (created)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rep = Report(out_dir)
    g = build_network(store)
    rep.nodes, rep.edges = g.number_of_nodes(), g.number_of_edges()
    rep.files += draw_network(g, out_dir / "network")

    rep.centrality = degree_table(g)
    actors = [r for r in rep.centrality if r["kind"] in ACTOR_KINDS]
    cols = ["id", "label", "kind", "degree", "betweenness"]
    rep.files.append(_write_csv(out_dir / "centrality.csv", rep.centrality, cols))
    md = ["| actor | kind | degree | betweenness |", "|---|---|---:|---:|"]
    md += [f"| {r['label']} | {r['kind']} | {r['degree']} | {r['betweenness']:.4f} |" for r in actors]
    (out_dir / "centrality.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    rep.files.append(out_dir / "centrality.md")

    rep.coverage = coverage(store)
    rep.files.append(_write_csv(out_dir / "coverage.csv", rep.coverage,
                                ["area", "areaLabel", "order", "phase", "phaseLabel", "offers"]))
    rep.files += draw_heatmap(rep.coverage, out_dir / "coverage-heatmap")

    rep.participation = participation_by_year(store)
    rep.files.append(_write_csv(out_dir / "participation.csv",
                                [{"programme": p, "year": y, "participations": n}
                                 for p, years in rep.participation.items() for y, n in years.items()],
                                ["programme", "year", "participations"]))
    rep.files += draw_participation(rep.participation, out_dir / "participation-over-time")

    c = counts(g)
    gaps = sum(1 for r in rep.coverage if r["offers"] == 0)
    lines = [
        "# hilfenetz report", "",
        (f"Network: {rep.nodes} nodes ({', '.join(f'{k} {v}' for k, v in c['nodes'].items())}), "
         f"{rep.edges} edges ({', '.join(f'{k} {v}' for k, v in c['edges'].items())})."), "",
        "![network](network.svg)", "",
        "## Most connected actors", "", *md[:12], "",
        (f"## Prevention chain coverage ({len({r['area'] for r in rep.coverage})} areas × 6 life phases, "
         f"{gaps} cells without any offer)"), "", "![coverage](coverage-heatmap.svg)", "",
        "## Participation over time", "",
        "; ".join(f"{p}: " + ", ".join(f"{y}: {n}" for y, n in years.items())
                  for p, years in rep.participation.items()) or "no participation with a start date", "",
        "![participation](participation-over-time.svg)", "",
    ]
    (out_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    rep.files.append(out_dir / "report.md")
    return rep
