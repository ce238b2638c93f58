"""SHACL property paths: parsed once from the shapes graph, rendered as SPARQL 1.1 property paths
(so a whole (shape, path) pair is evaluated by one query inside pyoxigraph) and evaluated
exactly in Python from single nodes (for nested shapes, whose focus nodes are only known at run
time and may be blank nodes, which SPARQL cannot bind from outside).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib import RDF
from rdflib.collection import Collection

from kg.errors import PathError
from kg.rdf import SH as _SH

SH = rdflib.Namespace(_SH)


@dataclass(frozen=True)
class Path:
    """One path expression: kind is pred | inv | seq | alt | star | plus | opt."""

    kind: str
    pred: ox.NamedNode | None = None
    parts: tuple[Path, ...] = ()

    @property
    def is_predicate(self) -> bool:
        return self.kind == "pred"


def parse_path(g: rdflib.Graph, node: rdflib.term.Node, depth: int = 0) -> Path:
    """The path rooted at `node` of the shapes graph (raises PathError when malformed)."""
    if depth > 64:
        raise PathError("path nested too deeply (cyclic?)")
    if isinstance(node, rdflib.URIRef):
        return Path("pred", ox.NamedNode(str(node)))
    if isinstance(node, rdflib.Literal):
        raise PathError(f"a literal is not a path: {node!r}")
    if (node, RDF.first, None) in g:
        items = list(Collection(g, node))
        if len(items) < 2:
            raise PathError("a sequence path needs at least two members")
        return Path("seq", parts=tuple(parse_path(g, i, depth + 1) for i in items))
    for pred, kind in ((SH.inversePath, "inv"), (SH.zeroOrMorePath, "star"),
                       (SH.oneOrMorePath, "plus"), (SH.zeroOrOnePath, "opt")):
        inner = list(g.objects(node, pred))
        if inner:
            if len(inner) != 1:
                raise PathError(f"{pred} must have one value")
            return Path(kind, parts=(parse_path(g, inner[0], depth + 1),))
    alt = list(g.objects(node, SH.alternativePath))
    if alt:
        items = list(Collection(g, alt[0]))
        if len(items) < 2:
            raise PathError("an alternative path needs at least two members")
        return Path("alt", parts=tuple(parse_path(g, i, depth + 1) for i in items))
    raise PathError(f"not a SHACL path: {node}")


def to_sparql(p: Path) -> str:
    """SPARQL 1.1 property-path syntax, fully parenthesised so precedence never matters."""
    if p.kind == "pred":
        assert p.pred is not None
        return f"<{p.pred.value}>"
    if p.kind == "inv":
        return f"^({to_sparql(p.parts[0])})"
    if p.kind == "seq":
        return "(" + "/".join(to_sparql(x) for x in p.parts) + ")"
    if p.kind == "alt":
        return "(" + "|".join(to_sparql(x) for x in p.parts) + ")"
    suffix = {"star": "*", "plus": "+", "opt": "?"}[p.kind]
    return f"({to_sparql(p.parts[0])}){suffix}"


Step = Callable[[ox.NamedNode, object], Iterable[object]]


def evaluate(p: Path, node: object, objects: Step, subjects: Step) -> set[object]:
    """The value nodes reached from `node` along `p` (a set: SHACL value nodes have no
    multiplicity). `objects(pred, s)` / `subjects(pred, o)` read one step from the data."""
    if p.kind == "pred":
        assert p.pred is not None
        return set(objects(p.pred, node))
    if p.kind == "inv":
        inner = p.parts[0]
        if inner.kind == "pred":
            assert inner.pred is not None
            return set(subjects(inner.pred, node))
        return _inverse(inner, node, objects, subjects)
    if p.kind == "seq":
        current = {node}
        for part in p.parts:
            nxt: set[object] = set()
            for n in current:
                nxt |= evaluate(part, n, objects, subjects)
            current = nxt
        return current
    if p.kind == "alt":
        out: set[object] = set()
        for part in p.parts:
            out |= evaluate(part, node, objects, subjects)
        return out
    inner = p.parts[0]
    if p.kind == "opt":
        return {node} | evaluate(inner, node, objects, subjects)
    seen: set[object] = {node} if p.kind == "star" else set()
    frontier = [node]
    reached: set[object] = set()
    while frontier:
        n = frontier.pop()
        for m in evaluate(inner, n, objects, subjects):
            if m not in reached:
                reached.add(m)
                if m not in seen:
                    seen.add(m)
                    frontier.append(m)
    return seen | reached


def _inverse(p: Path, node: object, objects: Step, subjects: Step) -> set[object]:
    """Inverse of a complex path: swap the step directions (seq reverses its order)."""
    flipped = _flip(p)
    return evaluate(flipped, node, objects, subjects)


def _flip(p: Path) -> Path:
    if p.kind == "pred":
        return Path("inv", parts=(p,))
    if p.kind == "inv":
        return p.parts[0]
    if p.kind == "seq":
        return Path("seq", parts=tuple(_flip(x) for x in reversed(p.parts)))
    return Path(p.kind, parts=tuple(_flip(x) for x in p.parts))


def copy_path(src: rdflib.Graph, node: rdflib.term.Node, dst: rdflib.Graph, depth: int = 0) -> None:
    """Copy the blank-node structure of a path into a report graph (sh:resultPath needs it),
    only the triples `parse_path` reads: a node that is both a list and an inverse path is a
    sequence there and here."""
    if not isinstance(node, rdflib.BNode) or depth > 64:
        return
    if (node, RDF.first, None) in src:
        for pred in (RDF.first, RDF.rest):
            for o in src.objects(node, pred):
                dst.add((node, pred, o))
                copy_path(src, o, dst, depth + 1)
        return
    for pred in (SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath, SH.alternativePath):
        objs = list(src.objects(node, pred))
        if objs:
            for o in objs:
                dst.add((node, pred, o))
                copy_path(src, o, dst, depth + 1)
            return
