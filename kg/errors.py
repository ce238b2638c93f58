"""Exceptions the build and the CLI turn into clean messages (no tracebacks for expected errors).

Lowest layer next to kg.rdf: imports nothing from kg except for type checking.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from kg.shacl.report import ValidationReport


class KgError(Exception):
    """Base class of every expected error; the CLI prints str(error) and exits non-zero."""

    exit_code: int = 1


class SourceSyntaxError(KgError):
    """A source file could not be parsed. Carries the file and the 1-based line and column,
    so an editor can jump straight to the spot."""

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self.__str__())

    def location(self) -> str:
        """`path:line:column` (only the parts that are known)."""
        loc = str(self.path)
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        return f"{self.location()}: syntax error: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.column, self.message))


class BuildValidationError(KgError):
    """The data violates the SHACL shapes; the build stopped before touching the store."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        n = sum(1 for r in report.results if r.is_violation)
        super().__init__(
            f"SHACL validation failed with {n} violation(s); the store was not changed.\n"
            f"SHACL-Prüfung fehlgeschlagen ({n} Verstöße); der Store wurde nicht verändert.\n\n"
            + report.to_text(lang="both", only_violations=True)
        )


class StoreMissingError(KgError):
    """No store exists where a command expected one."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        super().__init__(f"no store at {path} — run `kg build` first")


class QuerySyntaxError(KgError):
    """The SPARQL text does not parse; exit code 2 like a usage error."""

    exit_code = 2


class BuildError(KgError):
    """Any other failure of the build (I/O, a broken reference importer, ...)."""
