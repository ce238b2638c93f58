"""The change history: every committed write recorded as a PROV activity (`hn:Change`) in the
changes graph, and what reading and undoing it needs.

Why in the store, in the same transaction as the write: a record written afterwards could be
lost by a crash between the two (a change without a record) or written for a change that was
not committed; kg.graph.write puts the record's quads into the one SPARQL Update that commits the
data and the inferred patch, so the SIGKILL loop (tests/graph/faults/test_kill_loops.py) sees
both or neither.

What a record holds: who (`hn:actor`, the token's name; "cli" for the command line), what kind
of write (`hn:action`), when (`prov:endedAtTime`), the graphs and the resources (IRI subjects)
it changed, how many data triples it added and removed, the source (`prov:used`, the graph of a
contribution or an import), a comment, and the exact data quads added and removed as two
N-Quads literals (`hn:addedQuads`, `hn:removedQuads`) — enough to undo it. The inferred graph is
not recorded: a revert is an ordinary write, and the write path recomputes the inferences.
Cost: an N-Quads line is ~150 bytes, so a one-entity write adds ~20 quads and under 1 kB; the
20,000-triple graph replacement of the kill loop adds two literals of ~3 MB.

Changes with blank nodes are recorded with their counts but cannot be reverted exactly (a
SPARQL Update gives inserted blank nodes new identities): `hn:revertible false`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.errors import ChangeNotFound, RevertRefused
from kg.rdf import CHANGE_BASE, GRAPH_CHANGES, HN, HN_CHANGE, PROV, RDF_TYPE, RDFS, XSD, XSD_INTEGER

_G = ox.NamedNode(GRAPH_CHANGES)
_XSD_DATETIME = ox.NamedNode(XSD + "dateTime")
_XSD_INT = ox.NamedNode(XSD_INTEGER)
_XSD_BOOL = ox.NamedNode(XSD + "boolean")

P_ACTOR = HN + "actor"
P_ACTION = HN + "action"
P_GRAPH = HN + "changedGraph"
P_RESOURCE = HN + "changedResource"
P_ADDED = HN + "triplesAdded"
P_REMOVED = HN + "triplesRemoved"
P_ADDED_QUADS = HN + "addedQuads"
P_REMOVED_QUADS = HN + "removedQuads"
P_REVERTS = HN + "reverts"
P_REVERTIBLE = HN + "revertible"
P_ENDED = PROV + "endedAtTime"
P_USED = PROV + "used"
P_COMMENT = RDFS + "comment"

#: At most this many resources are listed per change (a 20,000-triple import names thousands;
#: the history filter by resource then finds the change through its first ones only).
MAX_RESOURCES = 2000


@dataclass(frozen=True)
class ChangeMeta:
    """Who and what a write is, as the caller knows it (the web layer: the token's name)."""

    actor: str                 # the token's name ("cli" for the command line)
    action: str                # "update" | "graph-store" | "import" | "hsds-import" | "contribution" | "revert"
    #                            | "build" (kg.graph.build: recorded by the build itself, never revertible)
    source: str | None = None  # IRI of the source/contribution graph, where there is one
    comment: str | None = None


ANONYMOUS = ChangeMeta("anonymous", "update")


def new_id(now: dt.datetime | None = None) -> str:
    """Sortable by time (microseconds, UTC), unique by a random tail: 20261207T123456123456Z-1a2b3c."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def change_iri(change_id: str) -> str:
    return CHANGE_BASE + change_id


#: What `new_id` makes: anything else names no change (and may not even make an IRI).
_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{6}")


def id_of(ref: str) -> str:
    """The id of a change given as id or IRI; ChangeNotFound for text that is no change id."""
    change_id = ref[len(CHANGE_BASE):] if ref.startswith(CHANGE_BASE) else ref
    if not _ID.fullmatch(change_id):
        raise ChangeNotFound(f"No recorded change {ref!r}: not a change id.",
                             de=f"Keine aufgezeichnete Änderung {ref!r}: keine Änderungskennung.")
    return change_id


def _nquads(quads: Sequence[ox.Quad]) -> str:
    if not quads:
        return ""
    data = ox.serialize(sorted(quads, key=str), format=ox.RdfFormat.N_QUADS)
    return data.decode() if data else ""


def has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    return any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object, q.graph_name))


def record_quads(change_id: str, meta: ChangeMeta, added: Sequence[ox.Quad], removed: Sequence[ox.Quad], *,
                 now: dt.datetime | None = None, reverts: str | None = None) -> list[ox.Quad]:
    """The quads of one change record, in the changes graph (data quads only: no inferred ones)."""
    now = now or dt.datetime.now(dt.UTC)
    node = ox.NamedNode(change_iri(change_id))

    def lit(value: str, dtype: ox.NamedNode | None = None) -> ox.Literal:
        return ox.Literal(value, datatype=dtype) if dtype is not None else ox.Literal(value)

    out = [
        ox.Quad(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(HN_CHANGE), _G),
        ox.Quad(node, ox.NamedNode(P_ACTOR), lit(meta.actor), _G),
        ox.Quad(node, ox.NamedNode(P_ACTION), lit(meta.action), _G),
        ox.Quad(node, ox.NamedNode(P_ENDED), lit(now.isoformat().replace("+00:00", "Z"), _XSD_DATETIME), _G),
        ox.Quad(node, ox.NamedNode(P_ADDED), lit(str(len(added)), _XSD_INT), _G),
        ox.Quad(node, ox.NamedNode(P_REMOVED), lit(str(len(removed)), _XSD_INT), _G),
        ox.Quad(node, ox.NamedNode(P_ADDED_QUADS), lit(_nquads(added)), _G),
        ox.Quad(node, ox.NamedNode(P_REMOVED_QUADS), lit(_nquads(removed)), _G),
        ox.Quad(node, ox.NamedNode(P_REVERTIBLE),
                lit("false" if has_blank_nodes([*added, *removed]) else "true", _XSD_BOOL), _G),
    ]
    graphs = {q.graph_name for q in (*added, *removed) if isinstance(q.graph_name, ox.NamedNode)}
    out += [ox.Quad(node, ox.NamedNode(P_GRAPH), g, _G) for g in sorted(graphs, key=str)]
    resources: list[ox.NamedNode] = []
    seen: set[ox.NamedNode] = set()
    for q in (*added, *removed):
        if isinstance(q.subject, ox.NamedNode) and q.subject not in seen and len(resources) < MAX_RESOURCES:
            seen.add(q.subject)
            resources.append(q.subject)
    out += [ox.Quad(node, ox.NamedNode(P_RESOURCE), r, _G) for r in resources]
    if meta.source:
        out.append(ox.Quad(node, ox.NamedNode(P_USED), ox.NamedNode(meta.source), _G))
    if meta.comment:
        out.append(ox.Quad(node, ox.NamedNode(P_COMMENT), lit(meta.comment), _G))
    if reverts:
        out.append(ox.Quad(node, ox.NamedNode(P_REVERTS), ox.NamedNode(change_iri(reverts)), _G))
    return out


# ------------------------------------------------------------------------------ reading


@dataclass
class ChangeInfo:
    """One change as the history lists it."""

    id: str
    iri: str
    actor: str
    action: str
    time: str
    added: int
    removed: int
    graphs: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    source: str | None = None
    comment: str | None = None
    reverts: str | None = None
    revertible: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "iri": self.iri, "actor": self.actor, "action": self.action, "time": self.time,
                "triplesAdded": self.added, "triplesRemoved": self.removed, "graphs": self.graphs,
                "resources": self.resources, "source": self.source, "comment": self.comment,
                "reverts": self.reverts, "revertible": self.revertible}


def _one(store: Any, node: ox.NamedNode, pred: str) -> Any:
    q = next(iter(store.quads_for_pattern(node, ox.NamedNode(pred), None, _G)), None)
    return None if q is None else q.object


def _info(store: Any, node: ox.NamedNode, resources: int = 50) -> ChangeInfo:
    def val(pred: str, default: str = "") -> str:
        o = _one(store, node, pred)
        return default if o is None else str(o.value)

    res = []
    for q in store.quads_for_pattern(node, ox.NamedNode(P_RESOURCE), None, _G):
        res.append(q.object.value)
        if len(res) >= resources:
            break
    reverts = _one(store, node, P_REVERTS)
    return ChangeInfo(
        id=id_of(node.value), iri=node.value, actor=val(P_ACTOR), action=val(P_ACTION), time=val(P_ENDED),
        added=int(val(P_ADDED, "0")), removed=int(val(P_REMOVED, "0")),
        graphs=sorted(q.object.value for q in store.quads_for_pattern(node, ox.NamedNode(P_GRAPH), None, _G)),
        resources=res, source=val(P_USED) or None, comment=val(P_COMMENT) or None,
        reverts=id_of(reverts.value) if reverts is not None else None,
        revertible=val(P_REVERTIBLE, "true") == "true")


def _all_nodes(store: Any) -> list[ox.NamedNode]:
    """Every change node, newest first (ids sort by time)."""
    nodes = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(HN_CHANGE), _G)}
    return sorted((n for n in nodes if isinstance(n, ox.NamedNode)), key=lambda n: n.value, reverse=True)


def history(store: Any, *, graph: str | None = None, resource: str | None = None, limit: int = 50,
            offset: int = 0) -> list[ChangeInfo]:
    """The recorded changes, newest first, of one graph and/or one resource (an IRI subject the
    change added or removed triples of). Reads by index lookups only: works on a store handle
    and on a worker's snapshot alike."""
    if resource is not None:
        candidates = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(P_RESOURCE),
                                                                 ox.NamedNode(resource), _G)}
        nodes = sorted(candidates, key=lambda n: n.value, reverse=True)
    else:
        nodes = _all_nodes(store)
    if graph is not None:
        g = ox.NamedNode(graph)
        nodes = [n for n in nodes if next(iter(store.quads_for_pattern(n, ox.NamedNode(P_GRAPH), g, _G)), None)]
    return [_info(store, n) for n in nodes[offset:offset + max(0, limit)]]


