"""Quality and latency of the reconciliation service (`/reconcile`, kg/query/reconcile.py).

Not part of the test suite; run by hand (about a minute on the real graph):

    python bench/bench_reconcile.py [--store var/store] [--per-land 100] [--runs 5]

What it does:
1. builds name variants from the reference data (data/reference/{gemeinden,kreise,laender}.csv),
   each with the IRI it must find (`hnid:area/{AGS}`, known from the data): for a sample of
   Gemeinden of every Land (`--per-land`, seeded) the official name ("Gladbeck, Stadt"), the
   name before the comma, "Stadt X" and "X, Stadt" (towns) or "Gemeinde X" (others), umlauts
   transliterated (ä→ae) and dropped (ä→a), upper case, hyphens as spaces, and the usual
   abbreviations ("an der"→"a.d.", "bei"→"b.", "Sankt"→"St."); for every Kreis the official
   name, "Kreis X", "Kr. X", "Landkreis X", "LK X", "Lkr. X" (kreisfreie Städte: "Stadt X",
   "X, Stadt", "kreisfreie Stadt X"); the 16 Länder. Type: hn:Municipality, hn:District,
   hn:Land as a data steward would choose.
2. starts `kg serve` on 127.0.0.1 over the store and sends the variants as OpenRefine does
   (POST, form-encoded `queries=`, batches of 100), twice: with the Land as a property (a
   column most lists have) and without it;
3. reports top-1 recall (the expected IRI is the first candidate), the precision of
   `match: true` (the share of automatic matches that are right) and its rate, per variant
   kind, with examples of what still fails; and the latency of one batch of 100 queries
   (median of `--runs` runs after one warm-up; the index is built before timing).
Results: bench/results/reconcile.md and .json.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "data" / "reference"
RESULTS = ROOT / "bench" / "results"
AREA = "https://w3id.org/hilfenetz/id/area/"
CITY = {"Stadt", "Große Kreisstadt", "Kreisfreie Stadt", "Stadtkreis"}
BATCH = 100
HISTORY = "## Iterations of the matcher"


def rows(name: str) -> list[dict[str, str]]:
    with open(REF / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def transliterate(text: str) -> str:
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return text


def strip_marks(text: str) -> str:
    text = text.replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def abbreviate(text: str) -> str:
    for a, b in ((" an der ", " a.d. "), (" am ", " a. "), (" bei ", " b. "), (" b. ", " bei "), ("Sankt ", "St. "),
                 ("St. ", "Sankt "), (" a.d. ", " an der "), (" im ", " i. "), (" in der ", " i.d. ")):
        if a in text:
            return text.replace(a, b)
    return text


def gemeinde_variants(r: dict[str, str]) -> list[tuple[str, str]]:
    name = r["name"]
    short = name.split(",")[0].strip()
    tail = name.partition(",")[2].strip()
    city = r["type_detail"] in CITY or tail.split(",")[0].strip() in ("Stadt", "St")
    out = [("official", name), ("short", short), ("upper", short.upper())]
    out += [("stadt-prefix", f"Stadt {short}"), ("stadt-suffix", f"{short}, Stadt")] if city else \
        [("gemeinde-prefix", f"Gemeinde {short}")]
    if transliterate(short) != short:
        out += [("umlaut-ae", transliterate(short)), ("umlaut-dropped", strip_marks(short))]
    if "-" in short:
        out.append(("hyphen-space", short.replace("-", " ")))
    if abbreviate(short) != short:
        out.append(("abbreviation", abbreviate(short)))
    return out


def kreis_variants(r: dict[str, str]) -> list[tuple[str, str]]:
    name = r["name"]
    short = name.split(",")[0].strip()
    out = [("official", name)]
    if r["type"] == "kreisfreie Stadt":
        out += [("short", short), ("stadt-prefix", f"Stadt {short}"), ("stadt-suffix", f"{short}, Stadt"),
                ("kreisfreie-stadt", f"kreisfreie Stadt {short}")]
    elif not any(w in short.lower() for w in ("kreis", "region", "verband")):
        out += [(k, f"{p} {short}") for k, p in (("kreis-prefix", "Kreis"), ("kr-abbrev", "Kr."),
                                                  ("landkreis", "Landkreis"), ("lk-abbrev", "LK"),
                                                  ("lkr-abbrev", "Lkr."))]
    if transliterate(short) != short:
        out.append(("umlaut-ae", transliterate(short)))
    return out


def build_variants(per_land: int, seed: int) -> list[dict[str, Any]]:
    laender = {r["ags"]: r["name"] for r in rows("laender.csv")}
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    by_land: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows("gemeinden.csv"):
        if r["type"] == "Gemeinde":
            by_land[r["land"]].append(r)
    for land, members in sorted(by_land.items()):
        for r in sorted(rng.sample(members, min(per_land, len(members))), key=lambda r: r["ags"]):
            for kind, text in gemeinde_variants(r):
                out.append({"unit": "Gemeinde", "kind": kind, "query": text, "type": "hn:Municipality",
                            "land": laender[land], "expected": AREA + r["ags"]})
    for r in rows("kreise.csv"):
        for kind, text in kreis_variants(r):
            out.append({"unit": "Kreis", "kind": kind, "query": text, "type": "hn:District",
                        "land": laender[r["land"]], "expected": AREA + r["ags"]})
    unique: dict[tuple[str, str, str], dict[str, Any]] = {}  # one variant per text ("Hof": official = short)
    for v in out:
        unique.setdefault((v["unit"], v["query"], v["expected"]), v)
    out = list(unique.values())
    for ags, name in laender.items():
        for kind, text in (("official", name), ("umlaut-ae", transliterate(name))):
            if kind == "official" or text != name:
                out.append({"unit": "Land", "kind": kind, "query": text, "type": "hn:Land", "land": None,
                            "expected": AREA + ags})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"bench-reconcile-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--project", str(ROOT),
                                 "--host", "127.0.0.1", "--port", str(port), "--replicas", "1", "--workers", "1",
                                 "--no-warm"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"kg serve ended; see {log}")
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("kg serve did not start")


def batch_payload(variants: list[dict[str, Any]], with_land: bool) -> dict[str, Any]:
    queries = {}
    for i, v in enumerate(variants):
        q: dict[str, Any] = {"query": v["query"], "type": v["type"], "limit": 5}
        if with_land and v["land"]:
            q["properties"] = [{"pid": "land", "v": v["land"]}]
        queries[f"q{i}"] = q
    return queries


def run_quality(client: httpx.Client, variants: list[dict[str, Any]], with_land: bool) -> list[dict[str, Any]]:
    graded = []
    for start_i in range(0, len(variants), BATCH):
        chunk = variants[start_i:start_i + BATCH]
        r = client.post("/reconcile", data={"queries": json.dumps(batch_payload(chunk, with_land))})
        r.raise_for_status()
        answer = r.json()
        for i, v in enumerate(chunk):
            result = answer[f"q{i}"]["result"]
            top = result[0] if result else None
            graded.append({**v, "top": top["id"] if top else None, "top_name": top["name"] if top else None,
                           "score": top["score"] if top else None, "match": bool(top and top["match"]),
                           "hit": bool(top and top["id"] == v["expected"]),
                           "n_exact": sum(1 for c in result if c["score"] >= 90)})
    return graded


def summarise(graded: list[dict[str, Any]]) -> dict[str, Any]:
    def figures(items: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(items)
        matched = [g for g in items if g["match"]]
        return {"n": n, "top1_recall": sum(g["hit"] for g in items) / n if n else 0.0,
                "match_rate": len(matched) / n if n else 0.0,
                "match_precision": (sum(g["hit"] for g in matched) / len(matched)) if matched else 1.0,
                "wrong_matches": len(matched) - sum(g["hit"] for g in matched)}

    per_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in graded:
        per_kind[f"{g['unit']}: {g['kind']}"].append(g)
    failures = [g for g in graded if not g["hit"]]
    return {"all": figures(graded), "per_kind": {k: figures(v) for k, v in sorted(per_kind.items())},
            "failures": failures, "failure_reasons": Counter(_reason(g) for g in failures)}


def _reason(g: dict[str, Any]) -> str:
    if g["top"] is None:
        return "no candidate"
    if g["n_exact"] > 1:
        return "namesakes (several exact candidates)"
    if g["score"] is not None and g["score"] < 90:
        return "only similar names"
    return "other entity ranked first"


def measure_latency(client: httpx.Client, variants: list[dict[str, Any]], runs: int) -> list[float]:
    rng = random.Random(7)
    sample = rng.sample(variants, BATCH)
    payload = {"queries": json.dumps(batch_payload(sample, True))}
    client.post("/reconcile", data=payload).raise_for_status()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        client.post("/reconcile", data=payload).raise_for_status()
        times.append(time.perf_counter() - t)
    return times


def write_report(variants: list[dict[str, Any]], with_land: dict[str, Any], without: dict[str, Any],
                 latency: list[float], index_s: float, args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    units = Counter(v["unit"] for v in variants)
    lines = [
        "# Reconciliation: quality and latency",
        "",
        f"`python bench/bench_reconcile.py --per-land {args.per_land} --runs {args.runs}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, Python "
        f"{platform.python_version()}; `kg serve --replicas 1 --workers 1` over the real built graph, "
        "queries sent as OpenRefine sends them (POST, form-encoded, batches of 100).",
        "",
        f"{len(variants)} name variants built from data/reference/*.csv over all 16 Länder "
        f"({units['Gemeinde']} of {args.per_land} sampled Gemeinden per Land, {units['Kreis']} of all 400 Kreise "
        f"and kreisfreie Städte, {units['Land']} of the Länder), each with the IRI it must find. "
        "Top-1 recall: the expected IRI is the first candidate. Precision of `match: true`: the share of "
        "automatic matches that are the expected IRI.",
        "",
        "| set | variants | top-1 recall | `match: true` rate | precision of `match: true` | wrong matches |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, s in (("with the Land as a property", with_land), ("name only", without)):
        a = s["all"]
        lines.append(f"| {label} | {a['n']} | {a['top1_recall']:.4f} | {a['match_rate']:.4f} | "
                     f"{a['match_precision']:.4f} | {a['wrong_matches']} |")
    lines += ["", f"Latency of one batch of 100 queries (with Land): median {statistics.median(latency) * 1000:.0f} ms "
              f"over {len(latency)} runs (min {min(latency) * 1000:.0f}, max {max(latency) * 1000:.0f} ms), after "
              f"the index was built (first request: {index_s:.1f} s, once per store version).", "",
              "## Per variant kind (with the Land as a property / name only)", "",
              "| kind | variants | top-1 recall | match rate | precision | top-1 recall, name only | "
              "match rate, name only | precision, name only |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k, f in with_land["per_kind"].items():
        o = without["per_kind"][k]
        lines.append(f"| {k} | {f['n']} | {f['top1_recall']:.3f} | {f['match_rate']:.3f} | {f['match_precision']:.3f} "
                     f"| {o['top1_recall']:.3f} | {o['match_rate']:.3f} | {o['match_precision']:.3f} |")
    for label, s in (("with the Land as a property", with_land), ("name only", without)):
        lines += ["", f"## What still fails ({label}): {len(s['failures'])} variants", ""]
        lines += [f"- {reason}: {n}" for reason, n in s["failure_reasons"].most_common()]
        lines += ["", "| query | type | expected | first candidate | score | match |", "|---|---|---|---|---:|---|"]
        for g in s["failures"][:25]:
            top = f"{g['top_name'] or '–'} ({(g['top'] or '–').rsplit('/', 1)[-1]})"
            lines.append(f"| {g['query']} | {g['type']} | {g['expected'].rsplit('/', 1)[-1]} | {top} | "
                         f"{g['score']} | {g['match']} |")
    previous = RESULTS / "reconcile.md"
    kept = ""
    if previous.exists():  # the hand-written history of the matcher's iterations survives a re-run
        text = previous.read_text(encoding="utf-8")
        if HISTORY in text:
            kept = "\n" + text[text.index(HISTORY):]
    previous.write_text("\n".join(lines) + "\n" + kept, encoding="utf-8")
    (RESULTS / "reconcile.json").write_text(json.dumps({
        "variants": len(variants), "latency_s": latency, "index_build_s": index_s,
        "with_land": {k: v for k, v in with_land.items() if k != "failures"},
        "name_only": {k: v for k, v in without.items() if k != "failures"},
        "failures_with_land": with_land["failures"], "failures_name_only": without["failures"][:500],
    }, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    ap.add_argument("--per-land", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    variants = build_variants(args.per_land, args.seed)
    print(f"{len(variants)} variants", file=sys.stderr)
    proc, url = start(args.store)
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            t = time.perf_counter()
            client.post("/reconcile", data={"queries": json.dumps({"q": {"query": "Gladbeck"}})}).raise_for_status()
            index_s = time.perf_counter() - t
            with_land = summarise(run_quality(client, variants, True))
            without = summarise(run_quality(client, variants, False))
            latency = measure_latency(client, variants, args.runs)
    finally:
        proc.terminate()
        proc.wait(30)
    write_report(variants, with_land, without, latency, index_s, args)
    for label, s in (("with Land", with_land), ("name only", without)):
        a = s["all"]
        print(f"{label}: n={a['n']} top1={a['top1_recall']:.4f} match_rate={a['match_rate']:.4f} "
              f"precision={a['match_precision']:.4f} wrong={a['wrong_matches']}", file=sys.stderr)
    print(f"batch of 100: median {statistics.median(latency) * 1000:.0f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
