"""Kept contributions: every accepted contribution — a spreadsheet through `kg import`, HSDS
through `kg hsds import`, a spreadsheet or RDF file approved on the web — is kept under
`PROJECT/data/contributions/` as its original file plus metadata, so that `kg build` on a fresh
clone rebuilds the same graphs (same IRIs, same source nodes) as the live store holds.

**Layout.** One metadata file per contribution graph, `<slug>.json` (slug: the graph IRI's last
segment), listing the graph's *versions* in the order they were accepted; each version's file is
`files/<slug>-<sha256[:12]><ext>` (a folder of its own: an HSDS file is JSON too). A version
records its format (`spreadsheet`, `hsds`, `rdf`), template kind, graph, the kept file and the
original file name, its SHA-256, the source (title, publisher, licence, date, URL, comment), the
tool version, who approved it (the token's name, `cli` for the command line) and who submitted it,
the id of the change that committed it (kg.graph.changes), when, and — once reverted — the id of
the revert.

**Why content-addressed files and the JSON as the commit point.** A new version's file is
written first under its own name (nothing reads it yet), then the JSON is replaced in one
`os.replace` after an fsync: a crash leaves either the old metadata (and an unreferenced file)
or the new, never a metadata file naming a file that is not there or a file of other content.

**Why versions, when `kg build` replays only one per graph.** A replaced contribution (the same
graph re-imported or re-approved) is replayed as its newest version only: its plan is the whole
graph, so the older ones add nothing. But a revert (`kg revert`, `POST /changes/{id}/revert`) of
that newest version puts the version before it back into the store, so the build must replay that
one: `mark_reverted` sets `reverted_by` on the version whose change was reverted (and clears it
when the revert is itself reverted), and the build replays the newest version not reverted —
none when all are, so a reverted contribution does not come back. The older files stay for that;
a spreadsheet is kilobytes.

**Replay order.** Versions are replayed in the order accepted (`sequence`). A contribution that
does not plan (a reference to a resource that a later one brings, e.g. after a graph was
replaced) is retried after the others until nothing more succeeds; then it is an error — or, with
`skip_unresolved` (`kg build --no-reference`, where the areas are missing), skipped and counted.

Graph layer: imports the spreadsheet and HSDS importers lazily (they import this module).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import __version__
from kg.errors import KeptContributionStale, KgError
from kg.graph.contributions import write_atomic
from kg.i18n import Msg

TOOL = f"kg {__version__}"
FORMATS = ("spreadsheet", "hsds", "rdf")
_RDF_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG, ".nt": ox.RdfFormat.N_TRIPLES}


def contributions_dir(project_root: Path) -> Path:
    """Where the kept contributions of a project are: PROJECT/data/contributions/."""
    return Path(project_root) / "data" / "contributions"


@dataclass
class Version:
    """One accepted version of a contribution graph (see the module docstring)."""

    format: str                  # spreadsheet | hsds | rdf
    kind: str                    # the template kind (offers, …), "rdf" for an RDF file
    graph: str
    file: str                    # the kept file, relative to data/contributions/ (files/…)
    original_file_name: str      # the name it had (part of the source node of spreadsheets)
    sha256: str                  # of the kept file
    source: dict[str, Any]       # title, publisher, licence, date (ISO), url, comment
    tool_version: str = TOOL
    sequence: int = 0            # the order accepted, over all kept contributions of the project
    accepted_at: str = ""
    approved_by: str = "cli"
    via: str = "kg import"       # kg import | kg hsds import | web
    change_id: str | None = None
    submitted_by: str | None = None
    into_source: str | None = None       # `--into-source SLUG`: the seed source whose graph it went into
    original_is_directory: bool = False  # HSDS read from a directory: kept as one JSON of its services
    reverted_by: str | None = None
    #: every change that reverted this version or undid such a revert (the build accounts for them)
    reverts: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.reverted_by is None

    def path(self, project_root: Path) -> Path:
        return contributions_dir(project_root) / self.file

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Version:
        names = {f.name for f in fields(cls)}
        d = dict(d)
        if "format" not in d:  # kept by an earlier version of kg import: a spreadsheet
            d["format"] = "spreadsheet"
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class Kept:
    """The metadata file of one contribution graph."""

    graph: str
    versions: list[Version] = field(default_factory=list)

    @property
    def current(self) -> Version | None:
        """The newest version not reverted: what the build replays."""
        return next((v for v in reversed(self.versions) if v.live), None)


def _slug(graph: str) -> str:
    return graph.rstrip("/").rsplit("/", 1)[-1] or "contribution"


def _read(path: Path) -> Kept:
    d = json.loads(path.read_text(encoding="utf-8"))
    if "versions" not in d:  # the earlier flat format: one version
        return Kept(d["graph"], [Version.from_json(d)])
    return Kept(d["graph"], [Version.from_json(v) for v in d["versions"]])


def _save(path: Path, kept: Kept) -> None:
    body = {"graph": kept.graph, "versions": [asdict(v) for v in kept.versions]}
    write_atomic(path, (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


@contextlib.contextmanager
def _locked(project_root: Path) -> Iterator[Path]:
    """The directory, made if needed, under an exclusive flock (a server and `kg import` may both
    keep at once; the sequence numbers and a graph's metadata file must not interleave)."""
    d = contributions_dir(project_root)
    d.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(d), os.O_RDONLY)  # the directory itself: no lock file to end up in git
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield d
    finally:
        os.close(fd)  # closing releases the lock


