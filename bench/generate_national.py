"""SYNTHETIC national-scale data for the SHACL benchmark — invented, never real, never loaded by default.

Why: validation has to be measured at the size a national graph would have (every German
Gemeinde with its offers, organisations, cooperations, events and grants), against the project's
real shapes. The curated graph is far too small for that.

- Every German Gemeinde from data/reference/gemeinden.csv becomes a synthetic municipality (with
  its Kreis, Land and Germany as synthetic areas), and gets a share of synthetic organisations,
  offers (with evidence), cooperations (two participations each), events and grants (with a
  monetary amount), scaled so the output has about --triples triples.
- Every resource lies under `https://w3id.org/hilfenetz/id/synthetic/`; every entity carries
  `hn:synthetic true`; labels start with "Synthetisch"; the dataset node says the data is invented.
  SKOS concepts are the project's real ones (ontology/schemes), referenced, never minted.
- About 1 % of the entities get one injected violation (kinds in INJECTIONS); the counts go to
  `<output>.injected.json`.
- Seeded: the same arguments give the same bytes. Output: N-Quads in bench/data/ (git-ignored).

    python bench/generate_national.py --triples 1000000 --seed 7
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "bench" / "data"
HN = "https://w3id.org/hilfenetz/ontology#"
SYN = "https://w3id.org/hilfenetz/id/synthetic/"
GRAPH = SYN + "graph/national"
CONCEPT = "https://w3id.org/hilfenetz/id/concept/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"

INJECTIONS = ("missing-label", "bad-start-date", "bad-ags", "age-order", "negative-amount", "bad-currency",
              "wrong-scheme", "provider-not-agent", "missing-stated-in", "two-parents", "long-quote",
              "one-participation")

# triples one "unit" (an organisation with two offers, a cooperation, an event and a grant) produces
_UNIT_TRIPLES = 77
_AREA_TRIPLES = 10


def _concepts() -> dict[str, list[str]]:
    """Concept IRIs per scheme slug, from the project's SKOS files (topic, target-group, ...)."""
    import rdflib

    g = rdflib.Graph()
    for f in sorted((ROOT / "ontology" / "schemes").glob("*.ttl")):
        g.parse(f, format="turtle")
    out: dict[str, list[str]] = {}
    in_scheme = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme")
    for c, s in g.subject_objects(in_scheme):
        out.setdefault(str(s).rsplit("/", 1)[-1], []).append(str(c))
    return {k: sorted(v) for k, v in out.items()}


