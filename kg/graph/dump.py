"""Dumps of the whole graph: gzipped N-Quads and TriG, one Turtle file per named graph, checksums.

Why here and not in the server: `kg dump --output DIR` and `/downloads` must produce the same
files, and the dump only needs a store, so this is the lower layer both call. Output is
deterministic for a given store (gzip without timestamp or file name, pyoxigraph's index order),
so SHA-256 checksums only change when the data does.

Layout of a dump directory::

    hilfenetz.nq.gz          all quads (every named graph)
    hilfenetz.trig.gz        the same as TriG
    graphs/{name}.ttl        one named graph each, e.g. graphs/source-abgestimmte-hilfen.ttl
    SHA256SUMS               `sha256sum -c` compatible
    manifest.json            files with media type, size, SHA-256, graph IRI and triple count
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg import rdf as ns
from kg.store import open_read_only
from kg.store.fingerprint import version_of

NQUADS_NAME = "hilfenetz.nq.gz"
TRIG_NAME = "hilfenetz.trig.gz"
MANIFEST_NAME = "manifest.json"
SUMS_NAME = "SHA256SUMS"
GRAPH_DIR = "graphs"

#: Prefixes written into TriG and Turtle (hnid: is left out: its local names contain '/').
DUMP_PREFIXES: dict[str, str] = {k: v for k, v in ns.PREFIXES.items() if k != "hnid"}


@dataclass
class DumpFile:
    """One file of a dump, as listed in the manifest and the DCAT distributions."""

    name: str  # path relative to the dump directory, '/'-separated
    media_type: str
    encoding: str | None  # "gzip" or None
    size: int
    sha256: str
    graph: str | None = None  # named graph IRI for per-graph files
    triples: int | None = None


@dataclass
class Manifest:
    """What a dump directory holds; written as manifest.json."""

    version: str
    quads: int
    created: str
    files: list[DumpFile] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        files = [DumpFile(**f) for f in data.pop("files")]
        return cls(files=files, **data)

    def file(self, name: str) -> DumpFile | None:
        return next((f for f in self.files if f.name == name), None)


def graph_file_name(graph: str) -> str:
    """`hnid:graph/source/x` → `source-x.ttl`; other graph IRIs by a short hash."""
    prefix = ns.HNID + "graph/"
    if graph.startswith(prefix):
        stem = graph[len(prefix):].replace("/", "-")
    else:
        stem = "graph-" + hashlib.sha256(graph.encode()).hexdigest()[:12]
    return f"{GRAPH_DIR}/{stem}.ttl"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _gzip_dump(store: ox.Store, path: Path, fmt: ox.RdfFormat) -> None:
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
        if fmt == ox.RdfFormat.TRIG:
            store.dump(gz, fmt, prefixes=DUMP_PREFIXES)
        else:
            store.dump(gz, fmt)


def _named_graphs(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def dump_store(store: ox.Store, out_dir: Path, *, version: str | None = None) -> Manifest:
    """Write all dump files of `store` into `out_dir` (created if missing) and return the manifest."""
    out = Path(out_dir)
    (out / GRAPH_DIR).mkdir(parents=True, exist_ok=True)
    manifest = Manifest(
        version=version or version_of(store, None),
        quads=len(store),
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    _gzip_dump(store, out / NQUADS_NAME, ox.RdfFormat.N_QUADS)
    manifest.files.append(_entry(out, NQUADS_NAME, "application/n-quads", "gzip", triples=len(store)))
    _gzip_dump(store, out / TRIG_NAME, ox.RdfFormat.TRIG)
    manifest.files.append(_entry(out, TRIG_NAME, "application/trig", "gzip", triples=len(store)))
    for graph in _named_graphs(store):
        name = graph_file_name(graph)
        node = ox.NamedNode(graph)
        store.dump(out / name, ox.RdfFormat.TURTLE, from_graph=node, prefixes=DUMP_PREFIXES)
        n = sum(1 for _ in store.quads_for_pattern(None, None, None, node))
        manifest.files.append(_entry(out, name, "text/turtle", None, graph=graph, triples=n))
    (out / SUMS_NAME).write_text("".join(f"{f.sha256}  {f.name}\n" for f in manifest.files), encoding="utf-8")
    (out / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _entry(out: Path, name: str, media: str, encoding: str | None, **extra: object) -> DumpFile:
    path = out / name
    return DumpFile(
        name=name,
        media_type=media,
        encoding=encoding,
        size=path.stat().st_size,
        sha256=_sha256(path),
        **extra,  # type: ignore[arg-type]
    )


def dump(store_path: Path, out_dir: Path) -> Manifest:
    """`kg dump`: open the store read-only and dump it."""
    store = open_read_only(Path(store_path))
    return dump_store(store, out_dir, version=version_of(store, store_path))


def cached_dump(store: ox.Store, cache_dir: Path, version: str) -> tuple[Path, Manifest]:
    """The dump of `store` in `cache_dir/version/`, generated on first use.

    Generated into a temporary sibling directory and renamed, so a half-written dump is never
    served. The previous version is kept, older ones are removed: several server processes
    (replicas) share the directory and switch to a rebuilt store a few seconds apart, so one still
    serving the previous version must not lose its files to the one that moved on.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / version
    manifest_path = target / MANIFEST_NAME
    if manifest_path.is_file():
        return target, Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cache_dir))
    try:
        manifest = dump_store(store, tmp, version=version)
        try:
            tmp.rename(target)
        except OSError:
            if not manifest_path.is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
            return target, Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    others = [d for d in cache_dir.iterdir() if d.is_dir() and d.name != version and not d.name.startswith(".")]
    others.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    for old in others[1:]:  # keep the newest other version (see above)
        shutil.rmtree(old, ignore_errors=True)
    return target, manifest
