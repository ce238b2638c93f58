"""SHACL validation results in a form people can act on.

pyshacl's own text report names blank-node shapes and English-only messages; curators of hilfenetz
read German and English. This module turns any engine's sh:ValidationReport graph into
`ValidationResult` records with the entity (label + IRI), the property, the rule in words, the
offending value and a message in German and in English: the shape's sh:message in that language
when the shape has one, otherwise a plain generated sentence. Engine-independent on purpose, so a
faster engine can produce the same report.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SKOS
from rdflib.plugins.serializers.turtle import TurtleSerializer

from kg.i18n import Msg
from kg.rdf import PREFIXES, XSD, XSD_STRING
from kg.rdf import SH as _SH

SH = rdflib.Namespace(_SH)
_SHORT = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    """`https://w3id.org/hilfenetz/ontology#name` → `hn:name` (full IRI in <> if no prefix fits)."""
    for prefix, ns in _SHORT:
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            if all(c.isalnum() or c in "-_./" for c in local) and not local.endswith("."):
                return f"{prefix}:{local}"
    return f"<{iri}>"


_XSD = XSD
_BARE = {_XSD + "integer", _XSD + "decimal", _XSD + "double", _XSD + "boolean"}


def _looks_numeric(lexical: str) -> bool:
    """Only well-formed lexical forms are shown bare (an ill-typed "drei"^^xsd:integer keeps its
    datatype, since that is usually the very problem being reported)."""
    if lexical in ("true", "false"):
        return True
    try:
        float(lexical)
    except ValueError:
        return False
    return True


def term_text(term: rdflib.term.Node | None) -> str:
    """Compact, unambiguous rendering of an RDF term for reports."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten(str(term))
    if isinstance(term, Literal):
        text = json.dumps(str(term), ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) in _BARE and _looks_numeric(str(term)):
            return str(term)  # Turtle shorthand: 3, 2.5, true
        if term.datatype and str(term.datatype) != XSD_STRING:
            return f"{text}^^{shorten(str(term.datatype))}"
        return text
    return f"_:{term}"