def _gemeinden() -> list[dict[str, str]]:
    with open(ROOT / "data" / "reference" / "gemeinden.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["ags"] and len(r["ags"]) == 8]


def _i(v: str) -> str:
    return f"<{v}>"


def _s(v: str, lang: str | None = None) -> str:
    e = v.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{e}"@{lang}' if lang else f'"{e}"'


def _t(v: object, dt: str) -> str:
    return f'"{v}"^^<{XSD}{dt}>'


TRUE = _t("true", "boolean")


class Gen:
    """Writes triples as N-Quad lines; one method per kind of entity."""

    def __init__(self, seed: int, injection_rate: float) -> None:
        self.rnd = random.Random(seed)
        self.rate = injection_rate
        self.injected: Counter[str] = Counter()
        self.concepts = _concepts()
        self.n = 0
        self.sources = [f"{SYN}source/{i}" for i in range(20)]

    def q(self, s: str, p: str, o: str) -> str:
        self.n += 1
        return f"{_i(s)} {_i(p)} {o} {_i(GRAPH)} .\n"

    def inject(self) -> str | None:
        if self.rnd.random() < self.rate:
            kind = self.rnd.choice(INJECTIONS)
            self.injected[kind] += 1
            return kind
        return None

    def concept(self, scheme: str) -> str:
        return _i(self.rnd.choice(self.concepts[scheme]))

    def entity(self, iri: str, cls: str, label: str, bad: str | None) -> Iterator[str]:
        yield self.q(iri, RDF_TYPE, _i(HN + cls))
        yield self.q(iri, HN + "synthetic", TRUE)
        if bad != "missing-label":
            yield self.q(iri, LABEL, _s(f"Synthetisch: {label}", "de"))
        if bad != "missing-stated-in":
            yield self.q(iri, HN + "statedIn", _i(self.rnd.choice(self.sources)))

    def header(self) -> Iterator[str]:
        ds = SYN + "dataset/national"
        yield self.q(ds, HN + "synthetic", TRUE)
        yield self.q(ds, "http://purl.org/dc/terms/description",
                     _s("Synthetische Testdaten für Benchmarks; alle Angaben sind erfunden.", "de"))
        for i, src in enumerate(self.sources):
            yield self.q(src, RDF_TYPE, _i(HN + "SourceDocument"))
            yield self.q(src, HN + "synthetic", TRUE)
            yield self.q(src, "http://purl.org/dc/terms/title", _s(f"Synthetisches Dokument {i}", "de"))
            yield self.q(src, HN + "fileName", _s(f"synthetic-{i}.txt"))
            yield self.q(src, HN + "sha256", _s(f"{self.rnd.getrandbits(256):064x}"))
        de = SYN + "area/de"
        yield from self.entity(de, "Country", "Deutschland", None)

    def area(self, row: dict[str, str], seen: set[str]) -> Iterator[str]:
        ags = row["ags"]
        land, kreis = ags[:2], ags[:5]
        if land not in seen:
            seen.add(land)
            li = f"{SYN}area/{land}"
            yield from self.entity(li, "Land", f"Land {land}", None)
            yield self.q(li, HN + "ags", _s(land))
            yield self.q(li, HN + "ars", _s(land))
            yield self.q(li, HN + "partOf", _i(SYN + "area/de"))
        if kreis not in seen:
            seen.add(kreis)
            ki = f"{SYN}area/{kreis}"
            yield from self.entity(ki, "District", f"Kreis {kreis}", None)
            yield self.q(ki, HN + "ags", _s(kreis))
            yield self.q(ki, HN + "ars", _s(kreis))
            yield self.q(ki, HN + "partOf", _i(f"{SYN}area/{land}"))
        bad = self.inject()
        mi = f"{SYN}area/{ags}"
        yield from self.entity(mi, "Municipality", row["name"], bad)
        yield self.q(mi, HN + "ags", _s(ags if bad != "bad-ags" else ags[:7] + "x"))
        yield self.q(mi, HN + "ars", _s((row.get("ars") or ags + "0000")[:12]))
        yield self.q(mi, HN + "partOf", _i(f"{SYN}area/{kreis}"))
        if bad == "two-parents":
            yield self.q(mi, HN + "partOf", _i(f"{SYN}area/{land}"))
        if row.get("population", "").isdigit():
            yield self.q(mi, HN + "population", _t(int(row["population"]), "integer"))
            yield self.q(mi, HN + "populationDate", _t("2024-12-31", "date"))

    def unit(self, ags: str, k: int) -> Iterator[str]:
        """An organisation in municipality `ags` with two offers, a cooperation, an event and a grant."""
        rnd = self.rnd
        area = f"{SYN}area/{ags}"
        org = f"{SYN}org/{ags}-{k}"
        yield from self.entity(org, "Organisation", f"Träger {ags}-{k}", self.inject())
        yield self.q(org, HN + "orgType", self.concept("organisation-type"))
        yield self.q(org, HN + "areaServed", _i(area))
        yield self.q(org, HN + "sector", self.concept("sector"))
        for j in range(2):
            bad = self.inject()
            off = f"{SYN}offer/{ags}-{k}-{j}"
            yield from self.entity(off, "Offer", f"Angebot {ags}-{k}-{j}", bad)
            yield self.q(off, HN + "provider", _i(org if bad != "provider-not-agent" else SYN + "source/0"))
            yield self.q(off, HN + "areaServed", _i(area))
            yield self.q(off, HN + "targetGroup", self.concept("target-group"))
            yield self.q(off, HN + "topic", self.concept("topic" if bad != "wrong-scheme" else "sector"))
            yield self.q(off, HN + "offerType", self.concept("offer-type"))
            lo = rnd.randrange(0, 12)
            hi = lo + rnd.randrange(1, 10)
            yield self.q(off, HN + "minAge", _t(lo if bad != "age-order" else hi + 3, "integer"))
            yield self.q(off, HN + "maxAge", _t(hi, "integer"))
            y = rnd.randrange(2005, 2025)
            yield self.q(off, HN + "startDate",
                         _t(f"{y}-{rnd.randrange(1, 13):02d}-01", "date") if bad != "bad-start-date"
                         else _s(f"{y}-13"))
            ev = f"{SYN}evidence/{ags}-{k}-{j}"
            yield self.q(off, HN + "evidence", _i(ev))
            yield self.q(ev, RDF_TYPE, _i(HN + "Evidence"))
            yield self.q(ev, HN + "synthetic", TRUE)
            quote = "Synthetisches Zitat " + str(rnd.getrandbits(32))
            yield self.q(ev, HN + "quote", _s(quote if bad != "long-quote" else quote * 10))
            yield self.q(ev, HN + "inSource", _i(rnd.choice(self.sources)))
            yield self.q(ev, HN + "supports", _i(HN + "startDate"))
        bad = self.inject()
        coop = f"{SYN}cooperation/{ags}-{k}"
        yield from self.entity(coop, "Cooperation", f"Kooperation {ags}-{k}", bad)
        yield self.q(coop, HN + "cooperationForm", self.concept("cooperation-form"))
        for j in range(1 if bad == "one-participation" else 2):
            part = f"{SYN}participation/{ags}-{k}-{j}"
            yield self.q(coop, HN + "hasParticipation", _i(part))
            yield self.q(part, RDF_TYPE, _i(HN + "Participation"))
            yield self.q(part, HN + "synthetic", TRUE)
            yield self.q(part, HN + "statedIn", _i(rnd.choice(self.sources)))
            yield self.q(part, HN + "participant", _i(org if j == 0 else f"{SYN}org/{ags}-{max(k - 1, 0)}"))
            yield self.q(part, HN + "role", self.concept("role"))
        bad = self.inject()
        evt = f"{SYN}event/{ags}-{k}"
        yield from self.entity(evt, "Event", f"Fachtag {ags}-{k}", bad)
        yield self.q(evt, HN + "organiser", _i(org))
        yield self.q(evt, HN + "location", _i(area))
        yield self.q(evt, HN + "startDate", _t(f"{rnd.randrange(2005, 2025)}", "gYear"))
        yield self.q(evt, HN + "eventFormat", self.concept("event-format"))
        bad = self.inject()
        grant = f"{SYN}grant/{ags}-{k}"
        amount = f"{SYN}amount/{ags}-{k}"
        yield self.q(grant, RDF_TYPE, _i(HN + "Grant"))
        yield self.q(grant, HN + "synthetic", TRUE)
        if bad != "missing-stated-in":
            yield self.q(grant, HN + "statedIn", _i(rnd.choice(self.sources)))
        yield self.q(grant, HN + "funder", _i(f"{SYN}area/{ags[:2]}"))
        yield self.q(grant, HN + "recipient", _i(org))
        yield self.q(grant, HN + "fundedItem", _i(f"{SYN}offer/{ags}-{k}-0"))
        yield self.q(grant, HN + "amount", _i(amount))
        yield self.q(amount, RDF_TYPE, _i(HN + "MonetaryAmount"))
        yield self.q(amount, HN + "synthetic", TRUE)
        value = rnd.randrange(1000, 500000)
        yield self.q(amount, HN + "amountValue", _t(f"{-value if bad == 'negative-amount' else value}.00", "decimal"))
        yield self.q(amount, HN + "currency", _s("EUR" if bad != "bad-currency" else "eur"))


def generate(path: Path, target_triples: int, seed: int, injection_rate: float = 0.01) -> dict[str, object]:
    """Write the N-Quads file; returns what was written (triples, injected violations by kind)."""
    gen = Gen(seed, injection_rate)
    rows = _gemeinden()
    units_total = max(0, (target_triples - _AREA_TRIPLES * len(rows)) // _UNIT_TRIPLES)
    path.parent.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(gen.header())
        for i, row in enumerate(rows):
            out.writelines(gen.area(row, seen))
            # spread the units evenly (the larger the town, the more would be realistic; even is simpler)
            share = units_total * (i + 1) // len(rows) - units_total * i // len(rows)
            for k in range(share):
                out.writelines(gen.unit(row["ags"], k))
    info = {"triples": gen.n, "seed": seed, "gemeinden": len(rows), "units": units_total,
            "injected": dict(sorted(gen.injected.items())), "graph": GRAPH}
    Path(str(path) + ".injected.json").write_text(json.dumps(info, indent=1))
    return info


def default_path(target_triples: int, seed: int) -> Path:
    return DATA_DIR / f"national-{target_triples}-s{seed}.nq"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--triples", type=int, default=1_000_000, help="approximate size (default 1M)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rate", type=float, default=0.01, help="share of entities with an injected violation")
    ap.add_argument("--output", type=Path, help="default: bench/data/national-<triples>-s<seed>.nq")
    args = ap.parse_args(argv)
    out = args.output or default_path(args.triples, args.seed)
    info = generate(out, args.triples, args.seed, args.rate)
    print(f"wrote {out}: {info['triples']} triples, injected {sum(info['injected'].values())} "  # type: ignore[union-attr]
          f"violations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
