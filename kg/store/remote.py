"""A remote SPARQL 1.1 store that answers like the subset of `pyoxigraph.Store` the project uses.

Why: `kg serve --store URL` serves from any standard SPARQL 1.1 server (Oxigraph server, Jena
Fuseki, GraphDB, Virtuoso, QLever, ...) instead of the embedded store, with the same API, linked
data and named queries. The routers and the query workers call `query`, `quads_for_pattern`,
`named_graphs`, `contains_named_graph`, `len()` and `dump` on whatever store they are given, and
test results with `isinstance(result, pyoxigraph.QuerySolutions)` etc. So `RemoteStore` speaks
the SPARQL 1.1 Protocol over HTTP (httpx), asks for standard formats (SPARQL JSON results,
N-Triples) and turns the answers into **real pyoxigraph objects** with pyoxigraph's own parsers.

Dataset semantics: `default_graph`/`named_graphs` become the protocol's `default-graph-uri`/
`named-graph-uri`. `use_default_graph_as_union=True` (what every hilfenetz query asks for) depends
on the server, detected once per instance (`union_default_graph`): if the server's default graph
already is the union of its graphs (Oxigraph server `--union-default-graph`, Fuseki
`unionDefaultGraph`, GraphDB), nothing is sent and the server takes its own fast path;
otherwise `default-graph-uri` lists every named graph, which is exact but, for Oxigraph server at
least, far slower on property paths (one named query: 4 s vs more than 120 s). Queries without a
dataset see the real default graph and all named graphs, as in pyoxigraph; on a union-default
server the real default graph cannot be addressed (a hilfenetz store keeps nothing there). The
graph list, size and union flag are cached per instance, i.e. per store version: the server
state and the workers open a fresh instance when `version()` changes.

Blank nodes cannot be named in a SPARQL query, and their labels are only meaningful within one
result document. `quads_for_pattern` therefore fetches, in the same response, the statements of
the blank nodes reachable from blank-node objects in the same graph (OWL restrictions, RDF lists,
SHACL property shapes), gives every blank node of a response a fresh local identity, and answers
later calls for those blank nodes from that response. A blank node the store never handed out
cannot be looked up (it yields nothing).

Errors: a 400 from the remote is a `SyntaxError` carrying the remote's message (the endpoint
answers 400 with it), a refused or broken connection or a timeout is an `OSError`, any other
failure is a `RemoteError`.

Endpoints: `url` is the query endpoint. The update endpoint (only `kg build --store URL` writes,
see kg.graph.publish) is derived unless given: Oxigraph server `/query` -> `/update`, Fuseki
`/ds/query` or `/ds/sparql` -> `/ds/update`, GraphDB `/repositories/ID` ->
`/repositories/ID/statements`, anything else: the query URL itself (Virtuoso, QLever).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import pyoxigraph as ox

from kg.config import SETTING, env_setting
from kg.errors import RemoteError
from kg.rdf import BUILD_NODE, GRAPH_BUILD
from kg.sparql.text import query_dataset, query_form

#: Seconds to wait for a remote answer (connect: 5 s): the process setting remote_timeout.
DEFAULT_TIMEOUT: float = SETTING["remote_timeout"].default
_RESULTS_JSON = "application/sparql-results+json"
_ACCEPT = f"{_RESULTS_JSON}, application/n-triples;q=0.9, text/turtle;q=0.8, application/sparql-results+xml;q=0.7"
_RESULTS_ACCEPT = f"{_RESULTS_JSON}, application/sparql-results+xml;q=0.7"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8"
#: A graph IRI no store holds: makes an explicitly empty default graph expressible in the protocol.
EMPTY_GRAPH = "urn:x-hilfenetz:empty-graph"
#: Graphs a publish fills before it switches them in (kg.graph.publish, staged publish): never
#: part of the store as the project sees it, on any engine.
STAGING_PREFIX = "urn:x-hilfenetz:staging:"


@dataclass(frozen=True)
class Dialect:
    """What one SPARQL engine does differently, so that callers never ask which engine it is.

    Found by running tests/store/remote/ against each engine; docs/remote-store.md lists the
    differences. `system_graphs`: IRI prefixes of graphs the engine keeps for itself (they are
    not part of the store as hilfenetz sees it, and they are in the engine's default graph, which
    is therefore not the union of *our* graphs). `max_update_bytes`: the largest update request
    the engine takes (None: no limit, so a publish is one request), `max_update_statements` the most
