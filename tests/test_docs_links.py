"""Every relative link in the documentation points to a file that exists (and to a heading that
exists, when it names one).

Why: the README is a newcomer's page that sends readers on to docs/ and bench/README.md; when
text moves between those files (issue 16 moved 300 lines of the README into docs/server.md,
docs/model.md, docs/cli.md and bench/README.md), a link to a renamed file or heading breaks
silently. Links to other sites are not fetched (the tests download nothing).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The pages whose links are checked.
DOCS = ["README.md", "bench/README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]

#: Targets that may be missing for now, each with the reason (none at present; docs/configuration.md,
#: generated from kg/config.py, exists since the config-cli branch of issue 16).
PENDING: dict[str, str] = {}

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, line))
    return out


def links(text: str) -> list[tuple[int, str]]:
    """Every inline link or image target outside code, with its line number: `[`x`](y)` is a
    link (its text holds code), `` `[x](y)` `` is not (the link starts inside a code span)."""
    found = []
    for number, line in _prose_lines(text):
        spans = [m.span() for m in _CODE_SPAN.finditer(line)]
        for m in _LINK.finditer(line):
            if not any(a <= m.start() < b for a, b in spans):
                found.append((number, m.group(1)))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lower case, punctuation removed,
    spaces to hyphens (letters of any script, digits, `-` and `_` stay)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors a page offers: its headings (with GitHub's -1, -2 for repeats) and HTML anchors."""
    seen: dict[str, int] = {}
    out = set()
    for _, line in _prose_lines(text):
        m = _HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
        out.update(_HTML_ANCHOR.findall(line))
    return out


def broken_links(page: Path, root: Path, pending: dict[str, str] | None = None) -> list[str]:
    """The relative links of `page` whose file (or heading) does not exist, as readable lines."""
    pending = pending or {}
    text = page.read_text(encoding="utf-8")
    problems = []
    for number, target in links(text):
        if _SCHEME.match(target) or target.startswith("//"):
            continue  # another site: not fetched
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page.resolve()
        where = f"{page.relative_to(root).as_posix()}:{number}: {target}"
        try:
            rel = resolved.relative_to(root).as_posix()
        except ValueError:
            problems.append(f"{where} (points outside the repository)")
            continue
        if not resolved.exists():
            if rel not in pending:
                problems.append(f"{where} (no file {rel})")
            continue
        if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved.read_text(encoding="utf-8")):
            problems.append(f"{where} (no heading #{fragment} in {rel})")
    return problems


@pytest.mark.parametrize("name", DOCS)
def test_relative_links_resolve(name: str) -> None:
    page = ROOT / name
    assert page.is_file(), f"{name} is listed but missing"
    assert broken_links(page, ROOT, PENDING) == []


def test_the_pages_link_what_a_newcomer_needs() -> None:
    """The README sends readers to every doc, and every doc is reachable from it."""
    targets = {t.partition("#")[0] for _, t in links((ROOT / "README.md").read_text(encoding="utf-8"))}
    for doc in [n for n in DOCS if n.startswith("docs/")] + ["bench/README.md", *PENDING]:
        assert doc in targets, f"README.md does not link {doc}"


def test_checker_finds_broken_links(tmp_path: Path) -> None:
    """The checker itself can fail: a missing file, a missing heading, a link leaving the tree."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# Title\n\n## Ein Abschnitt: `kg serve --replicas N`\n\n## Title\n",
                                                encoding="utf-8")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    page = tmp_path / "README.md"
    page.write_text(
        "# Page\n\n"
        "[ok](docs/there.md) [ok anchor](docs/there.md#ein-abschnitt-kg-serve---replicas-n)\n"
        "[`repeat`](docs/there.md#title-1) ![image](img.png) [here](#page) <https://example.org/x>\n"
        "[web](https://example.org/missing.md) [mail](mailto:a@example.org)\n"
        "[gone](docs/gone.md)\n"
        "[bad anchor](docs/there.md#nowhere)\n"
        "[outside](../elsewhere.md)\n"
        "[own anchor](#nope)\n"
        "`[in code](docs/code.md)`\n"
        "```\n[in a fence](docs/fenced.md)\n```\n"
        "[waiting](docs/later.md)\n",
        encoding="utf-8",
    )
    problems = broken_links(page, tmp_path, {"docs/later.md": "another branch"})
    assert problems == [
        "README.md:6: docs/gone.md (no file docs/gone.md)",
        "README.md:7: docs/there.md#nowhere (no heading #nowhere in docs/there.md)",
        "README.md:8: ../elsewhere.md (points outside the repository)",
        "README.md:9: #nope (no heading #nope in README.md)",
    ]
    assert broken_links(page, tmp_path, {})[-1] == "README.md:14: docs/later.md (no file docs/later.md)"


def test_slug_matches_githubs_anchors() -> None:
    """Anchors the docs use, as GitHub writes them (checked against headings in docs/)."""
    assert slug("1. One machine: `kg serve --replicas N`") == "1-one-machine-kg-serve---replicas-n"
    assert slug("Measured: 1 vs 2 processes") == "measured-1-vs-2-processes"
    assert slug("Große Antworten") == "große-antworten"
