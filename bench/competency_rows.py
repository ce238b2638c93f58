"""Run every named query in queries/ on a store and write its rows as JSON (one file), so two runs
(before and after a data change) can be compared row by row: `python bench/competency_rows.py STORE
OUT.json`, then `python bench/competency_rows.py --diff BEFORE.json AFTER.json` lists, per query,
the rows gained and lost. Issue 21 asks that the competency queries answer as before or better."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kg.sparql.params import load_named_queries

ROOT = Path(__file__).resolve().parent.parent


def rows(store_path: Path) -> dict[str, list[list[str]]]:
    """Every named query with its default values, through `kg query NAME --format csv` (the same path
    an analyst uses); rows sorted, duplicates kept (so a double count shows as a lost row)."""
    kg = Path(sys.executable).with_name("kg")
    out: dict[str, list[list[str]]] = {}
    for q in load_named_queries(ROOT / "queries"):
        proc = subprocess.run([str(kg), "query", q.name, "--format", "tsv", "--store", str(store_path)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        lines = proc.stdout.splitlines()[1:]
        out[q.name] = sorted(line.split("\t") for line in lines if line)
    return out


def diff(before: dict[str, list[list[str]]], after: dict[str, list[list[str]]]) -> str:
    lines = []
    for name in sorted(set(before) | set(after)):
        b = [tuple(r) for r in before.get(name, [])]
        a = [tuple(r) for r in after.get(name, [])]
        gained = [r for r in a if r not in b]
        lost = [r for r in b if r not in a]
        lines.append(f"## {name}: {len(b)} -> {len(a)} rows (+{len(gained)} / -{len(lost)})")
        lines += [f"+ {' | '.join(r)}" for r in gained]
        lines += [f"- {' | '.join(r)}" for r in lost]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "--diff":
        print(diff(json.loads(Path(sys.argv[2]).read_text()), json.loads(Path(sys.argv[3]).read_text())))
    else:
        Path(sys.argv[2]).write_text(json.dumps(rows(Path(sys.argv[1])), ensure_ascii=False, indent=1))
