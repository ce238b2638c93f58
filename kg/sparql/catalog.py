"""The example queries in `queries/*.rq` and their header blocks.

Pure module (no web framework, no store): the query UI lists the examples from here, and a
REST API can reuse it. A query file starts with a comment block::

    # title: Programmes and their funders
    # title@de: Programme und ihre Förderer
    # description: Every programme with the organisation that funds it.
    # description@de: Jedes Programm mit der fördernden Organisation.
    # param: land — the Land to filter by (AGS, e.g. 05)
    PREFIX hn: <https://w3id.org/hilfenetz/ontology#>
    SELECT ...

Keys are `word` or `word@lang`; a comment line without a key continues the previous value;
`param` may repeat. An untagged `title`/`description` counts as English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.rdf import PREFIXES

_KEY_LINE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)(?:@([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*))?\s*:\s?(.*)$")
_PREFIX_DECL = re.compile(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?:")
_QUERY_FORM = re.compile(r"(?i)\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b")
#: Header keys whose values are language maps; the rest are plain strings (or lists for params).
_LANG_KEYS = ("title", "description")


@dataclass(frozen=True)
class ExampleQuery:
    """One example query: file stem, bilingual title/description, params and the full text."""

    name: str
    title: dict[str, str]
    description: dict[str, str]
    params: tuple[str, ...]
    text: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def query_form(self) -> str | None:
        """SELECT / CONSTRUCT / ASK / DESCRIBE (first keyword after the header), if found."""
        match = _QUERY_FORM.search(strip_header(self.text))
        return match.group(1).upper() if match else None

    def to_json(self) -> dict[str, object]:
        """The shape GET /api/examples serves (stable: the UI and the REST API rely on it)."""
        return {
            "name": self.name,
            "title": {"de": self.title.get("de") or self.title.get("en") or self.name,
                      "en": self.title.get("en") or self.title.get("de") or self.name},
            "description": {"de": self.description.get("de") or self.description.get("en") or "",
                            "en": self.description.get("en") or self.description.get("de") or ""},
            "params": list(self.params),
            "form": self.query_form,
            "query": with_prefixes(self.text),
        }


def parse_header(text: str) -> tuple[dict[str, dict[str, str]], tuple[str, ...], dict[str, str]]:
    """The header comment block as (language maps for title/description, params, other keys)."""
    langs: dict[str, dict[str, str]] = {k: {} for k in _LANG_KEYS}
    params: list[str] = []
    extra: dict[str, str] = {}
    last: tuple[str, str | None] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        match = _KEY_LINE.match(line)
        if match:
            key, lang, value = match.group(1).lower(), match.group(2), match.group(3).strip()
            if key in _LANG_KEYS:
                langs[key][(lang or "en").lower()] = value
            elif key == "param":
                params.append(value)
            else:
                extra[key if lang is None else f"{key}@{lang}"] = value
            last = (key, lang)
            continue
        more = line.lstrip("#").strip()
        if not more or last is None:
            continue
        key, lang = last
        if key in _LANG_KEYS:
            lk = (lang or "en").lower()
            langs[key][lk] = (langs[key][lk] + " " + more).strip()
        elif key == "param" and params:
            params[-1] = (params[-1] + " " + more).strip()
    return langs, tuple(params), extra


def split_header(text: str) -> tuple[str, str]:
    """(leading comment block incl. blank lines, the rest) — exact, so header + rest == text."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    head = "".join(lines[:i])
    return head, text[len(head):]


def strip_header(text: str) -> str:
    """The query without its leading comment block."""
    return split_header(text)[1]


def with_prefixes(text: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """Add PREFIX declarations for the project prefixes the query uses but does not declare.

    Why: example files may rely on the shared prefix list; a query pasted elsewhere (the UI, a
    SPARQL client) must still parse on its own. Declarations go after the header block."""
    declared = {m.group(1) or "" for m in _PREFIX_DECL.finditer(text)}
    header, body = split_header(text)
    code = re.sub(r"<[^>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#[^\n]*", " ", body)
    missing = [p for p in prefixes if p not in declared and re.search(rf"(?<![\w:?$]){re.escape(p)}:", code)]
    if not missing:
        return text
    if header and not header.endswith("\n"):
        header += "\n"
    decls = "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in missing)
    return header + decls + body


def load_example(path: Path) -> ExampleQuery:
    """Parse one `.rq` file."""
    text = path.read_text(encoding="utf-8")
    langs, params, extra = parse_header(text)
    return ExampleQuery(
        name=path.stem, title=langs["title"], description=langs["description"],
        params=params, text=text, extra=extra,
    )


def load_examples(queries_dir: Path) -> list[ExampleQuery]:
    """All `*.rq` files of `queries_dir`, sorted by file name; [] if the folder is missing."""
    if not queries_dir.is_dir():
        return []
    return [load_example(p) for p in sorted(queries_dir.glob("*.rq"))]