def path_text(graph: rdflib.Graph, path: rdflib.term.Node | None) -> str:
    """Render a SHACL property path (IRI, sequence, ^inverse, alternative, *, +, ?) like SPARQL."""
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return term_text(path)
    if (path, RDF.first, None) in graph:
        return "/".join(path_text(graph, p) for p in Collection(graph, path))
    for pred, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = graph.value(path, pred)
        if inner is not None:
            return fmt.format(path_text(graph, inner))
    alt = graph.value(path, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(path_text(graph, p) for p in Collection(graph, alt)) + ")"
    return term_text(path)


# component local name → (rule in German, rule in English, German sentence, English sentence).
# Sentences may use {path}, {param} (the constraint's parameter value) and {value}.
_COMPONENTS: dict[str, tuple[str, str, str, str]] = {
    "MinCountConstraintComponent": ("Mindestanzahl", "minimum count",
                                    "Pflichtangabe fehlt: {path} (mindestens {param} Wert(e) nötig)",
                                    "Required value missing: {path} (at least {param} value(s) needed)"),
    "MaxCountConstraintComponent": ("Höchstanzahl", "maximum count",
                                    "Zu viele Werte für {path} (höchstens {param} erlaubt)",
                                    "Too many values for {path} (at most {param} allowed)"),
    "DatatypeConstraintComponent": ("Datentyp", "datatype",
                                    "Falscher Datentyp für {path}: {value} ist kein gültiger Wert vom Typ {param}",
                                    "Wrong datatype for {path}: {value} is not a valid {param}"),
    "ClassConstraintComponent": ("Klasse", "class",
                                 "Der Wert {value} von {path} ist keine Instanz von {param}",
                                 "The value {value} of {path} is not an instance of {param}"),
    "NodeKindConstraintComponent": ("Knotenart", "node kind",
                                    "Der Wert {value} von {path} hat die falsche Knotenart (erwartet {param})",
                                    "The value {value} of {path} has the wrong node kind (expected {param})"),
    "PatternConstraintComponent": ("Muster", "pattern",
                                   "Der Wert {value} von {path} passt nicht zum Muster {param}",
                                   "The value {value} of {path} does not match the pattern {param}"),
    "InConstraintComponent": ("erlaubte Werte", "allowed values",
                              "Der Wert {value} von {path} ist nicht unter den erlaubten Werten",
                              "The value {value} of {path} is not one of the allowed values"),
    "HasValueConstraintComponent": ("fester Wert", "required value",
                                    "{path} muss den Wert {param} haben",
                                    "{path} must have the value {param}"),
    "MinInclusiveConstraintComponent": ("Minimum", "minimum",
                                        "Der Wert {value} von {path} ist kleiner als {param}",
                                        "The value {value} of {path} is less than {param}"),
    "MaxInclusiveConstraintComponent": ("Maximum", "maximum",
                                        "Der Wert {value} von {path} ist größer als {param}",
                                        "The value {value} of {path} is greater than {param}"),
    "MinExclusiveConstraintComponent": ("Minimum (exklusiv)", "exclusive minimum",
                                        "Der Wert {value} von {path} muss größer als {param} sein",
                                        "The value {value} of {path} must be greater than {param}"),
    "MaxExclusiveConstraintComponent": ("Maximum (exklusiv)", "exclusive maximum",
                                        "Der Wert {value} von {path} muss kleiner als {param} sein",
                                        "The value {value} of {path} must be less than {param}"),
    "MinLengthConstraintComponent": ("Mindestlänge", "minimum length",
                                     "Der Wert {value} von {path} ist kürzer als {param} Zeichen",
                                     "The value {value} of {path} is shorter than {param} characters"),
    "MaxLengthConstraintComponent": ("Höchstlänge", "maximum length",
                                     "Der Wert {value} von {path} ist länger als {param} Zeichen",
                                     "The value {value} of {path} is longer than {param} characters"),
    "LanguageInConstraintComponent": ("Sprache", "language",
                                      "Der Wert {value} von {path} hat keine erlaubte Sprachangabe",
                                      "The value {value} of {path} does not have an allowed language tag"),
    "UniqueLangConstraintComponent": ("eine Angabe je Sprache", "unique language",
                                      "{path} hat mehrere Werte in derselben Sprache",
                                      "{path} has several values in the same language"),
    "NodeConstraintComponent": ("Knotenform", "node shape",
                                "Der Wert {value} von {path} erfüllt die verlangte Form nicht",
                                "The value {value} of {path} does not conform to the required shape"),
    "ClosedConstraintComponent": ("geschlossene Form", "closed shape",
                                  "Nicht erlaubte Eigenschaft {path} (Wert {value})",
                                  "Property {path} is not allowed here (value {value})"),
    "SPARQLConstraintComponent": ("SPARQL-Regel", "SPARQL rule",
                                  "Regelverstoß bei {path} (Wert {value})",
                                  "Rule violated at {path} (value {value})"),
    "OrConstraintComponent": ("eine der Alternativen", "one of the alternatives",
                              "{path}: keine der erlaubten Alternativen ist erfüllt",
                              "{path}: none of the allowed alternatives is satisfied"),
    "AndConstraintComponent": ("alle Bedingungen", "all conditions",
                               "{path}: nicht alle Bedingungen sind erfüllt",
                               "{path}: not all conditions are satisfied"),
    "NotConstraintComponent": ("Ausschluss", "negation",
                               "{path}: der Wert {value} erfüllt eine ausgeschlossene Form",
                               "{path}: the value {value} conforms to an excluded shape"),
    "XoneConstraintComponent": ("genau eine Alternative", "exactly one alternative",
                                "{path}: nicht genau eine der Alternativen ist erfüllt",
                                "{path}: not exactly one of the alternatives is satisfied"),
    "EqualsConstraintComponent": ("Gleichheit", "equality",
                                  "{path} muss dieselben Werte haben wie {param}",
                                  "{path} must have the same values as {param}"),
    "DisjointConstraintComponent": ("Disjunktheit", "disjointness",
                                    "{path} darf keinen Wert mit {param} teilen",
                                    "{path} must not share a value with {param}"),
    "LessThanConstraintComponent": ("kleiner als", "less than",
                                    "Der Wert {value} von {path} muss kleiner sein als {param}",
                                    "The value {value} of {path} must be less than {param}"),
    "LessThanOrEqualsConstraintComponent": ("kleiner oder gleich", "less than or equal",
                                            "Der Wert {value} von {path} muss kleiner oder gleich {param} sein",
                                            "The value {value} of {path} must be less than or equal to {param}"),
    "QualifiedMinCountConstraintComponent": ("qualifizierte Mindestanzahl", "qualified minimum count",
                                             "Zu wenige passende Werte für {path} (mindestens {param})",
                                             "Too few matching values for {path} (at least {param})"),
    "QualifiedMaxCountConstraintComponent": ("qualifizierte Höchstanzahl", "qualified maximum count",
                                             "Zu viele passende Werte für {path} (höchstens {param})",
                                             "Too many matching values for {path} (at most {param})"),
}

# which shape parameter fills {param} for a component
_PARAM: dict[str, URIRef] = {
    "MinCountConstraintComponent": SH.minCount,
    "MaxCountConstraintComponent": SH.maxCount,
    "DatatypeConstraintComponent": SH.datatype,
    "ClassConstraintComponent": SH["class"],
    "NodeKindConstraintComponent": SH.nodeKind,
    "PatternConstraintComponent": SH.pattern,
    "HasValueConstraintComponent": SH.hasValue,
    "MinInclusiveConstraintComponent": SH.minInclusive,
    "MaxInclusiveConstraintComponent": SH.maxInclusive,
    "MinExclusiveConstraintComponent": SH.minExclusive,
    "MaxExclusiveConstraintComponent": SH.maxExclusive,
    "MinLengthConstraintComponent": SH.minLength,
    "MaxLengthConstraintComponent": SH.maxLength,
    "EqualsConstraintComponent": SH.equals,
    "DisjointConstraintComponent": SH.disjoint,
    "LessThanConstraintComponent": SH.lessThan,
    "LessThanOrEqualsConstraintComponent": SH.lessThanOrEquals,
    "QualifiedMinCountConstraintComponent": SH.qualifiedMinCount,
    "QualifiedMaxCountConstraintComponent": SH.qualifiedMaxCount,
}

_SEVERITY = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}
_SEVERITY_DE = {"Violation": "Verstoß", "Warning": "Warnung", "Info": "Hinweis"}

