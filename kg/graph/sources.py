"""Find a project's RDF source files, name the graph each goes into, and parse them.

The path → graph mapping is the one in docs/model.md ("Named graphs"); it lives here and only here,
so the build, `kg validate` and the tests all agree on it. Parsing uses pyoxigraph (an order of
magnitude faster than rdflib) and turns its SyntaxError into kg.errors.SourceSyntaxError with the
file and the 1-based line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg import rdf as ns
from kg.errors import KgError, SourceSyntaxError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
}

# "Parser error at line 3 column 17: msg", "... at line 2 between columns 2 and 7: msg",
# "... between line 3 column 13 and line 4 column 1: msg"
_POS_RE = re.compile(
    r"^Parser error (?:at line (?P<l1>\d+) (?:column (?P<c1>\d+)|between columns (?P<c2>\d+) and \d+)"
    r"|between line (?P<l3>\d+) column (?P<c3>\d+) and line \d+ column \d+): (?P<msg>.*)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class SourceFile:
    """One RDF file of the project and the named graph its triples belong to."""

    path: Path
    graph: str
    display: str  # path relative to the project root, used in messages

    @property
    def format(self) -> ox.RdfFormat:
        return FORMATS[self.path.suffix.lower()]


@dataclass
class ParsedSource:
    """A parsed file: its quads, already placed in the file's graph."""

    source: SourceFile
    quads: list[ox.Quad] = field(default_factory=list)


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _ttl(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.ttl") if p.is_file()) if directory.is_dir() else []


def discover(project_root: Path) -> list[SourceFile]:
    """List the project's RDF source files in a stable order, each with its target graph.

    Missing directories are fine (the build works on whatever is present); a seed file whose
    name is not a valid slug is an error, because the slug becomes part of a graph IRI.
    """
    root = Path(project_root)
    found: list[SourceFile] = []

    def add(path: Path, graph: str) -> None:
        found.append(SourceFile(path=path, graph=graph, display=_rel(root, path)))

    onto = root / "ontology"
    for p in _ttl(onto):
        add(p, ns.GRAPH_ALIGNMENT if p.name == "alignment.ttl" else ns.GRAPH_ONTOLOGY)
    for p in _ttl(onto / "schemes"):
        add(p, ns.GRAPH_SCHEMES)
    for p in _ttl(onto / "shapes"):
        add(p, ns.GRAPH_SHAPES)
    sources_ttl = root / "data" / "sources.ttl"
    if sources_ttl.is_file():
        add(sources_ttl, ns.GRAPH_SOURCES)
    for p in _ttl(root / "data" / "seeds"):
        slug = p.stem
        if not SLUG_RE.match(slug):
            raise KgError(
                f"{_rel(root, p)}: file name is not a valid slug (lower-case ASCII, '-' separated); "
                "it becomes the graph IRI hnid:graph/source/{slug}"
            )
        add(p, ns.source_graph(slug))
    statutes = root / "data" / "reference" / "statutes.ttl"
    if statutes.is_file():
        add(statutes, ns.GRAPH_REFERENCE_STATUTES)
    return found


def syntax_error_from(exc: SyntaxError, display: str) -> SourceSyntaxError:
    """Translate pyoxigraph's SyntaxError into SourceSyntaxError with a 1-based position.

    pyoxigraph 0.5 sets `lineno`/`offset` (1-based, offset counted in characters) and prefixes the
    message with "Parser error at line L column C: "; we use the attributes and strip the prefix,
    falling back to the text when the attributes are missing.
    """
    raw = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    line, column, message = exc.lineno, exc.offset, raw
    m = _POS_RE.match(raw)
    if m:
        message = m.group("msg")
        if line is None:
            line = int(m.group("l1") or m.group("l3"))
            column = int(m.group("c1") or m.group("c2") or m.group("c3"))
    else:
        m2 = re.search(r"line (\d+)(?: column (\d+))?", raw)
        if line is None and m2:
            line = int(m2.group(1))
            column = int(m2.group(2)) if m2.group(2) else None
    return SourceSyntaxError(display, line, column, message.strip())


def parse_file(path: Path, graph: str, display: str | None = None) -> list[ox.Quad]:
    """Parse one file into quads; triples of its default graph go into `graph`.

    Blank nodes are renamed to random ids so two files using `_:b0` never merge by accident.
    """
    display = display or str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise KgError(f"{display}: unsupported file type {path.suffix!r} (use {', '.join(FORMATS)})")
    target = ox.NamedNode(graph)
    try:
        quads = []
        for q in ox.parse(path=str(path), format=fmt, rename_blank_nodes=True):
            if isinstance(q.graph_name, ox.DefaultGraph):
                q = ox.Quad(q.subject, q.predicate, q.object, target)
            quads.append(q)
        return quads
    except SyntaxError as exc:
        raise syntax_error_from(exc, display) from None
    except UnicodeDecodeError as exc:  # pragma: no cover - pyoxigraph reports this as SyntaxError
        raise SourceSyntaxError(display, None, None, f"not UTF-8: {exc}") from None
    except OSError as exc:
        raise KgError(f"{display}: cannot read: {exc.strerror or exc}") from None


def parse_sources(sources: Iterable[SourceFile]) -> Iterator[ParsedSource]:
    """Parse each source file in turn; the first syntax error stops everything."""
    for src in sources:
        yield ParsedSource(src, parse_file(src.path, src.graph, src.display))


def parse_project(project_root: Path) -> list[ParsedSource]:
    """Discover and parse all source files of a project (fully, before anything is written)."""
    return list(parse_sources(discover(project_root)))
