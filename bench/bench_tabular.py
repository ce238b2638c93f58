"""Spreadsheet readers benchmark: which library reads the offers files of issue 17 (xlsx, ODS, CSV).

Candidates, each reading the whole first sheet into Python values:
- xlsx: python-calamine (Rust), openpyxl in read-only mode, pandas.read_excel (openpyxl engine and
  calamine engine), and kg.graph.tabular.read.read_table (calamine + the module's own work: types,
  merges, formula scan, Cell objects);
- ODS: python-calamine, pandas.read_excel with odfpy (the "odf" engine), read_table;
- CSV (`;`, UTF-8 with BOM, as Excel-DE saves it): the standard library's csv, pandas.read_csv,
  read_table.

The files are SYNTHETIC, generated here (seeded) in bench/data/ (git-ignored): offers-like rows with
the columns of an offers template (name, provider, municipality key, life phases, dates, a decimal,
yes/no, a long description), labels starting "Synthetisch". Never loaded into the graph. The xlsx is
written by kg.graph.tabular.write.write_xlsx (so it has drop-down lists and notes, like a template),
the CSV by write_csv, the ODS by pandas' odf writer.

Each measurement is a fresh child process (peak RSS is that reader's alone): wall and CPU seconds of
the read, and the growth of RSS (the process's peak, VmHWM, after the read minus the resident size right before
it, after the imports; Rust allocations are invisible to tracemalloc) and the process's peak RSS.
(Not ru_maxrss: on Linux it keeps the parent's high-water mark across fork and exec.) Medians over --runs (default 5).

    python bench/bench_tabular.py                 # 1,000 and 10,000 rows, 5 runs
    python bench/bench_tabular.py --rows 1000 --runs 3

Writes bench/results/tabular-read.json (records) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"

HEADERS = [
    "Name (name) *", "Anbieter (provider) *", "Gemeinde (municipality, AGS) *", "Lebensphase (life phase)",
    "Angebotsart (offer type)", "Beginn (start)", "Ende (end)", "Plätze (places)", "Kosten (costs, EUR)",
    "Kostenlos (free of charge)", "Webseite (website)", "Beschreibung (description)",
]
_PHASES = ("Schwangerschaft", "Kita", "Grundschule", "Sekundarstufe", "Übergang Schule-Beruf")
_KINDS = ("Beratung", "Gruppenangebot", "Patenschaft", "Freizeit", "Elternkurs")


def offers_rows(n: int, seed: int = 17) -> list[list[object]]:
    """n SYNTHETIC offers-like rows (seeded)."""
    rnd = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        start = datetime.date(2024, 1, 1) + datetime.timedelta(days=rnd.randrange(700))
        rows.append([
            f"Synthetisches Angebot {i}",
            f"Synthetischer Träger {rnd.randrange(n // 10 + 1)}",
            f"05{rnd.randrange(100, 999)}{rnd.randrange(100, 999):03d}",
            "; ".join(rnd.sample(_PHASES, rnd.randrange(1, 3))),
            rnd.choice(_KINDS),
            start,
            start + datetime.timedelta(days=rnd.randrange(30, 400)),
            rnd.randrange(1, 40),
            round(rnd.uniform(0, 500), 2),
            rnd.random() < 0.5,
            f"https://example.org/synthetisch/{i}",
            "Synthetisch: " + " ".join(rnd.choice(("Kinder", "Eltern", "Familie", "Sucht", "Psyche", "Hilfe",
                                                     "Gruppe", "Beratung")) for _ in range(rnd.randrange(5, 25))),
        ])
    return rows


def generate(n: int) -> dict[str, Path]:
    """Write the three files for n rows (once; kept in bench/data/)."""
    from kg.graph.tabular.write import ColumnSpec, write_csv, write_xlsx

    DATA.mkdir(parents=True, exist_ok=True)
    files = {"xlsx": DATA / f"offers-synthetic-{n}.xlsx", "csv": DATA / f"offers-synthetic-{n}.csv",
             "ods": DATA / f"offers-synthetic-{n}.ods"}
    if all(p.exists() for p in files.values()):
        return files
    rows = offers_rows(n)
    columns = [ColumnSpec(h, required=h.endswith("*"),
                          choices=_KINDS if h.startswith("Angebotsart") else ()) for h in HEADERS]
    write_xlsx(files["xlsx"], sheet_title="Angebote (offers)", columns=columns, rows=rows,  # type: ignore[arg-type]
               instructions=[("Synthetische Testdaten.", "Synthetic test data.")])
    write_csv(files["csv"], columns, rows)  # type: ignore[arg-type]
    import pandas as pd

    with pd.ExcelWriter(files["ods"], engine="odf") as writer:
        pd.DataFrame(rows, columns=HEADERS).to_excel(writer, sheet_name="Angebote (offers)", index=False)
    return files


#: reader name → (format, setup code, read code) run in a child process; `path` is the file.
READERS: dict[str, tuple[str, str, str]] = {
    "kg read_table (calamine)": ("xlsx", "from kg.graph.tabular.read import read_table, TableLimits",
                                 "t = read_table(path, limits=TableLimits(max_bytes=0)); n = len(t.rows)"),
    "python-calamine": ("xlsx", "from python_calamine import CalamineWorkbook",
                        "wb = CalamineWorkbook.from_path(str(path)); "
                        "n = len(wb.get_sheet_by_index(0).to_python()) - 1"),
    "openpyxl read_only": ("xlsx", "import openpyxl",
                           "wb = openpyxl.load_workbook(path, read_only=True, data_only=True); "
                           "n = len(list(wb.worksheets[0].iter_rows(values_only=True))) - 1; wb.close()"),
    "pandas (openpyxl)": ("xlsx", "import pandas as pd", "n = len(pd.read_excel(path, engine='openpyxl'))"),
    "pandas (calamine)": ("xlsx", "import pandas as pd", "n = len(pd.read_excel(path, engine='calamine'))"),
    "kg read_table (calamine) ods": ("ods", "from kg.graph.tabular.read import read_table",
                                     "n = len(read_table(path).rows)"),
    "python-calamine ods": ("ods", "from python_calamine import CalamineWorkbook",
                            "wb = CalamineWorkbook.from_path(str(path)); "
                            "n = len(wb.get_sheet_by_index(0).to_python()) - 1"),
    "pandas (odfpy)": ("ods", "import pandas as pd", "n = len(pd.read_excel(path, engine='odf'))"),
    "kg read_table (csv)": ("csv", "from kg.graph.tabular.read import read_table", "n = len(read_table(path).rows)"),
    "csv module": ("csv", "import csv, io",
                   "n = len(list(csv.reader(io.StringIO(path.read_text(encoding='utf-8-sig'), newline=''), "
                   "delimiter=';'))) - 1"),
    "pandas read_csv": ("csv", "import pandas as pd",
                        "n = len(pd.read_csv(path, sep=';', encoding='utf-8-sig', dtype=str))"),
}

_CHILD = """
import sys, time
from pathlib import Path
path = Path(sys.argv[1])
{setup}
import os
page = os.sysconf("SC_PAGE_SIZE")
with open("/proc/self/statm") as fh:
    before = int(fh.read().split()[1]) * page / 1024  # resident KB right before the read