#: Field names of a result in the text report (the bilingual form keeps English in lower case).
_ENTITY = Msg("Entität", "Entity", "Entität / entity")
_PROPERTY = Msg("Eigenschaft", "Property", "Eigenschaft / property")
_RULE = Msg("Regel", "Rule", "Regel / rule")
_VALUE = Msg("Wert", "Value", "Wert / value")
_SOURCE = Msg("Quelle", "Source", "Quelle / source")
_CONFORMS = Msg("Die Daten erfüllen alle SHACL-Regeln.", "The data conforms to all SHACL shapes.")


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def rule_words(component: str) -> tuple[str, str]:
    """The constraint component in words: (German, English)."""
    entry = _COMPONENTS.get(_local(component))
    if entry:
        return entry[0], entry[1]
    return _local(component), _local(component)


@dataclass
class ValidationResult:
    """One sh:ValidationResult, with everything a curator needs to find and fix the problem."""

    focus_node: str
    result_path: str | None
    constraint_component: str
    source_shape: str | None
    value: str | None
    severity: str  # "Violation" | "Warning" | "Info"
    message_de: str
    message_en: str
    focus_label: str | None = None
    path_label: str | None = None  # German label of the property (else any)
    path_label_en: str | None = None  # English label of the property (else any)
    focus_context: str | None = None  # for blank nodes: "hnid:org/x hn:evidence"
    graphs: list[str] = field(default_factory=list)  # named graphs / files that describe the focus node
    value_iri: str | None = None  # full IRI of the value, if it is one (for follow-up checks)
    focus_iri: str | None = None  # full IRI of the focus node (None for a blank node)
    node: Any = field(default=None, repr=False, compare=False)  # the result node in `graph`

    @property
    def is_violation(self) -> bool:
        return self.severity == "Violation"

    def rule_de(self) -> str:
        return rule_words(self.constraint_component)[0]

    def rule_en(self) -> str:
        return rule_words(self.constraint_component)[1]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("node", None)
        d["rule_de"], d["rule_en"] = self.rule_de(), self.rule_en()
        return d

    def to_text(self, lang: str = "both") -> str:
        """Several indented lines: entity, property, rule, value, message(s)."""
        sev_de = _SEVERITY_DE.get(self.severity, self.severity)
        ent = self.focus_node
        if self.focus_label:
            ent = f"{self.focus_label} ({self.focus_node})"
        if self.focus_context:
            ent += f" [{self.focus_context}]"
        prop = self.result_path or "—"
        label = self.path_label_en if lang == "en" and self.path_label_en else self.path_label
        if label:
            prop = f"{prop} ({label})"
        rule_de, rule_en = rule_words(self.constraint_component)
        comp = shorten(self.constraint_component)
        rule = Msg(f"{rule_de} ({comp})", f"{rule_en} ({comp})", f"{rule_de} / {rule_en} ({comp})")
        lines = [f"- {Msg(sev_de, self.severity).text(lang)}",
                 f"    {_ENTITY.text(lang)}: {ent}",
                 f"    {_PROPERTY.text(lang)}: {prop}",
                 f"    {_RULE.text(lang)}: {rule.text(lang)}"]
        if self.value is not None:
            lines.append(f"    {_VALUE.text(lang)}: {self.value}")
        if self.graphs:
            lines.append(f"    {_SOURCE.text(lang)}: {', '.join(self.graphs)}")
        if lang in ("de", "both"):
            lines.append(f"    de: {self.message_de}")
        if lang in ("en", "both"):
            lines.append(f"    en: {self.message_en}")
        return "\n".join(lines)