def get(store: Any, ref: str) -> ChangeInfo:
    node = ox.NamedNode(change_iri(id_of(ref)))
    if _one(store, node, P_ACTION) is None:
        raise ChangeNotFound(f"No recorded change {ref!r}.", de=f"Keine aufgezeichnete Änderung {ref!r}.")
    return _info(store, node, resources=MAX_RESOURCES)


def quads_of(store: Any, ref: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """(added, removed) data quads of a recorded change."""
    node = ox.NamedNode(change_iri(id_of(ref)))
    out = []
    for pred in (P_ADDED_QUADS, P_REMOVED_QUADS):
        o = _one(store, node, pred)
        text = "" if o is None else str(o.value)
        out.append(list(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS)) if text else [])
    return out[0], out[1]


# ------------------------------------------------------------------------------- revert


def _touches(quads: Iterable[ox.Quad]) -> tuple[set[ox.Quad], set[Any]]:
    qs = set(quads)
    return qs, {q.subject for q in qs}


def plan_revert(store: Any, ref: str) -> tuple[ChangeInfo, list[ox.Quad], list[ox.Quad]]:
    """(the change, quads to add, quads to remove) that undo a recorded change; RevertRefused
    when that cannot be done exactly: blank nodes, already reverted, later changes that touched
    the same quads or subjects (listed; revert those first), or the store no longer holds what
    the change left (it no longer applies)."""
    info = get(store, ref)
    if info.action == "build":
        raise RevertRefused(
            f"Change {info.id} is a `kg build`: it replaced the whole store from the project's files and "
            "recorded no triples, so it cannot be reverted; to undo it, restore a backup (`kg restore`) or "
            "build again from the earlier files.",
            de=f"Änderung {info.id} ist ein `kg build`: er hat den ganzen Store aus den Dateien des Projekts "
               "neu aufgebaut und keine Tripel aufgezeichnet, daher lässt er sich nicht zurücknehmen; rückgängig "
               "machen: eine Sicherung wiederherstellen (`kg restore`) oder aus den früheren Dateien neu bauen.")
    if not info.revertible:
        raise RevertRefused(f"Change {info.id} has blank nodes and cannot be reverted exactly.",
                            de=f"Änderung {info.id} enthält leere Knoten und kann nicht exakt zurückgenommen werden.")
    by = [c for c in _all_nodes(store) if _one(store, c, P_REVERTS) == ox.NamedNode(info.iri)]
    if by:
        raise RevertRefused(f"Change {info.id} was already reverted by {id_of(by[0].value)}.",
                            de=f"Änderung {info.id} wurde bereits durch {id_of(by[0].value)} zurückgenommen.",
                            dependents=[id_of(b.value) for b in by])
    added, removed = quads_of(store, info.id)
    mine_q, mine_s = _touches([*added, *removed])
    later = [n for n in _all_nodes(store) if n.value > info.iri]
    # a later change undone by a later revert cancels out with it
    reverted_later = {_one(store, n, P_REVERTS) for n in later} - {None}
    dependents = []
    for n in reversed(later):
        if n in reverted_later or _one(store, n, P_REVERTS) in reverted_later:
            continue
        a, r = quads_of(store, n.value)
        q, s = _touches([*a, *r])
        if q & mine_q or s & mine_s:
            dependents.append(id_of(n.value))
    if dependents:
        raise RevertRefused(
            f"Change {info.id} cannot be reverted: later changes build on it (revert them first, newest first): "
            + ", ".join(dependents),
            de=f"Änderung {info.id} kann nicht zurückgenommen werden: spätere Änderungen bauen darauf auf "
               "(zuerst diese zurücknehmen, die neueste zuerst): " + ", ".join(dependents),
            dependents=dependents)

    def present(q: ox.Quad) -> bool:
        return next(iter(store.quads_for_pattern(q.subject, q.predicate, q.object, q.graph_name)), None) is not None

    gone = sum(1 for q in added if not present(q))
    back = sum(1 for q in removed if present(q))
    if gone or back:
        raise RevertRefused(
            f"Change {info.id} no longer applies: {gone} of the {len(added)} triples it added are gone and "
            f"{back} of the {len(removed)} it removed are back; nothing was changed.",
            de=f"Änderung {info.id} lässt sich nicht mehr zurücknehmen: {gone} der {len(added)} hinzugefügten "
               f"Tripel fehlen und {back} der {len(removed)} entfernten sind wieder da; nichts wurde geändert.")
    return info, removed, added
