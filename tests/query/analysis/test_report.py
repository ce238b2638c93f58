"""`kg report` on the real data: writes the figures to test-artifacts/report (look at them), and
the numbers behind them are the ones the seeds imply."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import read_csv, run_cli

HNID = "https://w3id.org/hilfenetz/id/"


@pytest.fixture(scope="module")
def report_dir(built_store: Path) -> Path:
    out = Path(__file__).resolve().parents[3] / "test-artifacts" / "report"
    assert run_cli("report", "--output", str(out), "--store", str(built_store)) == 0
    return out


@pytest.mark.parametrize("name", ["network", "coverage-heatmap", "participation-over-time"])
def test_figures_png_and_svg(report_dir: Path, name: str) -> None:
    png = (report_dir / f"{name}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    svg = (report_dir / f"{name}.svg").read_text(encoding="utf-8")
    assert "<svg" in svg


def test_centrality_table(report_dir: Path) -> None:
    rows = read_csv(report_dir / "centrality.csv")
    assert len(rows) == 64
    assert all(0.0 <= float(r["betweenness"]) <= 1.0 for r in rows)
    degree = {r["id"]: int(r["degree"]) for r in rows}
    # Gladbeck: KPK, Kreis RE (partOf and cooperation: one neighbour), Castrop-Rauxel
    assert degree[HNID + "area/05562014"] == 3
    # the LKS: BI, NZFH, Fachtag, its presentation, the event series, NRW (areaServed), the ministry it
    # is "beim Ministerium angesiedelt" at (unitOf)
    assert degree[HNID + "org/landeskoordinierungsstelle-fruehe-hilfen-nrw"] == 7
    md = (report_dir / "centrality.md").read_text(encoding="utf-8")
    assert md.startswith("| actor | kind | degree | betweenness |")


def test_coverage_is_sparse(report_dir: Path) -> None:
    rows = read_csv(report_dir / "coverage.csv")
    areas = {r["area"] for r in rows}
    # areas an offer serves (07), programmes/projects serve (05, 07, 05562, 05913000, 05374) or
    # that take part in a programme (05562014, 05562); the Bundesinitiative states no area (issue 21)
    assert areas == {HNID + "area/" + a for a in ("07", "05", "05562", "05913000", "05374", "05562014")}
    assert len(rows) == 6 * 6
    # no offer in the seeds has both an area and a life phase: every cell is a gap (a finding)
    assert {r["offers"] for r in rows} == {"0"}


def test_participation_over_time(report_dir: Path) -> None:
    rows = sorted((r["programme"], int(r["year"]), int(r["participations"]))
                  for r in read_csv(report_dir / "participation.csv"))
    # KPK: Gladbeck 2012; Kreis RE 2017 and the three partners of the KPK cooperation 2017. BI: the
    # five participations in the Fachtag (an event within the BI) of 2013-07-15 (Neuendorf, Elzer,
    # NZFH, LKS, the two Landesjugendämter as co-organiser); the direct BI participations state no year.
    # The Bundestag's working group (2018) is no programme.
    assert rows == [("Bundesinitiative „Netzwerke Frühe Hilfen und Familienhebammen 2012–2015“", 2013, 5),
                    ("Kommunale Präventionsketten", 2012, 1), ("Kommunale Präventionsketten", 2017, 4)]


def test_report_index(report_dir: Path) -> None:
    text = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "64 nodes" in text and "87 edges" in text and "36 cells without any offer" in text