@dataclass
class ValidationReport:
    """Outcome of one validation run: conforms flag, the results, and the standard report graph."""

    conforms: bool
    results: list[ValidationResult]
    graph: rdflib.Graph
    engine: str = "pyshacl"
    seconds: float | None = None
    notes: list[str] = field(default_factory=list)  # what was validated how (scopes, sizes)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.is_violation]

    def downgrade(self, result: ValidationResult, severity: str, note_de: str, note_en: str) -> None:
        """Lower a result's severity (in the records and in the report graph) and say why in both
        messages; used when a check could not be made conclusively (never to hide a result)."""
        result.severity = severity
        result.message_de += f" [{note_de}]"
        result.message_en += f" [{note_en}]"
        if result.node is not None:
            self.graph.set((result.node, SH.resultSeverity, SH[severity]))
        self.conforms = not self.violations
        for rep in self.graph.subjects(RDF.type, SH.ValidationReport):
            self.graph.set((rep, SH.conforms, Literal(self.conforms)))

    def to_text(self, lang: str = "both", only_violations: bool = False) -> str:
        """Human-readable report; `lang` is de, en or both."""
        results = self.violations if only_violations else self.results
        n_v = len(self.violations)
        n_o = len(self.results) - n_v
        if self.conforms and not self.results:
            return _CONFORMS.text(lang)
        head = Msg(f"{n_v} Verstoß/Verstöße, {n_o} Warnung(en)/Hinweis(e)",
                   f"{n_v} violation(s), {n_o} warning(s)/info(s)").text(lang)
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        body = [r.to_text(lang) for r in sorted(
            results, key=lambda r: (order.get(r.severity, 3), r.focus_node, r.result_path or ""))]
        return "\n".join([head, *body])

    def to_json(self) -> str:
        return json.dumps(
            {
                "conforms": self.conforms,
                "engine": self.engine,
                "seconds": self.seconds,
                "notes": self.notes,
                "violations": len(self.violations),
                "results": [r.to_dict() for r in self.results],
            },
            ensure_ascii=False,
            indent=2,
        )

    def to_turtle(self) -> str:
        """The standard sh:ValidationReport graph as Turtle that parses, with every literal's
        lexical form verbatim (see `ExactTurtleSerializer`)."""
        g = self.graph
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=False)
        buf = io.BytesIO()
        ExactTurtleSerializer(g).serialize(buf, encoding="utf-8")
        return buf.getvalue().decode("utf-8")