statements its update parser takes in one request. `graphs_query` lists the named graphs (the
standard empty `GRAPH ?g { }` is Oxigraph's fast path). `chunked_bodies`: whether the
    engine reads a request body sent with chunked transfer encoding."""

    name: str
    system_graphs: tuple[str, ...] = ()
    max_update_bytes: int | None = None
    max_update_statements: int | None = None
    graphs_query: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
    accept_by_form: bool = False

    def is_system(self, graph: str) -> bool:
        """True for a graph that is not part of the store as hilfenetz sees it."""
        return graph.startswith(STAGING_PREFIX) or graph.startswith(self.system_graphs)


#: Any SPARQL 1.1 server (Oxigraph server, Fuseki, GraphDB, …): standard behaviour.
GENERIC = Dialect("generic")
#: Virtuoso Open Source 7.2 (Debian's virtuoso-opensource, tested): its default graph also holds
#: its own graphs (2,496 quads of virtrdf#, ldp# and the URIQA graph in a fresh database), it
#: refuses a request string over 10 MB ("HT057: The STRING session … is longer than 10Mb") and it
#: answers 200 to a chunked request body it did not read, executing nothing.
VIRTUOSO = Dialect(
    "virtuoso",
    system_graphs=("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localuriqaserver/",
                   "urn:activitystreams-owl:map", "virtrdf-label", "http://localhost:8890/"),
    max_update_bytes=4 * 1024 * 1024,
    max_update_statements=2_000,
    graphs_query="SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    accept_by_form=True,
)


def dialect_for(server_header: str) -> Dialect:
    """The dialect of an engine from its HTTP `Server` header (`Virtuoso/07.20.3229 (Linux) …`)."""
    return VIRTUOSO if server_header.lower().startswith("virtuoso") else GENERIC
#: How long and up to how many bytes whole-graph answers are kept (see `_graph_triples`).
GRAPH_CACHE_SECONDS = 300.0
GRAPH_CACHE_BYTES = 256 * 1024 * 1024
#: Small pattern answers kept per instance (= per store version), least recently used out:
#: linked-data pages and the label lookups behind them ask the same patterns again and again.
PATTERN_CACHE_QUADS = 200_000
PATTERN_CACHE_MAX_QUADS = 2_000
_BUILD_NODE = BUILD_NODE
_BUILD_GRAPH = GRAPH_BUILD

_client_lock = threading.Lock()
_client_state: dict[str, Any] = {}


def _timeout() -> float:
    return float(env_setting("remote_timeout"))


def client() -> httpx.Client:
    """The process's one HTTP client (connection reuse; thread-safe). Re-created after a fork."""
    with _client_lock:
        c = _client_state.get("client")
        if c is None or _client_state.get("pid") != os.getpid():
            c = httpx.Client(
                timeout=httpx.Timeout(_timeout(), connect=5.0),
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                follow_redirects=False,
            )
            _client_state.update(client=c, pid=os.getpid())
        return c


def derive_update_url(query_url: str) -> str:
    """The update endpoint that belongs to a query endpoint (see the module docstring)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(query_url)
    segments = parts.path.rstrip("/").split("/")
    last = segments[-1] if segments else ""
    if last == "query" or (last == "sparql" and len(segments) > 2):
        # Oxigraph server /query -> /update; Fuseki /ds/query, /ds/sparql -> /ds/update
        path = "/".join([*segments[:-1], "update"])
    elif len(segments) >= 3 and segments[-2] == "repositories":
        path = "/".join([*segments, "statements"])  # GraphDB, RDF4J
    else:
        return query_url  # Virtuoso, QLever: one endpoint for both
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def redact(url: str) -> str:
    """The URL without user:password (for messages and logs)."""
    return re.sub(r"//[^/@]*@", "//", url)


def term_sparql(term: Any) -> str:
    """A pyoxigraph term in SPARQL syntax (N-Triples syntax is valid SPARQL)."""
    if isinstance(term, ox.Variable):
        return str(term)
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return str(term)
    raise ValueError(f"cannot write {term!r} into a SPARQL query for a remote store")


_PROLOGUE_PREFIX = re.compile(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?\s*:")
_PROLOGUE_BASE = re.compile(r"(?im)^\s*BASE\s*<")


def prologue(query: str, base_iri: str | None, prefixes: dict[str, str] | None) -> str:
    """BASE and PREFIX declarations the query does not declare itself (pyoxigraph's
    `base_iri`/`prefixes` arguments, which a remote server does not have), as one line prefix:
    put on the query's first line they keep every later line number of the query."""
    head: list[str] = []
    if base_iri and not _PROLOGUE_BASE.search(query):
        head.append(f"BASE <{base_iri}>")
    if prefixes:
        declared = {m.group(1) or "" for m in _PROLOGUE_PREFIX.finditer(query)}
        head += [f"PREFIX {p}: <{iri}>" for p, iri in prefixes.items() if p not in declared]
    return (" ".join(head) + " ") if head else ""


def with_prologue(query: str, base_iri: str | None, prefixes: dict[str, str] | None) -> str:
    """The query with `prologue` in front."""
    return prologue(query, base_iri, prefixes) + query


_POS_COLON = re.compile(r"\b1:(\d+)\b")
_POS_WORDS = re.compile(r"(line 1, column )(\d+)")


def unshift_position(message: str, shift: int) -> str:
    """A remote parser's error position on line 1 minus the `shift` characters of prologue we
    put there (Oxigraph writes `1:COL`, Jena `line 1, column COL`)."""
    if not shift:
        return message
    message = _POS_COLON.sub(lambda m: f"1:{max(1, int(m.group(1)) - shift)}", message, count=1)
    return _POS_WORDS.sub(lambda m: f"{m.group(1)}{max(1, int(m.group(2)) - shift)}", message, count=1)


def with_substitutions(query: str, substitutions: dict[Any, Any] | None) -> str:
    """Bind variables like pyoxigraph's `substitutions=` (SEP-0007): a `VALUES` block put first
    into the query's outermost WHERE group, so the variables are bound before the group is
    evaluated (also under GROUP BY and aggregates, where a trailing VALUES would come too late)
    and stay bound in the answer. Terms are written in N-Triples syntax, never as text."""
    if not substitutions:
        return query
    names, values = [], []
    for var, term in substitutions.items():
        name = var.value if isinstance(var, ox.Variable) else str(var).lstrip("?$")
        if not re.fullmatch(r"[A-Za-z_0-9\u00B7-\uFFFF]+", name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
        names.append(f"?{name}")
        values.append(term_sparql(term))
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(values)}) }} "
    at = _where_brace(query)
    if at is None:
        raise SyntaxError("no WHERE group to bind the parameters in")
    return query[:at + 1] + block + query[at + 1:]