def all_kept(project_root: Path) -> list[Kept]:
    d = contributions_dir(project_root)
    if not d.is_dir():
        return []
    return [_read(p) for p in sorted(d.glob("*.json"))]


def kept_contributions(project_root: Path) -> list[Version]:
    """The version of each kept contribution graph the build replays, in the order accepted."""
    out = [k.current for k in all_kept(project_root)]
    return sorted((v for v in out if v is not None), key=lambda v: (v.sequence, v.file))


def kept_change_ids(project_root: Path) -> set[str]:
    """Every change id the kept contributions account for: the changes that committed a version
    and the reverts of one (the build rebuilds their effect; `kg build` warns about the others)."""
    ids: set[str] = set()
    for k in all_kept(project_root):
        for v in k.versions:
            ids |= {i for i in (v.change_id, v.reverted_by, *v.reverts) if i}
    return ids


def check_writable(project_root: Path) -> None:
    """OSError unless a contribution can be kept under `project_root` (made and removed: a probe
    file), so that a command-line import can refuse before it writes to the store."""
    d = contributions_dir(project_root)
    d.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".probe-", dir=str(d))
    os.close(fd)
    os.unlink(probe)


def keep(project_root: Path, data: bytes, *, format: str, kind: str, graph: str, original_file_name: str,
         suffix: str, source: dict[str, Any], approved_by: str, via: str, change_id: str | None,
         submitted_by: str | None = None, into_source: str | None = None, original_is_directory: bool = False,
         tool_version: str = TOOL) -> Path:
    """Keep one accepted contribution: its file (`data`) and a new version in its graph's metadata.
    Returns the kept file's path; OSError if the directory cannot be written (the caller decides
    whether that refuses or warns)."""
    assert format in FORMATS, format
    sha = hashlib.sha256(data).hexdigest()
    slug = _slug(graph)
    with _locked(project_root) as d:
        target = d / "files" / f"{slug}-{sha[:12]}{suffix.lower()}"
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            write_atomic(target, data)
        meta_path = d / f"{slug}.json"
        kept = _read(meta_path) if meta_path.exists() else Kept(graph)
        seq = 1 + max((v.sequence for k in all_kept(project_root) for v in k.versions), default=0)
        kept.versions.append(Version(
            format=format, kind=kind, graph=graph, file=f"files/{target.name}", original_file_name=original_file_name,
            sha256=sha, source=source, tool_version=tool_version, sequence=seq,
            accepted_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), approved_by=approved_by,
            via=via, change_id=change_id, submitted_by=submitted_by, into_source=into_source,
            original_is_directory=original_is_directory))
        _save(meta_path, kept)
    return target


def mark_reverted(project_root: Path, reverted: str, revert: str) -> str | None:
    """Record that change `reverted` was undone by change `revert`: the kept version it committed
    is no longer replayed (its graph falls back to the version before, or to none); a version
    an undone revert had reverted is replayed again. Returns the graph concerned, or None when
    no kept contribution is concerned (an update that was never kept)."""
    d = contributions_dir(project_root)
    if not d.is_dir():
        return None
    with _locked(project_root):
        for meta_path in sorted(d.glob("*.json")):
            kept = _read(meta_path)
            hit = False
            for v in kept.versions:
                if v.change_id == reverted and v.reverted_by is None:
                    v.reverted_by, hit = revert, True
                    v.reverts.append(revert)
                elif v.reverted_by == reverted:  # the revert itself was reverted: the version is back
                    v.reverted_by, hit = None, True
                    v.reverts.append(revert)
            if hit:
                _save(meta_path, kept)
                return kept.graph
    return None