# Turtle's own grammar for bare numbers and booleans (Turtle 1.1, productions 19-21 and 133s).
_BARE_LEXICAL = {
    URIRef(XSD + "integer"): re.compile(r"[+-]?[0-9]+"),
    URIRef(XSD + "decimal"): re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    URIRef(XSD + "double"): re.compile(
        r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+)"),
    URIRef(XSD + "boolean"): re.compile(r"true|false"),
}
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def literal_turtle(lit: Literal, datatype_name: Callable[[URIRef], str | None] = lambda dt: None) -> str:
    """A literal in Turtle with its lexical form kept exactly: bare (`42`, `true`) only when the
    lexical form is in Turtle's own grammar for that datatype, otherwise quoted with its datatype
    (`"none"^^xsd:boolean`, `"1.5E0"^^xsd:double`)."""
    lexical = str(lit)
    dt = lit.datatype
    pattern = _BARE_LEXICAL.get(dt) if dt is not None else None
    if pattern is not None and pattern.fullmatch(lexical):
        return lexical
    quoted = '"' + lexical.translate(_STRING_ESCAPES) + '"'
    if lit.language:
        return f"{quoted}@{lit.language}"
    if dt is None:
        return quoted
    return f"{quoted}^^{datatype_name(dt) or '<' + str(dt) + '>'}"


class ExactTurtleSerializer(TurtleSerializer):
    """rdflib's Turtle writer with literals written by `literal_turtle`.

    rdflib writes a typed literal bare whenever it can compute a value: the W3C SHACL test
    core/property/or-datatypes-001 reports the ill-typed `"none"^^xsd:boolean` as sh:value, which
    rdflib prints as a bare `none` (not Turtle: the report did not parse, 97/98 through `kg shacl`);
    it also rewrites doubles (`"1.5E0"` becomes `1.5e+00`), changing the lexical form a report must
    repeat verbatim."""

    def label(self, node: rdflib.term.Node, position: int) -> str:
        if isinstance(node, Literal):
            return literal_turtle(node, lambda dt: self.get_pname(dt, False))
        return str(super().label(node, position))


def _labels_lookup(graph: rdflib.Graph | None, prefer: tuple[str | None, ...] = ("de", "en", None)
                   ) -> Callable[[rdflib.term.Node], str | None]:
    """Best label of a node: rdfs:label/skos:prefLabel in the preferred languages, then any."""

    def lookup(node: rdflib.term.Node) -> str | None:
        if graph is None:
            return None
        labels = [o for p in (RDFS.label, SKOS.prefLabel) for o in graph.objects(node, p) if isinstance(o, Literal)]
        if not labels:
            return None
        for lang in prefer:
            for lab in labels:
                if lab.language == lang:
                    return str(lab)
        return str(labels[0])

    return lookup


def _pick(messages: Iterable[Literal], lang: str) -> str | None:
    for m in messages:
        if m.language and m.language.lower().startswith(lang):
            return str(m)
    return None