def _where_brace(query: str) -> int | None:
    """Index of the `{` that opens the outermost WHERE group: the first `{` after the keyword
    WHERE, or without that keyword (`ASK {`, `SELECT * {`, `CONSTRUCT {…} {`) the first top-level
    `{` of the pattern, skipping comments, strings and IRIs. (Valid queries only: a broken one
    gets the remote's syntax error either way.)"""
    i, n = 0, len(query)
    first_brace: int | None = None
    saw_where = False
    construct = False
    depth = top_level = 0
    while i < n:
        c = query[i]
        if c == "#":
            j = query.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            quote = query[i:i + 3] if query[i:i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and not query.startswith(quote, j):
                j += 2 if query[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "<":
            m = re.match(r"<[^<>\"{}|^`\\\s]*>", query[i:])
            if m:
                i += m.end()
                continue
        if c.isalpha():
            m = re.match(r"[A-Za-z_]+", query[i:])
            assert m is not None
            word = m.group(0).upper()
            if word == "WHERE":
                saw_where = True
            elif word == "CONSTRUCT":
                construct = True
            i += m.end()
            continue
        if c == "{":
            if saw_where:
                return i
            if depth == 0:
                top_level += 1
                if first_brace is None and (not construct or top_level == 2):
                    first_brace = i  # CONSTRUCT {template} {pattern}: WHERE is optional
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return first_brace


class RemoteStore:
    """The read side of `pyoxigraph.Store` over the SPARQL 1.1 Protocol (see the module docstring)."""

    def __init__(self, url: str, *, update_url: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.update_url = update_url or derive_update_url(url)
        self._named: list[ox.NamedNode] | None = None
        self._len: int | None = None
        self._bnodes: dict[ox.BlankNode, list[ox.Quad]] = {}
        self._graph_cache: dict[str, tuple[float, bytes]] = {}
        self._union: bool | None = None
        self._dialect: Dialect | None = None
        self._patterns: OrderedDict[tuple[Any, ...], list[ox.Quad]] = OrderedDict()
        self._pattern_quads = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RemoteStore({redact(self.url)!r})"

    @property
    def dialect(self) -> Dialect:
        """The engine's `Dialect`, from the `Server` header of one `ASK {}` (once per instance)."""
        if self._dialect is None:
            r = self._post(self.url, [("query", "ASK { }")], _RESULTS_JSON)
            self._dialect = dialect_for(r.headers.get("server", ""))
        return self._dialect

    def _scope(self) -> list[tuple[str, str]]:
        """The protocol dataset that confines a query to the store's own graphs: nothing on an
        engine without graphs of its own; on one with them (Virtuoso), an empty default graph and
        our named graphs, so `GRAPH ?g` and the default graph never reach the engine's graphs."""
        if not self.dialect.system_graphs:
            return []
        graphs = [g.value for g in self.named_graphs()]
        return [("default-graph-uri", EMPTY_GRAPH)] + [("named-graph-uri", g) for g in graphs or [EMPTY_GRAPH]]

    # --- HTTP ---------------------------------------------------------------------------

    def _post(self, url: str, data: list[tuple[str, str]], accept: str, timeout: float | None = None) -> httpx.Response:
        extra: dict[str, Any] = (
            {} if timeout is None else {"timeout": httpx.Timeout(timeout, connect=min(timeout, 5.0))})
        return _send(f"remote store {redact(self.url)}", "query", url,
                     data=_group(data), headers={"Accept": accept}, **extra)

    def _select_raw(self, query: str, dataset: list[tuple[str, str]] | None = None) -> bytes:
        return self._post(self.url, [("query", query), *(dataset or [])], _RESULTS_JSON).content

    def _select(self, query: str, dataset: list[tuple[str, str]] | None = None) -> Any:
        return ox.parse_query_results(self._select_raw(query, dataset), format=ox.QueryResultsFormat.JSON)

    # --- pyoxigraph Store API (read side) -----------------------------------------------

    def query(
        self,
        query: str,
        *,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Iterable[Any] | None = None,
        substitutions: dict[Any, Any] | None = None,
    ) -> Any:
        """Evaluate `query` remotely; QuerySolutions, QueryBoolean or QueryTriples as pyoxigraph's."""
        _check_syntax(query, base_iri, prefixes)
        head = prologue(query, base_iri, prefixes)
        text = with_substitutions(head + query, substitutions)
        own = query_dataset(query, prefixes) if default_graph is None and named_graphs is None else None
        if own is not None:  # the query's FROM / FROM NAMED, sent as the protocol dataset (see query_dataset)
            dataset = [("default-graph-uri", g) for g in own[0] or [EMPTY_GRAPH]] + \
                      [("named-graph-uri", g) for g in own[1] or [EMPTY_GRAPH]]
        else:
            dataset = self._dataset(use_default_graph_as_union, default_graph, named_graphs)
        accept = _ACCEPT
        if self.dialect.accept_by_form:
            accept = _GRAPH_ACCEPT if query_form(query) in ("CONSTRUCT", "DESCRIBE") else _RESULTS_ACCEPT
        try:
            r = self._post(self.url, [("query", text), *dataset], accept)
        except SyntaxError as exc:
            raise SyntaxError(unshift_position(str(exc), len(head))) from None
        media = r.headers.get("content-type", "").split(";")[0].strip().lower()
        results_fmt = ox.QueryResultsFormat.from_media_type(media) if media else None
        if results_fmt is not None:
            return ox.parse_query_results(r.content, format=results_fmt)
        rdf_fmt = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_fmt is None:
            raise RemoteError(f"remote store {redact(self.url)} answered with unsupported type {media!r}")
        return _as_query_triples(ox.parse(r.content, format=rdf_fmt))

    @property
    def union_default_graph(self) -> bool:
        """True if the server's default graph is the union of its graphs (Oxigraph server with
        `--union-default-graph`, Fuseki with `unionDefaultGraph`, GraphDB by default; Virtuoso's
        holds its own graphs too, see `Dialect`).

        Detected once per instance: a triple of some named graph is asked for without GRAPH. (A
        hilfenetz store keeps nothing in the real default graph, so the answer is unambiguous.)"""
        if self._union is None and self.dialect.system_graphs:
            self._union = False  # its default graph is the union of *all* graphs, the engine's too
        if self._union is None:
            sols = list(self._select(
                "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } } LIMIT 1"))
            if not sols:
                self._union = False
            else:
                t = sols[0]
                ask = f"ASK {{ {term_sparql(t['s'])} {term_sparql(t['p'])} {term_sparql(t['o'])} }}"
                self._union = bool(ox.parse_query_results(self._select_raw(ask), format=ox.QueryResultsFormat.JSON))
        return self._union

    def _dataset(self, union: bool, default_graph: Any, named_graphs: Iterable[Any] | None) -> list[tuple[str, str]]:
        if default_graph is None and named_graphs is None:
            if union and self.union_default_graph:
                return []  # the server's own union default graph: its fastest path by far
            if not union:
                if not self.union_default_graph and not self.dialect.system_graphs:
                    return []  # the server's dataset: its default graph and all named graphs
                # the real default graph (empty in a hilfenetz store) and all named graphs
                graphs = [g.value for g in self.named_graphs()]
                return [("default-graph-uri", EMPTY_GRAPH)] + [("named-graph-uri", g) for g in graphs or [EMPTY_GRAPH]]
            graphs = [g.value for g in self.named_graphs()]
            return [("default-graph-uri", g) for g in graphs or [EMPTY_GRAPH]] + \
                [("named-graph-uri", g) for g in graphs or [EMPTY_GRAPH]]
        defaults = (default_graph if isinstance(default_graph, list)
                    else [] if default_graph is None else [default_graph])
        out: list[tuple[str, str]] = []
        for g in defaults:
            if isinstance(g, ox.DefaultGraph):
                raise ValueError("a remote store cannot name its default graph in a protocol dataset")
            out.append(("default-graph-uri", g.value))
        if not out:
            out.append(("default-graph-uri", EMPTY_GRAPH))
        named = [g.value for g in self.named_graphs()] if named_graphs is None else [g.value for g in named_graphs]
        out += [("named-graph-uri", g) for g in named]
        return out

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """The named graphs of the store (cached for the life of this instance)."""
        if self._named is None:
            dialect = self.dialect
            sols = self._select(dialect.graphs_query)
            self._named = sorted((s["g"] for s in sols
                                  if isinstance(s["g"], ox.NamedNode) and not dialect.is_system(s["g"].value)),
                                 key=lambda n: n.value)
        return iter(list(self._named))

    def contains_named_graph(self, graph: Any) -> bool:
        if isinstance(graph, ox.DefaultGraph):
            return True
        return graph in set(self.named_graphs())

    def __len__(self) -> int:
        """Number of quads in all graphs (cached for the life of this instance)."""
        if self._len is None:
            default = "" if self.union_default_graph else "{ ?s ?p ?o } UNION "
            sols = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {default}{{ GRAPH ?g {{ ?s ?p ?o }} }} }}",
                                self._scope())
            self._len = int(next(iter(sols))["n"].value)
        return self._len

    def quads_for_pattern(self, subject: Any = None, predicate: Any = None, object: Any = None,
                          graph_name: Any = None) -> Iterator[ox.Quad]:
        """Quads matching the pattern (None = any), as pyoxigraph's method yields them."""
        if isinstance(subject, ox.BlankNode) or isinstance(object, ox.BlankNode):
            return iter(self._from_bnode_cache(subject, predicate, object, graph_name))
        if subject is None and predicate is None and object is None and graph_name is not None:
            return iter([ox.Quad(t.subject, t.predicate, t.object, graph_name)
                         for t in self._graph_triples(graph_name)])
        key = (subject, predicate, object, graph_name)
        with self._lock:
            hit = self._patterns.get(key)
            if hit is not None:
                self._patterns.move_to_end(key)
                return iter(hit)
        quads = self._match(subject, predicate, object, graph_name, expand=False)
        if object is None and any(isinstance(q.object, ox.BlankNode) for q in quads):
            quads = self._match(subject, predicate, object, graph_name, expand=True)
        if len(quads) <= PATTERN_CACHE_MAX_QUADS:
            with self._lock:
                if key not in self._patterns:
                    self._patterns[key] = quads
                    self._pattern_quads += len(quads) + 1
                while self._pattern_quads > PATTERN_CACHE_QUADS and self._patterns:
                    self._pattern_quads -= len(self._patterns.popitem(last=False)[1]) + 1
        return iter(list(quads))

    def _match(self, s: Any, p: Any, o: Any, g: Any, *, expand: bool) -> list[ox.Quad]:
        """One SELECT for the pattern; with `expand` the same response also carries the
        statements of the blank nodes reachable from blank objects (labels stay consistent
        within one response only)."""
        pat = " ".join(term_sparql(t) if t is not None else v for t, v in ((s, "?s"), (p, "?p"), (o, "?o")))
        branches: list[str] = []
        if (g is None or isinstance(g, ox.DefaultGraph)) and not self.union_default_graph:
            # a union-default server cannot address its real default graph (empty in hilfenetz stores)
            branches.append(f"{{ {pat} }}")
        if g is None:
            branches.append(f"{{ GRAPH ?g {{ {pat} }} }}")
        elif isinstance(g, ox.NamedNode):
            branches.append(f"{{ GRAPH {term_sparql(g)} {{ {pat} }} BIND({term_sparql(g)} AS ?g) }}")
        elif not isinstance(g, ox.DefaultGraph):
            return []
        if not branches:
            return []
        if expand:
            gpat = "?g" if g is None else term_sparql(g)
            bind = "" if g is None else f" BIND({term_sparql(g)} AS ?g)"
            branches.append(
                f"{{ GRAPH {gpat} {{ {pat} FILTER(isBlank(?o)) "
                f"?o (<urn:x-hilfenetz:any>|!<urn:x-hilfenetz:any>)* ?bs . "
                f"?bs ?bp ?bo FILTER(isBlank(?bs)) }}{bind} }}")
        rows = self._select("SELECT ?s ?p ?o ?g ?bs ?bp ?bo WHERE { " + " UNION ".join(branches) + " }",
                            self._scope())
        fresh: dict[str, ox.BlankNode] = {}
        out: list[ox.Quad] = []
        seen_island: set[ox.Quad] = set()
        island: dict[ox.BlankNode, list[ox.Quad]] = {}
        for row in rows:
            graph = row["g"] if row["g"] is not None else ox.DefaultGraph()
            if row["bs"] is not None:
                q = ox.Quad(_local(row["bs"], fresh), row["bp"], _local(row["bo"], fresh), graph)
                if q not in seen_island:
                    seen_island.add(q)
                    island.setdefault(q.subject, []).append(q)
                continue
            out.append(ox.Quad(
                _local(s if s is not None else row["s"], fresh),
                p if p is not None else row["p"],
                _local(o if o is not None else row["o"], fresh),
                graph,
            ))
        if island:
            with self._lock:
                self._bnodes.update(island)
        return out

    def _from_bnode_cache(self, s: Any, p: Any, o: Any, g: Any) -> list[ox.Quad]:
        with self._lock:
            if isinstance(s, ox.BlankNode):
                candidates = list(self._bnodes.get(s, []))
            else:
                candidates = [q for qs in self._bnodes.values() for q in qs]
        return [q for q in candidates
                if (s is None or q.subject == s) and (p is None or q.predicate == p)
                and (o is None or q.object == o) and (g is None or q.graph_name == g)]

    def dump(self, output: Any = None, format: Any = None, *, from_graph: Any = None,
             prefixes: dict[str, str] | None = None) -> bytes | None:
        """Serialise the store (or one graph) like `pyoxigraph.Store.dump`: read graph by graph
        with CONSTRUCT (N-Triples), then written by pyoxigraph's serialisers."""
        if format is None:
            raise ValueError("dump needs a format for a remote store")
        if from_graph is not None:
            triples: list[Any] = self._graph_triples(from_graph)
            data: list[Any] = triples
        else:
            data = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                    for t in self._graph_triples(ox.DefaultGraph())]
            for g in self.named_graphs():
                data += [ox.Quad(t.subject, t.predicate, t.object, g) for t in self._graph_triples(g)]
        if isinstance(output, (str, os.PathLike)):
            with open(output, "wb") as fh:
                _serialize(data, fh, format, prefixes)
            return None
        return _serialize(data, output, format, prefixes)

    def _graph_triples(self, graph: Any) -> list[ox.Triple]:
        """All triples of one graph (one CONSTRUCT as N-Triples). The raw answer is kept for a
        short while: a dump reads every graph several times (N-Quads, TriG, one Turtle file per
        graph, the counts), and re-parsing is far cheaper than asking the remote again."""
        key = "" if isinstance(graph, ox.DefaultGraph) else graph.value
        now = time.monotonic()
        with self._lock:
            for k in [k for k, (t, _) in self._graph_cache.items() if now - t > GRAPH_CACHE_SECONDS]:
                del self._graph_cache[k]
            hit = self._graph_cache.get(key)
        if hit is not None:
            raw = hit[1]
        else:
            if isinstance(graph, ox.DefaultGraph) and (self.union_default_graph or self.dialect.system_graphs):
                return []  # not addressable on a union-default server (empty in hilfenetz stores)
            where = ("{ ?s ?p ?o }" if isinstance(graph, ox.DefaultGraph)
                     else f"{{ GRAPH {term_sparql(graph)} {{ ?s ?p ?o }} }}")
            raw = self._post(self.url, [("query", f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}")],
                             "application/n-triples").content
            with self._lock:
                if len(raw) + sum(len(b) for _, b in self._graph_cache.values()) <= GRAPH_CACHE_BYTES:
                    self._graph_cache[key] = (now, raw)
        triples = list(ox.parse(raw, format=ox.RdfFormat.N_TRIPLES))
        fresh: dict[str, ox.BlankNode] = {}
        triples = [ox.Triple(_local(t.subject, fresh), t.predicate, _local(t.object, fresh)) for t in triples] \
            if b"_:" in raw else triples
        if fresh:  # every statement of the graph's blank nodes is here: remember them for lookups
            island: dict[ox.BlankNode, list[ox.Quad]] = {}
            for t in triples:
                if isinstance(t.subject, ox.BlankNode):
                    island.setdefault(t.subject, []).append(ox.Quad(t.subject, t.predicate, t.object, graph))
            with self._lock:
                self._bnodes.update(island)
        return triples

    def flush(self) -> None:
        """Nothing to flush: the remote persists on its own."""

    # --- remote specifics ---------------------------------------------------------------

    def version(self) -> str:
        """A key that changes when the remote data changes: the build node's end time (every
        `kg build` writes a new one into the build graph, so every publish changes it) and the
        number of quads in the named graphs (catches writes by anyone else)."""
        q = (f"SELECT ?t ?n WHERE {{ {{ GRAPH <{_BUILD_GRAPH}> {{ <{_BUILD_NODE}> "
             "<http://www.w3.org/ns/prov#endedAtTime> ?t } } UNION "
             "{ SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } } }")
        raw = self._select_raw(q, self._scope())
        parts = sorted(str(v) for sol in ox.parse_query_results(raw, format=ox.QueryResultsFormat.JSON)
                       for v in (sol["t"], sol["n"]) if v is not None)
        return "x" + hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()

    def ping(self, timeout: float = 5.0) -> bool:
        """True if the remote answers a trivial query."""
        try:
            r = self._post(self.url, [("query", "ASK { }")], _RESULTS_JSON, timeout=timeout)
            return bool(ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON))
        except Exception:  # noqa: BLE001 - any failure means "not answering"
            return False

    def update(self, update: str) -> None:
        """Send one SPARQL Update request (atomic by SPARQL 1.1 Update; used by kg.graph.publish)."""
        post_update(self.update_url, update.encode())

    def all_graph_names(self) -> list[str]:
        """Every named graph the engine holds, its own and staging graphs included (not cached)."""
        sols = self._select(self.dialect.graphs_query)
        return sorted(s["g"].value for s in sols if isinstance(s["g"], ox.NamedNode))

    def system_quads(self) -> int:
        """How many quads the engine keeps in graphs of its own (0 on most engines)."""
        if not self.dialect.system_graphs:
            return 0
        sols = self._select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return sum(int(s["n"].value) for s in sols
                   if isinstance(s["g"], ox.NamedNode) and self.dialect.is_system(s["g"].value))


