"""The one exception tree: every error the project raises on purpose derives from `KgError`.

Why one tree: the CLI prints any KgError as one clean line (`exit_code`), and the web layer turns
any KgError into one HTTP answer (`http_status`, English text plus the German `de` text) in one
function, kg.web.http.error_response. Lowest layer next to kg.rdf: imports nothing from kg except
for type checking. Classes that callers catch under a builtin name (ValueError, RuntimeError) keep
that builtin as a second base.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from kg.i18n import Msg
    from kg.shacl.report import ValidationReport


class KgError(Exception):
    """Base class of every expected error; the CLI prints str(error) and exits non-zero.

    `str(error)` is the English text; `de` the German one (None when the English text already
    says both); `http_status` the status an HTTP answer to it carries; `headers` extra headers."""

    exit_code: int = 1
    http_status: int = 500
    de: str | None = None
    headers: dict[str, str] | None = None

    def __init__(self, *args: Any, de: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(*args)
        if de is not None:
            self.de = de
        if headers is not None:
            self.headers = headers


_POS_RE = re.compile(r"error at (\d+):(\d+)")


def syntax_message(kind: str, message: str) -> str:
    """Parser message with the position spelled out: `… (line L, column C)`."""
    m = _POS_RE.search(message)
    where = f" (line {m.group(1)}, column {m.group(2)} / Zeile {m.group(1)}, Spalte {m.group(2)})" if m else ""
    return f"{kind} syntax error{where}: {message}"


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

    http_status = 503

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        super().__init__(f"no store at {path} — run `kg build` first")


class QuerySyntaxError(KgError):
    """The SPARQL text does not parse; exit code 2 like a usage error, HTTP 400."""

    exit_code = 2
    http_status = 400


class BuildError(KgError):
    """Any other failure of the build (I/O, a broken reference importer, ...)."""


# ------------------------------------------------------------------------------ SPARQL text


class QueryFileError(KgError):
    """A query file that cannot be served: bad header or SPARQL the parser rejects."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class QueryFilesError(KgError):
    """Every broken file of a queries folder at once (for `kg build` / `kg validate`)."""

    def __init__(self, problems: list[QueryFileError]) -> None:
        super().__init__("broken query files:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


class ParamError(KgError, ValueError):
    """A request value that does not fit its parameter (the API answers 422)."""

    http_status = 422

    def __init__(self, name: str, message: str, kind: str = "value_error") -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.kind = kind


# ------------------------------------------------------------------------------------ stores


class RemoteError(KgError, RuntimeError):
    """The remote store answered with an error that is neither a syntax error nor a connection failure."""

    http_status = 502


# ------------------------------------------------------------------------------------- SHACL


class ShapeError(KgError, ValueError):
    """The shapes graph is not well-formed SHACL (validation must fail, not guess)."""


class PathError(KgError, ValueError):
    """The shapes graph holds something that is not a well-formed SHACL property path."""


class ValidationFailure(KgError, RuntimeError):
    """SHACL says validation fails (e.g. a recursive shape): no report can be given."""


# ------------------------------------------------------------------------------------ writes


class WriteRefused(KgError):
    """A write that changed nothing (kg.graph.write.WriteOutcome.error() gives the subclass)."""

    http_status = 400


class NeedsStaging(KgError):
    """Internal signal of kg.graph.write, never shown: the fast write path cannot do this write on
    a view of the store (a full validation or inference, a shapes change), the staged one does."""


class RevertRefused(KgError):
    """A revert that cannot be done exactly (kg.graph.changes.plan_revert): later changes build on it
    (`dependents` lists them), it was already reverted, or it no longer applies."""

    exit_code = 1
    http_status = 409

    def __init__(self, message: str, *, de: str | None = None, dependents: Sequence[str] = ()) -> None:
        super().__init__(message, de=de)
        self.dependents = list(dependents)


class ChangeNotFound(KgError):
    """No recorded change has this id (kg history lists them)."""

    exit_code = 1
    http_status = 404


class WriteViolation(WriteRefused):
    """The write violates the SHACL shapes; the report in three forms for content negotiation."""

    http_status = 422

    def __init__(self, message: str, report_text: str = "", report_json: str = "", report_turtle: str = "",
                 de: str | None = None) -> None:
        super().__init__(message, de=de)
        self.report_text = report_text
        self.report_json = report_json
        self.report_turtle = report_turtle


class DiskFull(WriteRefused):
    """The disk holding the store is full; nothing was changed (507 Insufficient Storage)."""

    http_status = 507


# ----------------------------------------------------------------------------------- queries


class AnswerTooLarge(KgError):
    """A query answer passed the row or byte limit (`kind`: too_many_rows | too_many_bytes)."""

    http_status = 413

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind


class NotAcceptable(KgError):
    """No format the client accepts can carry this answer."""

    http_status = 406


class StoreReadError(KgError):
    """The store could not be read while answering a query."""

    http_status = 503


class EvaluationError(KgError):
    """The query parsed but could not be evaluated."""

    http_status = 400


class QueryTimeout(KgError):
    """The query passed its deadline; its worker was killed (`queued`: before it started)."""

    http_status = 503

    def __init__(self, limit: float, queued: bool = False) -> None:
        super().__init__(limit)
        self.limit = limit
        self.queued = queued


class WorkerCrashed(KgError):
    """A worker died while running the query (e.g. out of memory)."""

    http_status = 503


class ClientGone(KgError):
    """The client disconnected; the query was stopped (499, nginx's 'client closed request')."""

    http_status = 499


# -------------------------------------------------------------------------------------- HTTP


class BadRequest(KgError):
    """A request the endpoint cannot act on as sent."""

    http_status = 400


class NotFound(KgError):
    """No such resource (a graph, an entity, a file)."""

    http_status = 404


class Unauthorized(KgError):
    """No credentials, or credentials nobody issued (401: the client should authenticate)."""

    http_status = 401

    def __init__(self, *args: Any, de: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(*args, de=de, headers={"WWW-Authenticate": 'Bearer realm="hilfenetz"', **(headers or {})})


class Forbidden(KgError):
    """Known credentials that do not allow this operation (a scope or graph the token lacks)."""

    http_status = 403


class Conflict(KgError):
    """The request came too late for the resource's state (an approval of a submission that is
    no longer pending: replayed, or a second reviewer was quicker)."""

    http_status = 409


class UnsupportedMediaType(KgError):
    """A request body in a media type the endpoint does not read."""

    http_status = 415


class BodyTooLarge(KgError):
    """The request body is larger than the configured limit."""

    http_status = 413

    def __init__(self, limit: int | None = None) -> None:
        if limit is None:
            super().__init__("The request body is larger than the limit.")
        else:
            super().__init__(
                f"The request body is larger than the limit of {limit} bytes.",
                de=f"Der Request-Body ist größer als das Limit von {limit} Bytes.",
            )
        self.limit = limit


class QueryTooLong(KgError):
    """A direct query body passed the query length limit (raised before a response started)."""

    http_status = 413


# ----------------------------------------------------------------------------------- serving


class ReplicaError(KgError, ValueError):
    """The replica count cannot be used with these settings (message in English and German)."""


# ------------------------------------------------------------------------------ spreadsheets


def column_letter(column: int) -> str:
    """1 → "A", 26 → "Z", 27 → "AA": the column name a spreadsheet program shows."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class SpreadsheetError(KgError, ValueError):
    """A spreadsheet (xlsx, ODS, CSV) or one of its cells that cannot be read as it stands.

    Carries the 1-based `row` and `column` where they are known (the numbers a spreadsheet program
    shows, so the sender can find the cell), the column's `header`, the file name and the text as
    a `kg.i18n.Msg`: `str(error)` is English ("offers.csv: row 7, column C (“Lebensphase”): …"),
    `de` German ("offers.csv: Zeile 7, Spalte C („Lebensphase“): …"). HTTP 422: the request was
    understood, the file is what is wrong. `at()` gives the same problem at a cell, so the value
    parsers of kg.graph.tabular.values can raise it before they know where the value stood."""

    http_status = 422

    def __init__(self, msg: Msg, *, row: int | None = None, column: int | None = None,
                 header: str | None = None, file: str | None = None) -> None:
        self.msg = msg
        self.row = row
        self.column = column
        self.header = header
        self.file = file
        super().__init__(self._text("en"), de=self._text("de"))

    def where(self, lang: str) -> str:
        """"Zeile 7, Spalte C („Lebensphase“)" / "row 7, column C (“Lebensphase”)" — the parts known."""
        parts = []
        if self.row is not None:
            parts.append(f"Zeile {self.row}" if lang == "de" else f"row {self.row}")
        if self.column is not None:
            col = column_letter(self.column)
            parts.append(f"Spalte {col}" if lang == "de" else f"column {col}")
        text = ", ".join(parts)
        if self.header:
            quoted = f"„{self.header}“" if lang == "de" else f"“{self.header}”"
            text = f"{text} ({quoted})" if text else (f"Spalte {quoted}" if lang == "de" else f"column {quoted}")
        return text

    def _text(self, lang: str) -> str:
        prefix = ": ".join(p for p in (self.file, self.where(lang)) if p)
        body = self.msg.text(lang)
        return f"{prefix}: {body}" if prefix else body

    def text(self, lang: str) -> str:
        """The message in "de", "en" or "both" (German line, then English line)."""
        if lang == "both":
            return f"{self._text('de')}\n{self._text('en')}"
        return self._text("de" if lang == "de" else "en")

    def at(self, *, row: int | None = None, column: int | None = None, header: str | None = None,
           file: str | None = None) -> SpreadsheetError:
        """The same problem located at a cell (parts not given are kept)."""
        return type(self)(self.msg, row=row if row is not None else self.row,
                          column=column if column is not None else self.column,
                          header=header if header is not None else self.header,
                          file=file if file is not None else self.file)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_spreadsheet_error, (type(self), self.msg, self.row, self.column, self.header, self.file))


def _rebuild_spreadsheet_error(cls: type[SpreadsheetError], msg: Msg, row: int | None, column: int | None,
                               header: str | None, file: str | None) -> SpreadsheetError:
    return cls(msg, row=row, column=column, header=header, file=file)


class SpreadsheetLimitError(SpreadsheetError):
    """A spreadsheet over a configured limit (file size, cells, unpacked size, compression ratio);
    refused before it is unpacked or parsed (HTTP 413, like any too-large body)."""

    http_status = 413


# ------------------------------------------------------------------------------ contributions and imports


class ContributionRefused(KgError):
    """An approval the write path refused (the store changed since the check and the pending
    graph no longer validates, or the disk is full): the submission stays pending."""

    http_status = 422


class HsdsInputError(KgError):
    """An HSDS file that is not HSDS JSON (not JSON, or no services in it)."""

    exit_code = 2
    http_status = 422


class ImportRefused(KgError):
    """The file has errors (or the store refused the write): nothing was written."""

    exit_code = 2
    http_status = 422


class KeptContributionStale(KgError):
    """A contribution kept under data/contributions/ that no longer maps on the store as built so
    far (kg.graph.kept: `kg build` retries it after the others, then names it)."""

    exit_code = 2


class TokenFileError(KgError):
    """The tokens file cannot be read or holds something that is not a token table."""