def report_from_graph(
    results_graph: rdflib.Graph,
    shapes: rdflib.Graph,
    data: rdflib.Graph | None = None,
    ontology: rdflib.Graph | None = None,
    *,
    engine: str = "pyshacl",
    graphs_of: Mapping[str, list[str]] | Callable[[str], list[str]] | None = None,
) -> ValidationReport:
    """Build a ValidationReport from a standard sh:ValidationReport graph.

    `shapes` is needed to find the shape's own sh:message and constraint parameters, `data` and
    `ontology` to find labels of entities and properties; `graphs_of` may tell which source
    graph(s) describe a focus node.
    """
    rg = results_graph
    data_label = _labels_lookup(data)
    onto_label = _labels_lookup(ontology)
    onto_label_en = _labels_lookup(ontology, ("en", "de", None))
    results: list[ValidationResult] = []
    for node in rg.subjects(RDF.type, SH.ValidationResult):
        focus = rg.value(node, SH.focusNode)
        path = rg.value(node, SH.resultPath)
        comp = rg.value(node, SH.sourceConstraintComponent)
        shape = rg.value(node, SH.sourceShape)
        value = rg.value(node, SH.value)
        sev = rg.value(node, SH.resultSeverity)
        comp_s = str(comp) if comp is not None else ""
        # messages the shape author wrote (pyshacl copies them; other engines may not)
        own = [m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)] if shape is not None else []
        own += [m for m in rg.objects(node, SH.resultMessage) if isinstance(m, Literal) and m.language]
        path_s = path_text(rg, path) if path is not None else None
        if path is not None and path_s and path_s.startswith("_:") and shape is not None:
            path_s = path_text(shapes, shapes.value(shape, SH.path))
        param_term = (shapes.value(shape, _PARAM[_local(comp_s)])
                      if shape is not None and _local(comp_s) in _PARAM else None)
        fill = {
            "path": path_s or "(Knoten selbst / node itself)",
            "param": term_text(param_term) if param_term is not None else "?",
            "value": term_text(value) if value is not None else "—",
        }
        tmpl = _COMPONENTS.get(_local(comp_s))
        gen_de = tmpl[2].format(**fill) if tmpl else f"Regel {shorten(comp_s)} verletzt bei {fill['path']}"
        gen_en = tmpl[3].format(**fill) if tmpl else f"Rule {shorten(comp_s)} violated at {fill['path']}"
        untagged = next((str(m) for m in shapes.objects(shape, SH.message)
                         if isinstance(m, Literal) and not m.language), None) if shape is not None else None
        msg_de = _pick(own, "de") or gen_de
        msg_en = _pick(own, "en") or untagged or gen_en
        focus_s = term_text(focus)
        context = None
        if isinstance(focus, BNode) and data is not None:
            for s, p in data.subject_predicates(focus):
                context = f"{term_text(s)} {term_text(p)}"
                break
        graphs: list[str] = []
        if graphs_of is not None and focus is not None:
            key = str(focus)
            graphs = list(graphs_of(key) if callable(graphs_of) else graphs_of.get(key, []))
        results.append(
            ValidationResult(
                focus_node=focus_s,
                result_path=path_s,
                constraint_component=comp_s,
                source_shape=term_text(shape) if shape is not None else None,
                value=term_text(value) if value is not None else None,
                severity=_SEVERITY.get(str(sev), "Violation"),
                message_de=msg_de,
                message_en=msg_en,
                focus_label=data_label(focus) if focus is not None else None,
                path_label=(onto_label(path) or data_label(path)) if isinstance(path, URIRef) else None,
                path_label_en=onto_label_en(path) if isinstance(path, URIRef) else None,
                focus_context=context,
                graphs=graphs,
                value_iri=str(value) if isinstance(value, URIRef) else None,
                focus_iri=str(focus) if isinstance(focus, URIRef) else None,
                node=node,
            )
        )
    conforms = not any(r.is_violation for r in results)
    return ValidationReport(conforms=conforms, results=results, graph=rg, engine=engine)


def _copy_closure(src: rdflib.Graph, dst: rdflib.Graph, node: rdflib.term.Node, seen: set[rdflib.term.Node]) -> None:
    """Copy `node`'s triples and, recursively, those of the blank nodes it points to."""
    if node in seen:
        return
    seen.add(node)
    for p, o in src.predicate_objects(node):
        dst.add((node, p, o))
        if isinstance(o, BNode):
            _copy_closure(src, dst, o, seen)


def merge_reports(parts: Iterable[ValidationReport], *, engine: str = "pyshacl") -> ValidationReport:
    """One report from several partial runs (validation per concern): a fresh sh:ValidationReport
    node linking the results of every part, each copied with its blank-node closure. A result
    found by two parts (same focus, path, rule, value, message) is kept once."""
    graph = rdflib.Graph()
    report_node = BNode()
    results: list[ValidationResult] = []
    notes: list[str] = []
    seconds = 0.0
    seen: set[rdflib.term.Node] = set()
    keys: set[tuple[object, ...]] = set()
    for part in parts:
        notes += part.notes
        seconds += part.seconds or 0.0
        for r in part.results:
            key = (r.focus_iri or r.focus_node, r.result_path, r.constraint_component, r.value, r.message_en,
                   r.severity)
            if key in keys:
                continue
            keys.add(key)
            if r.node is not None:
                _copy_closure(part.graph, graph, r.node, seen)
                graph.add((report_node, SH.result, r.node))
            results.append(r)
    conforms = not any(r.is_violation for r in results)
    graph.add((report_node, RDF.type, SH.ValidationReport))
    graph.add((report_node, SH.conforms, Literal(conforms)))
    return ValidationReport(conforms=conforms, results=results, graph=graph, engine=engine,
                            seconds=seconds, notes=notes)


def filter_report(report: ValidationReport, keep: Callable[[ValidationResult], bool]) -> tuple[ValidationReport, int]:
    """The report restricted to the results `keep` accepts, and how many were left out."""
    kept = [r for r in report.results if keep(r)]
    part = ValidationReport(conforms=report.conforms, results=kept, graph=report.graph, engine=report.engine,
                            seconds=report.seconds, notes=list(report.notes))
    return merge_reports([part], engine=report.engine), len(report.results) - len(kept)