def post_update(update_url: str, body: bytes | Iterable[bytes], timeout: float | None = None) -> None:
    """POST a SPARQL Update (direct, `application/sparql-update`), streamed if `body` is an iterable."""
    t = httpx.Timeout(timeout or max(_timeout(), 600.0), connect=5.0)
    _send(f"remote update endpoint {redact(update_url)}", "update", update_url,
          content=body, headers={"Content-Type": "application/sparql-update"}, timeout=t)


def _send(who: str, what: str, url: str, **kwargs: Any) -> httpx.Response:
    """POST and map failures to the errors the callers promise: TimeoutError / ConnectionError
    (both OSError) for the network, SyntaxError for a 400 (the remote's message), RemoteError else."""
    try:
        r = client().post(url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TimeoutError(f"{who} did not answer in time: {exc}") from None
    except httpx.TransportError as exc:
        raise ConnectionError(f"{who} not reachable: {type(exc).__name__}: {exc}") from None
    if r.status_code == 400:
        raise SyntaxError(r.text.strip() or f"the remote store refused the {what} (400)")
    if r.status_code >= 300:
        hint = endpoint_hint(url) if r.status_code in (404, 405) else ""
        raise RemoteError(f"{who} answered {r.status_code}: {r.text.strip()[:2000]}{hint}")
    return r


#: Where SPARQL servers answer queries, relative to the server's base URL: Oxigraph server
#: (`/query`, its update endpoint `/update`), Virtuoso, QLever, Blazegraph and others (`/sparql`).
ENDPOINT_PATHS = ("/query", "/sparql")


def endpoint_hint(url: str) -> str:
    """For a URL that is not a SPARQL endpoint (the server answered 404 or 405), the sentence
    that says which URL to give instead: a `/query` or `/sparql` on the same server that answers
    `ASK {}` with SPARQL results (probed, 5 s each), else, for a bare server URL, where the
    common servers have theirs. "" if neither applies.

    Why: `kg build --store http://host:7878` (an Oxigraph server's base URL) sent the update to
    `/` and failed with Oxigraph's "POST / is not supported by this server", which does not say
    that `--store` wants the query endpoint, `http://host:7878/query`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    for path in ENDPOINT_PATHS:
        candidate = base + path
        if candidate.rstrip("/") == url.rstrip("/"):
            continue
        try:
            r = client().post(candidate, data={"query": "ASK {}"}, headers={"Accept": _RESULTS_JSON},
                              timeout=httpx.Timeout(5.0))
        except httpx.HTTPError:
            continue
        if r.status_code == 200 and r.headers.get("content-type", "").startswith(_RESULTS_JSON):
            return (f". {redact(url)} is not a SPARQL endpoint; this server answers queries at "
                    f"{redact(candidate)}: give that URL (--store {redact(candidate)}; the update "
                    f"endpoint is derived from it: {redact(derive_update_url(candidate))})")
    if not parts.path.strip("/"):
        return (f". {redact(url)} is a server's base URL, not its SPARQL query endpoint: give that "
                f"(Oxigraph server: {redact(base)}/query, Fuseki: {redact(base)}/DATASET/query, "
                f"Virtuoso and QLever: {redact(base)}/sparql)")
    return ""


def _check_syntax(query: str, base_iri: str | None, prefixes: dict[str, str] | None) -> None:
    """Raise SyntaxError as the embedded store would for a query pyoxigraph cannot parse.

    Why: the one parser decides what is SPARQL, so every backend answers a broken query with the
    same message and position (Virtuoso's own say "SP030: SPARQL compiler, line 1: syntax error at
    'SELEC'" and echo the query with our dataset prologue). pyoxigraph parses in `query()` and
    evaluates only when the answer is read, so asking an empty store evaluates nothing (SERVICE
    included): microseconds."""
    ox.Store().query(query, base_iri=base_iri, prefixes=prefixes)


def _group(pairs: list[tuple[str, str]]) -> dict[str, list[str] | str]:
    """Form fields with repeated keys (httpx takes a list per key)."""
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return {k: (v[0] if len(v) == 1 else v) for k, v in out.items()}  # type: ignore[misc]


def _local(term: Any, fresh: dict[str, ox.BlankNode]) -> Any:
    """A fresh local blank node per remote label of one response (labels are response-scoped)."""
    if isinstance(term, ox.BlankNode):
        node = fresh.get(term.value)
        if node is None:
            node = fresh[term.value] = ox.BlankNode()
        return node
    return term


def _as_query_triples(triples: Iterable[Any]) -> Any:
    """Real `pyoxigraph.QueryTriples` for parsed CONSTRUCT/DESCRIBE triples (an in-memory store
    answers `CONSTRUCT WHERE { ?s ?p ?o }` over them), so callers cannot tell the difference."""
    mem = ox.Store()
    mem.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return mem.query("CONSTRUCT WHERE { ?s ?p ?o }")


def _serialize(data: list[Any], output: IO[bytes] | None, fmt: Any, prefixes: dict[str, str] | None) -> bytes | None:
    if prefixes and fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return ox.serialize(data, output, fmt, prefixes=prefixes)
    return ox.serialize(data, output, fmt)