t0 = time.perf_counter(); c0 = time.process_time()
{read}
wall = time.perf_counter() - t0; cpu = time.process_time() - c0
with open("/proc/self/status") as fh:  # VmHWM: this process's own peak (ru_maxrss carries the parent's over exec)
    after = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(wall, cpu, (after - before) / 1024, after / 1024, n)
"""


def measure(reader: str, path: Path, timeout: float) -> dict[str, float] | None:
    _fmt, setup, read = READERS[reader]
    code = _CHILD.format(setup=setup, read=read)
    try:
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                             timeout=timeout, check=True, cwd=ROOT).stdout.split()
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{reader} failed:\n{exc.stderr}") from None
    wall, cpu, rss, peak, n = out
    return {"wall": float(wall), "cpu": float(cpu), "rss_mb": float(rss), "peak_mb": float(peak), "rows": int(n)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--readers", nargs="+", default=list(READERS))
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    records = []
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    for n in args.rows:
        files = generate(n)
        sizes = {fmt: p.stat().st_size for fmt, p in files.items()}
        for reader in args.readers:
            fmt = READERS[reader][0]
            runs = []
            for _ in range(args.runs):  # runs of one reader back to back; readers one after another
                m = measure(reader, files[fmt], args.timeout)
                if m is None:
                    break
                runs.append(m)
            rec = {"rows": n, "format": fmt, "reader": reader, "file_bytes": sizes[fmt], "runs": len(runs),
                   "timeout": len(runs) < args.runs, "commit": commit, "load": os.getloadavg()[0],
                   "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            for key in ("wall", "cpu", "rss_mb", "peak_mb"):
                rec[key] = statistics.median(r[key] for r in runs) if runs else None
            rec["rows_read"] = runs[0]["rows"] if runs else None
            records.append(rec)
            print(json.dumps(rec), flush=True)
    with (RESULTS / "tabular-read.json").open("a", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    print("\n| rows | format | reader | file KB | runs | wall s | CPU s | RSS growth MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in records:
        def f(v: float | None, d: int = 3) -> str:
            return "timeout" if v is None else f"{v:.{d}f}"
        print(f"| {r['rows']:,} | {r['format']} | {r['reader']} | {r['file_bytes'] // 1024:,} | {r['runs']} | "
              f"{f(r['wall'])} | {f(r['cpu'])} | {f(r['rss_mb'], 1)} | {f(r['peak_mb'], 0)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
