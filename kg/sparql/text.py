"""A small lexical scanner for SPARQL text: just enough to police and adjust requests.

Why not a full parser: pyoxigraph parses and evaluates, but exposes no algebra. The endpoint
still needs to know (a) the query form before running it (content negotiation, 406 early),
(b) every SERVICE and LOAD target (pyoxigraph would fetch any URL it is given: the
allow-list stops the endpoint from being used to reach internal addresses), (c) whether an
update carries USING/WITH (protocol dataset conflict) and (d) where to add USING clauses for
`using-graph-uri` / `using-named-graph-uri`, which `Store.update` cannot take as arguments.
All of that only needs tokens that skip strings, IRIs and comments, and the brace depth.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<bnode>_:[A-Za-z0-9_\-.\u00B7-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][A-Za-z0-9_\-.\u00B7-\uFFFF]*)?:(?:[A-Za-z0-9_:%\-.\u00B7-\uFFFF]|\\.)*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|[{}()\[\].;,*=<>!+\-/|^@])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

#: Deepest bracket nesting ({ ( [ counted together) a query or update may have. pyoxigraph's
#: parser recurses once per level: on an 8 MiB stack plain groups overflow at about 2,150
#: levels, FILTER EXISTS and function calls already below 1,000 (measured with 0.5.13). So the
#: query workers and the update path parse on a larger stack (kg.query.execute.PARSER_STACK_BYTES,
#: where every construct tried passes 2,000 levels), and deeper texts are refused before parsing.
MAX_NESTING = 2000

# Strings, IRIs and comments are blanked out first (brackets in them nest nothing). An IRI
# holding brackets is not taken as one, so its (balanced) brackets count: over-counting is
# harmless, and a `<` that really means "less than" can never hide brackets from the scan.
_NOT_NESTING_RE = re.compile(
    r"""
    '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*''' | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\"
  | '[^'\\\n\r]*(?:\\.[^'\\\n\r]*)*' | "[^"\\\n\r]*(?:\\.[^"\\\n\r]*)*"
  | <[^<>"{}|^`\\\x00-\x20()\[\]]*>
  | \#[^\n\r]*
    """,
    re.VERBOSE | re.DOTALL,
)
_NOT_BRACKET_RE = re.compile(r"[^{}()\[\]]+")
# opening bracket -> 2, closing -> 0: the prefix sums minus the position give the +1/-1 walk
_BRACKET_STEPS = bytes.maketrans(b"{([})]", b"\x02\x02\x02\x00\x00\x00")


def _opening_brackets(text: str) -> int:
    return text.count("{") + text.count("(") + text.count("[")


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a SPARQL text ({ ( [ together), ignoring brackets inside
    strings, IRIs and comments; a stray closing bracket never makes the depth negative.

    Why no Python loop over the brackets: the check may run on texts up to the query size
    limit, so it is done with regular expressions and C-level iterators (about 0.3 s per
    million brackets). The depth of a walk floored at 0 is its prefix sum minus the lowest
    prefix sum so far (and 0)."""
    brackets = _NOT_BRACKET_RE.sub("", _NOT_NESTING_RE.sub(" ", text))
    if not brackets:
        return 0
    steps = brackets.encode("ascii").translate(_BRACKET_STEPS)
    prefix = list(map(operator.sub, itertools.accumulate(steps), itertools.count(1)))
    lowest = itertools.accumulate(prefix, min, initial=0)
    next(lowest)
    return max(map(operator.sub, prefix, lowest))


def too_deep(text: str, limit: int = MAX_NESTING) -> int | None:
    """The nesting depth if it is above `limit`, else None.

    Why a separate check: a parser stack overflow kills the process that parses (a query
    worker, or the server itself for updates). Cheap: a text with at most `limit` opening
    brackets cannot nest deeper and is not scanned at all."""
    if _opening_brackets(text) <= limit:
        return None
    depth = nesting_depth(text)
    return depth if depth > limit else None


@dataclass(frozen=True)
class Token:
    """One lexical token with its position in the text (for rewriting)."""

    kind: str
    text: str
    start: int
    end: int
    depth: int  # brace depth before the token

    @property
    def upper(self) -> str:
        return self.text.upper()

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`, without whitespace and comments, each with its brace depth."""
    tokens: list[Token] = []
    depth = 0
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if kind == "pname" and value.endswith(".") and value.count(":"):
            # a local name cannot end with '.', so the dot ends the triple
            value = value.rstrip(".")
        tok = Token(kind, value, m.start(), m.start() + len(value), depth)
        if value == "{" and kind == "punct":
            depth += 1
        elif value == "}" and kind == "punct":
            depth = max(0, depth - 1)
        tokens.append(tok)
    return tokens


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (the first such keyword at depth 0), else None."""
    return _form_of(tokenize(text))


def _form_of(tokens: list[Token]) -> str | None:
    for tok in tokens:
        if tok.depth == 0 and tok.is_word(*QUERY_FORMS):
            return tok.upper
    return None


_FROM_WORD = re.compile(r"\bfrom\b", re.IGNORECASE)


def query_dataset(text: str, default_prefixes: dict[str, str] | None = None
                  ) -> tuple[list[str], list[str]] | None:
    """The dataset a query names itself: (FROM graphs, FROM NAMED graphs) as absolute IRIs, or
    None if it has no `FROM` at depth 0 (or names a graph this scanner cannot resolve).

    Why: a store asked for the union default graph must still give a query with `FROM <g>` the
    default graph `<g>` (SPARQL 1.1 §13.2); pyoxigraph's union flag and union-default servers
    override it, so callers pass these graphs as the dataset instead. Runs for every query on the
    union default graph: a text without the word FROM anywhere is answered without tokenising."""
    if not _FROM_WORD.search(text):
        return None
    tokens = tokenize(text)
    prefixes, base = _prologue(tokens)
    prefixes = {**(default_prefixes or {}), **prefixes}
    default: list[str] = []
    named: list[str] = []
    found = False
    for i, tok in enumerate(tokens):
        if tok.depth != 0 or not tok.is_word("FROM"):
            continue
        found = True
        is_named = i + 1 < len(tokens) and tokens[i + 1].is_word("NAMED")
        target = tokens[i + 2] if is_named and i + 2 < len(tokens) else tokens[i + 1] if i + 1 < len(tokens) else None
        iri = _resolve(target, prefixes, base) if target is not None else None
        if iri is None:
            return None
        (named if is_named else default).append(iri)
    return (default, named) if found else None


def looks_like_update(text: str) -> bool:
    """True if the text starts (after the prologue) with an update keyword rather than a query form."""
    return _starts_like_update(tokenize(text))


def _starts_like_update(tokens: list[Token]) -> bool:
    for tok in tokens:
        if tok.is_word("PREFIX", "BASE"):
            continue
        if tok.kind in ("pname", "iri"):
            continue
        return tok.is_word(
            "INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"
        )
    return False


def _prologue(tokens: list[Token]) -> tuple[dict[str, str], str | None]:
    """PREFIX declarations and the last BASE (resolved in order)."""
    prefixes: dict[str, str] = {}
    base: str | None = None
    for i, tok in enumerate(tokens):
        if tok.is_word("BASE") and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            iri = tokens[i + 1].text[1:-1]
            base = urljoin(base, iri) if base else iri
        elif (
            tok.is_word("PREFIX")
            and i + 2 < len(tokens)
            and tokens[i + 1].kind == "pname"
            and tokens[i + 2].kind == "iri"
        ):
            iri = tokens[i + 2].text[1:-1]
            prefixes[tokens[i + 1].text.rstrip(":")] = urljoin(base, iri) if base else iri
    return prefixes, base


def _resolve(tok: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    """The absolute IRI a token denotes, or None (variable, unknown prefix, not an IRI)."""
    if tok.kind == "iri":
        iri = tok.text[1:-1]
        return urljoin(base, iri) if base else iri
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


@dataclass(frozen=True)
class RemoteTarget:
    """A SERVICE or LOAD target: the keyword and the IRI (None if it is a variable or unknown)."""

    keyword: str
    iri: str | None
    text: str

    @property
    def host(self) -> str | None:
        if not self.iri:
            return None
        try:
            return (urlsplit(self.iri).hostname or "").lower() or None
        except ValueError:
            return None


def remote_targets(text: str) -> list[RemoteTarget]:
    """Every SERVICE and LOAD target in a query or update."""
    return _targets_of(tokenize(text))


def _targets_of(tokens: list[Token]) -> list[RemoteTarget]:
    prefixes, base = _prologue(tokens)
    out: list[RemoteTarget] = []
    for i, tok in enumerate(tokens):
        if not tok.is_word("SERVICE", "LOAD"):
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].is_word("SILENT"):
            j += 1
        if j >= len(tokens):
            continue
        target = tokens[j]
        out.append(RemoteTarget(tok.upper, _resolve(target, prefixes, base), target.text))
    return out


def forbidden_targets(text: str, allow: tuple[str, ...] | frozenset[str]) -> list[RemoteTarget]:
    """Targets whose host is not on the allow-list (variables and unresolvable names always are)."""
    allowed = {h.lower() for h in allow}
    return [t for t in remote_targets(text) if t.host is None or t.host not in allowed]


def has_update_dataset_clause(text: str) -> bool:
    """True if an update names its own dataset (USING, USING NAMED or WITH) at top level."""
    return any(tok.depth == 0 and tok.is_word("USING", "WITH") for tok in tokenize(text))


def inject_using(text: str, using: list[str], using_named: list[str]) -> str:
    """Add `USING <g>` / `USING NAMED <g>` before the WHERE of every DELETE/INSERT operation.

    This is how the protocol's `using-graph-uri` / `using-named-graph-uri` reach pyoxigraph,
    whose `Store.update` has no dataset arguments. `DELETE WHERE` takes no USING clause and is
    left alone."""
    if not using and not using_named:
        return text
    clause = "".join(f" USING <{g}>" for g in using) + "".join(f" USING NAMED <{g}>" for g in using_named)
    tokens = tokenize(text)
    inserts: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.depth == 0 and tok.is_word("WHERE"):
            prev = tokens[i - 1] if i > 0 else None
            if prev is not None and prev.is_word("DELETE"):
                continue
            inserts.append(tok.start)
    for pos in reversed(inserts):
        text = text[:pos] + clause.strip() + " " + text[pos:]
    return text


def normalise(text: str) -> str:
    """Query text reduced to its tokens joined by single spaces: the cache key ignores layout
    and comments, but never changes strings or IRIs."""
    return " ".join(tok.text for tok in tokenize(text))


def mentioned_iris(text: str, default_prefixes: dict[str, str] | None = None) -> set[str] | None:
    """Every IRI written in an update (IRIs and prefixed names, resolved), or None if the update
    may touch graphs it does not name: `GRAPH ?var` / `GRAPH $var`, or ALL / NAMED.

    Why: an update can only change graphs it names literally (or the default graph), so a write
    validator needs to compare just those graphs, not dump the whole store."""
    tokens = tokenize(text)
    declared, base = _prologue(tokens)
    prefixes = dict(default_prefixes or {})
    prefixes.update(declared)
    out: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.is_word("ALL", "NAMED"):
            return None
        if tok.is_word("GRAPH") and i + 1 < len(tokens) and tokens[i + 1].kind == "var":
            return None
        if tok.kind in ("iri", "pname"):
            iri = _resolve(tok, prefixes, base)
            if iri:
                out.add(iri)
    return out


@dataclass(frozen=True)
class QueryFacts:
    """What the endpoint needs to know about a query text before running it."""

    form: str | None
    is_update: bool
    normalised: str
    targets: tuple[RemoteTarget, ...]
    #: a SELECT or ASK of one triple pattern (see `is_single_pattern`): its evaluation is one
    #: index scan whose work grows with the answer, so it may be answered under a small answer
    #: cap without a worker process
    single_pattern: bool = False


@functools.lru_cache(maxsize=4096)
def query_facts(text: str) -> QueryFacts:
    """Form, update-ness, normalised text and SERVICE/LOAD targets, memoised per text.

    Why memoised: a portal sends the same few queries again and again; with this the cached
    answer path does no tokenising at all."""
    tokens = tokenize(text)  # once: a new query text is the common case of a cache miss
    return QueryFacts(_form_of(tokens), _starts_like_update(tokens), " ".join(tok.text for tok in tokens),
                      tuple(_targets_of(tokens)), _single_pattern(tokens))


def is_single_pattern(text: str) -> bool:
    """True for `SELECT <vars or *> [WHERE] { s p o [.] } [LIMIT n]` and `ASK [WHERE] { s p o [.] }`
    (after PREFIX/BASE declarations), where s, p and o are IRIs, prefixed names, distinct
    variables, `a` (as predicate) or a plain string or number (as object).

    Why exactly this shape: such a query is a single scan of an index prefix (every combination
    of bound positions has an index in Oxigraph), each quad scanned is one solution, and the
    scan stops as soon as the serialiser stops pulling. Its work is therefore bounded by the
    size of the answer, which the caller caps. Anything else (a second pattern, FILTER,
    DISTINCT, ORDER BY, OFFSET, aggregates, a repeated variable, blank nodes, FROM, VALUES,
    SERVICE, property paths) can do unbounded work for a small answer and is not matched."""
    return _single_pattern(tokenize(text))


def _single_pattern(tokens: list[Token]) -> bool:
    i, n = 0, len(tokens)
    while i < n and tokens[i].is_word("PREFIX", "BASE"):  # prologue
        i += 3 if tokens[i].is_word("PREFIX") else 2
    if i >= n:
        return False
    if tokens[i].is_word("SELECT"):
        i += 1
        if i < n and tokens[i].text == "*" and tokens[i].kind == "punct":
            i += 1
        else:
            start = i
            while i < n and tokens[i].kind == "var":
                i += 1
            if i == start:
                return False
    elif tokens[i].is_word("ASK"):
        i += 1
    else:
        return False
    if i < n and tokens[i].is_word("WHERE"):
        i += 1
    if i + 4 >= n or tokens[i].text != "{" or tokens[i].kind != "punct":
        return False
    s, p, o = tokens[i + 1], tokens[i + 2], tokens[i + 3]
    i += 4
    if i < n and tokens[i].kind == "punct" and tokens[i].text == ".":
        i += 1
    if i >= n or tokens[i].text != "}" or tokens[i].kind != "punct":
        return False
    i += 1
    if i + 1 < n and tokens[i].is_word("LIMIT") and tokens[i + 1].kind == "number" and tokens[i + 1].text.isdigit():
        i += 2
    if i != n:
        return False
    if s.kind not in ("iri", "pname", "var"):
        return False
    if not (p.kind in ("iri", "pname", "var") or (p.kind == "word" and p.text == "a")):
        return False
    if o.kind not in ("iri", "pname", "var", "string", "number"):
        return False
    names = [t.text[1:] for t in (s, p, o) if t.kind == "var"]
    return len(names) == len(set(names))


# --------------------------------------------------------------------------------------------
# Explaining a syntax error a person is likely to make

# A prefixed name, then `/` and more name characters with no space between: `hnid:area/05562004`.
# (SPARQL's PN_LOCAL has no `/`; the parser's own message lists the character classes it expected.)
_SLASHED_NAME_RE = re.compile(
    r"(?<![\w.\-:%\\?$\u00B7-\uFFFF])"
    r"((?:[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:[\w\-.:%\u00B7-\uFFFF]*)"
    r"((?:/[\w\-.:%\u00B7-\uFFFF]+)+)"
)
_PN_LOCAL_RE = re.compile(r"[A-Za-z0-9_\u00C0-\uFFFF](?:[\w\-.\u00B7-\uFFFF]*[\w\-\u00B7-\uFFFF])?")


@dataclass(frozen=True)
class SyntaxHint:
    """What is wrong with a query text and how to write it, in English and German, with the
    1-based line and column of the first offending place."""

    en: str
    de: str
    line: int
    column: int


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def explain_syntax_error(text: str, default_prefixes: dict[str, str] | None = None) -> SyntaxHint | None:
    """For a query or update that did not parse: an explanation of a prefixed name with `/` in
    its local part (`hnid:area/05562004`), naming the full IRI and, where one of the prefixes
    fits, a prefixed name without `/` (`area:05562004`); None if the text has no such name.

    Why: pyoxigraph reports it as `expected one of … ['A' ..= 'Z' | 'a' ..= 'z' | …]` at a place
    that depends on where the name stands (subject, object, or a later token), which tells no
    one that the slash is the problem. A `/` followed by a prefixed name, `a` or `<` is a path
    sequence (`hn:areaServed/rdfs:label`), not a slashed name; a slashed name in an expression
    (`hn:x/2`) parses as a division and never reaches this function."""
    blanked = _NOT_NESTING_RE.sub(_blank, text)
    declared, _base = _prologue(tokenize(text))
    prefixes = dict(default_prefixes or {})
    prefixes.update(declared)
    by_length = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
    en: list[str] = []
    de: list[str] = []
    first: int | None = None
    for m in _SLASHED_NAME_RE.finditer(blanked):
        segments: list[str] = []
        for seg in m.group(2).split("/")[1:]:
            if ":" in seg or seg == "a":  # the next step of a path: hn:p/rdfs:label, hn:p/a
                break
            segments.append(seg)
        if not segments:
            continue
        name = (m.group(1) + "/" + "/".join(segments)).rstrip(".")  # a final '.' ends the triple
        first = m.start() if first is None else first
        prefix, _, local = name.partition(":")
        if prefix not in prefixes:
            en.append(f"{name}: '/' is not allowed in a prefixed name's local part, and the prefix "
                      f"{prefix}: is not declared; write the full IRI in <…>")
            de.append(f"{name}: '/' ist im lokalen Teil eines Präfixnamens nicht erlaubt, und das Präfix "
                      f"{prefix}: ist nicht deklariert; schreiben Sie die vollständige IRI in <…>")
            continue
        iri = prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        curie = next((f"{p}:{iri[len(ns):]}" for p, ns in by_length
                      if ns and iri.startswith(ns) and _PN_LOCAL_RE.fullmatch(iri[len(ns):])), None)
        en.append(f"{name}: '/' is not allowed in a prefixed name's local part; write <{iri}>"
                  + (f" or {curie}" if curie else ""))
        de.append(f"{name}: '/' ist im lokalen Teil eines Präfixnamens nicht erlaubt; schreiben Sie <{iri}>"
                  + (f" oder {curie}" if curie else ""))
    if first is None:
        return None
    line = text.count("\n", 0, first) + 1
    column = first - (text.rfind("\n", 0, first) + 1) + 1
    return SyntaxHint("; ".join(dict.fromkeys(en)), "; ".join(dict.fromkeys(de)), line, column)


def syntax_error_messages(text: str, parser_message: str,
                          default_prefixes: dict[str, str] | None = None) -> tuple[str, str]:
    """(English, German) message for a query or update `text` that pyoxigraph did not parse.

    With a slashed prefixed name in the text: its explanation (`explain_syntax_error`), the
    English one starting `error at L:C:` like the parser's own (kg.web.http.syntax_message spells
    that position out). Otherwise the parser's message unchanged and no German text ("")."""
    hint = explain_syntax_error(text, default_prefixes)
    if hint is None:
        return parser_message, ""
    return f"error at {hint.line}:{hint.column}: {hint.en}", hint.de


@dataclass(frozen=True)
class UpdateParts:
    """One SPARQL Update operation taken apart by its braces (kg.graph.write computes its change
    without running it): `kind` "insert_data" | "delete_data" | "modify"; for "modify" the WITH
    IRI, the DELETE and INSERT templates (texts inside their braces, None when absent), the USING
    and USING NAMED IRIs and the WHERE group (with its braces). IRIs are resolved against the
    prologue and `default_prefixes`; None when one cannot be."""

    kind: str
    prologue: str
    body: str = ""  # insert_data / delete_data: the text from the keyword to the end
    with_iri: str | None = None
    delete: str | None = None
    insert: str | None = None
    using: tuple[str, ...] = ()
    using_named: tuple[str, ...] = ()
    where: str = ""


def _group_end(tokens: list[Token], i: int) -> int | None:
    """Index of the `}` closing the `{` at tokens[i]."""
    if i >= len(tokens) or tokens[i].text != "{" or tokens[i].kind != "punct":
        return None
    depth = tokens[i].depth
    for j in range(i + 1, len(tokens)):
        if tokens[j].kind == "punct" and tokens[j].text == "}" and tokens[j].depth == depth + 1:
            return j
    return None


def update_parts(text: str, default_prefixes: dict[str, str] | None = None,
                 base_iri: str | None = None) -> UpdateParts | None:
    """The parts of a single-operation INSERT DATA, DELETE DATA, DELETE WHERE or
    [WITH] DELETE/INSERT … WHERE update; None for anything else (several operations, LOAD, CLEAR,
    graph management, something this scanner cannot take apart safely)."""
    tokens = tokenize(text)
    i, n = 0, len(tokens)
    while i < n and tokens[i].is_word("PREFIX", "BASE"):
        i += 3 if tokens[i].is_word("PREFIX") else 2
    if i >= n:
        return None
    prologue = text[:tokens[i].start]
    declared, base = _prologue(tokens[:i])
    prefixes = {**(default_prefixes or {}), **declared}
    base = urljoin(base_iri, base) if base and base_iri else (base or base_iri)

    def last_is(j: int) -> bool:  # the operation ends the text (a trailing ';' is allowed)
        return j == n - 1 or (j == n - 2 and tokens[n - 1].text == ";")

    if i + 1 < n and tokens[i].is_word("INSERT", "DELETE") and tokens[i + 1].is_word("DATA"):
        end = _group_end(tokens, i + 2)
        if end is None or not last_is(end):
            return None
        kind = "insert_data" if tokens[i].is_word("INSERT") else "delete_data"
        return UpdateParts(kind, prologue, body=text[tokens[i].start:tokens[end].end])
    if i + 1 < n and tokens[i].is_word("DELETE") and tokens[i + 1].is_word("WHERE"):
        end = _group_end(tokens, i + 2)
        if end is None or not last_is(end):
            return None
        inner = text[tokens[i + 2].end:tokens[end].start]
        return UpdateParts("modify", prologue, delete=inner, where="{" + inner + "}")
    with_iri = None
    if tokens[i].is_word("WITH"):
        if i + 1 >= n:
            return None
        with_iri = _resolve(tokens[i + 1], prefixes, base)
        if with_iri is None:
            return None
        i += 2
    templates: dict[str, str] = {}
    for word in ("DELETE", "INSERT"):
        if i < n and tokens[i].is_word(word):
            end = _group_end(tokens, i + 1)
            if end is None:
                return None
            templates[word] = text[tokens[i + 1].end:tokens[end].start]
            i = end + 1
    if not templates:
        return None
    using: list[str] = []
    named: list[str] = []
    while i < n and tokens[i].is_word("USING"):
        into = using
        if i + 1 < n and tokens[i + 1].is_word("NAMED"):
            into = named
            i += 1
        if i + 1 >= n:
            return None
        iri = _resolve(tokens[i + 1], prefixes, base)
        if iri is None:
            return None
        into.append(iri)
        i += 2
    if i >= n or not tokens[i].is_word("WHERE"):
        return None
    end = _group_end(tokens, i + 1)
    if end is None or not last_is(end):
        return None
    return UpdateParts("modify", prologue, with_iri=with_iri, delete=templates.get("DELETE"),
                       insert=templates.get("INSERT"), using=tuple(using), using_named=tuple(named),
                       where=text[tokens[i + 1].start:tokens[end].end])