# ---------------------------------------------------------------------------------- kg build


@dataclass
class ReplayResult:
    applied: list[Version] = field(default_factory=list)
    quads: int = 0
    skipped: list[tuple[Version, str]] = field(default_factory=list)


def _meta(v: Version) -> Any:
    from kg.graph.tabular.importer import SourceMeta

    s = v.source
    date = dt.date.fromisoformat(s["date"]) if s.get("date") else None
    return SourceMeta(s.get("title", ""), s.get("publisher", ""), date, s.get("licence"))


def _apply_plan(store: Any, plan: Any, v: Version, project_root: Path) -> int:
    if not plan.ok:
        where = v.path(project_root)
        raise KeptContributionStale(f"{where}: the kept contribution no longer imports:\n{plan.report('en')}",
                                    de=f"{where}: der gespeicherte Beitrag lässt sich nicht mehr "
                                       f"einlesen:\n{plan.report('de')}")
    for q in plan.removed_quads:
        store.remove(q)
    store.extend(plan.quads)
    return len(plan.quads)


def _replay_one(project_root: Path, store: Any, v: Version) -> int:
    path = v.path(project_root)
    if not path.is_file():
        raise KgError(f"{path}: the kept file of {v.graph} is missing", de=f"{path}: die Datei zu {v.graph} fehlt")
    if v.format == "rdf":
        fmt = _RDF_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise KgError(f"{path}: not an RDF file kg reads", de=f"{path}: keine RDF-Datei, die kg liest")
        g = ox.NamedNode(v.graph)
        try:
            triples = [ox.Quad(q.subject, q.predicate, q.object, g)
                       for q in ox.parse(path.read_bytes(), format=fmt, base_iri=v.graph, rename_blank_nodes=True)]
        except SyntaxError as exc:
            where = f"{path}:{getattr(exc, 'lineno', '?')}"
            raise KgError(f"{where}: RDF syntax error: {exc}", de=f"{where}: RDF-Syntaxfehler: {exc}") from None
        for q in list(store.quads_for_pattern(None, None, None, g)):
            store.remove(q)
        store.extend(triples)
        return len(triples)
    with tempfile.TemporaryDirectory(prefix="kg-replay-") as tmp:
        # the original file name is part of the source node: replay under that name
        f = Path(tmp) / v.original_file_name
        shutil.copyfile(path, f)
        try:
            if v.format == "hsds":
                from kg.graph.hsds_import import plan_hsds_import

                described = (v.original_file_name, v.sha256)  # a directory: the SHA-256 of its services
                plan = plan_hsds_import(store, f, _meta(v), graph=v.graph, source=v.into_source, validate=False,
                                        described_as=described, tool=v.tool_version).plan
            else:
                from kg.graph.tabular.importer import plan_import

                plan = plan_import(store, f, v.kind, _meta(v), graph=v.graph, tool=v.tool_version, validate=False)
        except KeptContributionStale:
            raise
        except KgError as exc:  # e.g. a template kind the model of this build does not have
            raise KeptContributionStale(f"{path}: {exc}", de=f"{path}: {exc.de or exc}") from None
    return _apply_plan(store, plan, v, project_root)


def replay(project_root: Path, store: Any, *, skip_unresolved: bool = False) -> ReplayResult:
    """Apply the kept contributions to `store` (kg build, after the curated and reference data,
    before validation): the same quads their commits wrote. See the module docstring for the
    order and for `skip_unresolved`; raises KgError otherwise if one no longer maps."""
    result = ReplayResult()
    todo = kept_contributions(project_root)
    while todo:
        failed: list[tuple[Version, KeptContributionStale]] = []
        for v in todo:
            try:
                result.quads += _replay_one(project_root, store, v)
                result.applied.append(v)
            except KeptContributionStale as exc:
                failed.append((v, exc))
        if len(failed) == len(todo):  # no progress: what is left does not map
            if not skip_unresolved:
                raise failed[0][1]
            result.skipped = [(v, str(exc)) for v, exc in failed]
            break
        todo = [v for v, _ in failed]
    return result


def not_kept_message(reason: str, project_root: Path | None) -> Msg:
    """Why an accepted contribution was not kept, for the log and the API answer."""
    where = str(contributions_dir(project_root)) if project_root else "(no project root)"
    return Msg(f"Der Beitrag ist im Store, wurde aber nicht unter {where} gespeichert ({reason}): "
               "ein `kg build` baut ihn nicht wieder auf.",
               f"The contribution is in the store but was not kept under {where} ({reason}): "
               "`kg build` will not rebuild it.")
