"""Who may write: named tokens with scopes, checked in constant time, never logged.

Two sources of tokens, both read once when the app starts:

* the **tokens file** (setting `tokens_file`, `HILFENETZ_TOKENS_FILE`), TOML written by
  `kg token add NAME --scope …`: one `[[token]]` table per token with its `name`, its `scopes` and
  the HMAC-SHA256 digest of the secret under the file's random 32-byte `salt`. The secret itself is
  printed once by `kg token add` and stored nowhere;
* the single **write token** of earlier versions (`HILFENETZ_WRITE_TOKEN`), kept working as a token
  named `write-token` with the `admin` scope, so existing deployments and scripts go on unchanged.

Scopes: `contribute:PATTERN` (submit contributions for review into the graphs
`https://w3id.org/hilfenetz/id/graph/contrib/PATTERN`, a glob: `kreis-re/*`), `review` (list,
approve and reject submissions), `admin` (everything: SPARQL Update, the Graph Store Protocol,
reviews, contributions to any contribution graph). A contributor's graphs all lie below
`graph/contrib/`, so no pattern can reach the ontology, the shapes, the reference data, the
sources, the inferred graph or the change record, and two contributors with disjoint patterns
cannot reach each other's graphs.

Why HMAC-SHA256 and not a slow KDF (scrypt, Argon2): a slow KDF protects *low-entropy* secrets
(passwords a person chose) against guessing from a stolen file. Our secrets are 32 random bytes
from `secrets` (256 bits): nobody enumerates 2^256 candidates, however fast each try is, so the
slowness buys nothing — but it would cost every write request the KDF's time (scrypt at its
interactive setting takes ~50 ms, the whole write budget of the write path) and make token checks
a lever for burning the server's CPU. The per-file salt (HMAC key) keeps digests from being
compared across files or looked up in precomputed tables. Comparison is `hmac.compare_digest`
against *every* stored digest, without stopping at a match, so the time does not say which
entry (or whether any) matched.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from kg.errors import Forbidden, KgError, TokenFileError, Unauthorized
from kg.i18n import Msg
from kg.rdf import HNID
from kg.web.http import error_response

#: Every graph a contributor may be given lies below this prefix (kg/rdf.py names the graphs).
CONTRIB_GRAPH_PREFIX = HNID + "graph/contrib/"
ADMIN = "admin"
REVIEW = "review"
CONTRIBUTE = "contribute:"
#: The name the single write token of earlier versions goes by (in the change record, the log).
LEGACY_NAME = "write-token"
#: where `require` leaves the principal of an allowed request: request.scope[PRINCIPAL_KEY]
PRINCIPAL_KEY = "hilfenetz.principal"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PATTERN = re.compile(r"^[A-Za-z0-9_.*?\[\]/-]+$")


def check_scope(scope: str) -> str:
    """`scope` if it is one we know (`admin`, `review`, `contribute:PATTERN`), else TokenFileError."""
    if scope in (ADMIN, REVIEW):
        return scope
    if scope.startswith(CONTRIBUTE):
        pattern = scope[len(CONTRIBUTE):]
        if pattern and _PATTERN.match(pattern) and ".." not in pattern.split("/") and not pattern.startswith("/"):
            return scope
    raise TokenFileError(
        f"unknown scope {scope!r}: use admin, review or contribute:PATTERN (a glob below graph/contrib/, "
        "e.g. contribute:kreis-re/*)",
        de=f"Unbekannter Scope {scope!r}: admin, review oder contribute:MUSTER (z. B. contribute:kreis-re/*).")


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: its name and scopes."""

    name: str
    scopes: tuple[str, ...]

    @property
    def admin(self) -> bool:
        return ADMIN in self.scopes

    @property
    def reviewer(self) -> bool:
        return self.admin or REVIEW in self.scopes

    def contribute_patterns(self) -> list[str]:
        """The graph IRI globs this token may contribute to (admin: every contribution graph)."""
        pats = [CONTRIB_GRAPH_PREFIX + s[len(CONTRIBUTE):] for s in self.scopes if s.startswith(CONTRIBUTE)]
        return [CONTRIB_GRAPH_PREFIX + "*"] if self.admin else pats

    def may_contribute_to(self, graph: str) -> bool:
        """Whether submissions of this token may go into `graph` (never outside graph/contrib/)."""
        if not graph.startswith(CONTRIB_GRAPH_PREFIX) or "/../" in graph or graph.endswith("/.."):
            return False
        return any(fnmatch.fnmatchcase(graph, p) for p in self.contribute_patterns())

    def default_graph(self) -> str | None:
        """The graph of the first contribute pattern without wildcards, or the pattern's fixed
        prefix + `main` (`kreis-re/*` → graph/contrib/kreis-re/main); None for a token without one."""
        for p in self.contribute_patterns():
            head = re.split(r"[*?\[]", p, maxsplit=1)[0]
            if head == p:
                return p
            candidate = head + "main" if head.endswith("/") else head
            if self.may_contribute_to(candidate):
                return candidate
        return None


@dataclass(frozen=True)
class _Entry:
    name: str
    digest: bytes
    scopes: tuple[str, ...]


def digest(salt: bytes, secret: str) -> bytes:
    """HMAC-SHA256 of a secret under the file's salt (see the module docstring for why)."""
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).digest()


@dataclass
class TokenTable:
    """The tokens a server accepts: the entries of the tokens file and the legacy write token."""

    salt: bytes = b""
    entries: tuple[_Entry, ...] = ()
    legacy: str | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        return bool(self.entries) or bool(self.legacy)

    @classmethod
    def load(cls, path: Path | None, legacy: str | None = None) -> TokenTable:
        """The table of `path` (absent file: no named tokens) plus the legacy write token."""
        if path is None:
            return cls(legacy=legacy)
        if not Path(path).is_file():
            raise TokenFileError(f"{path}: the tokens file does not exist (create it with `kg token add`)",
                                 de=f"{path}: die Token-Datei fehlt (mit `kg token add` anlegen).")
        salt, entries = read_file(Path(path))
        return cls(salt, tuple(entries), legacy)

    def identify(self, secret: str) -> Principal | None:
        """The principal whose token `secret` is, or None. Constant time in which entry matches:
        every digest is compared, the loop never stops early."""
        found: Principal | None = None
        candidate = digest(self.salt, secret) if self.entries else b""
        for entry in self.entries:
            if hmac.compare_digest(candidate, entry.digest) and found is None:
                found = Principal(entry.name, entry.scopes)
        if self.legacy is not None and hmac.compare_digest(secret.encode("utf-8"), self.legacy.encode("utf-8")) \
                and found is None:
            found = Principal(LEGACY_NAME, (ADMIN,))
        return found


# ---------------------------------------------------------------------------------- the file


def read_file(path: Path) -> tuple[bytes, list[_Entry]]:
    """(salt, entries) of a tokens file; TokenFileError naming the file and the entry if broken."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenFileError(f"{path}: cannot read the tokens file: {exc}",
                             de=f"{path}: Token-Datei nicht lesbar.") from None
    except tomllib.TOMLDecodeError as exc:
        raise TokenFileError(f"{path}: not valid TOML: {exc}", de=f"{path}: kein gültiges TOML: {exc}") from None
    try:
        salt = bytes.fromhex(str(data.get("salt", "")))
    except ValueError:
        salt = b""
    if len(salt) < 16:
        raise TokenFileError(f"{path}: `salt` must be at least 16 bytes in hex",
                             de=f"{path}: `salt` muss mindestens 16 Bytes (hex) lang sein.")
    entries: list[_Entry] = []
    for i, t in enumerate(data.get("token", []), 1):
        where = f"{path}: token {i}"
        name = str(t.get("name", ""))
        if not _NAME.match(name):
            raise TokenFileError(f"{where}: invalid name {name!r}", de=f"{where}: ungültiger Name {name!r}.")
        try:
            dig = bytes.fromhex(str(t.get("sha256_hmac", "")))
        except ValueError:
            dig = b""
        if len(dig) != 32:
            raise TokenFileError(f"{where} ({name}): `sha256_hmac` must be 32 bytes in hex",
                                 de=f"{where} ({name}): `sha256_hmac` muss 32 Bytes (hex) lang sein.")
        scopes = tuple(check_scope(str(s)) for s in t.get("scopes", []))
        if not scopes:
            raise TokenFileError(f"{where} ({name}): no scopes", de=f"{where} ({name}): keine Scopes.")
        if any(e.name == name for e in entries):
            raise TokenFileError(f"{where}: name {name!r} twice", de=f"{where}: Name {name!r} doppelt.")
        entries.append(_Entry(name, dig, scopes))
    return salt, entries


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_file(path: Path, salt: bytes, entries: list[_Entry]) -> None:
    """Write the tokens file atomically (a temporary file in the same directory, fsync, rename),
    readable by its owner only."""
    lines = ["# hilfenetz write tokens: names, scopes and salted HMAC-SHA256 digests (kg token add).",
             "# The secrets themselves are not stored anywhere. docs/security.md", "",
             f"salt = {_toml_str(salt.hex())}", ""]
    for e in entries:
        lines += ["[[token]]", f"name = {_toml_str(e.name)}",
                  "scopes = [" + ", ".join(_toml_str(s) for s in e.scopes) + "]",
                  f"sha256_hmac = {_toml_str(e.digest.hex())}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_token(path: Path, name: str, scopes: list[str], *, replace: bool = False) -> str:
    """Add (or with `replace`, renew) the token `name` with `scopes` in the tokens file (created
    with a fresh salt if missing); returns the new secret, which is stored nowhere."""
    if not _NAME.match(name):
        raise TokenFileError(f"invalid token name {name!r} (letters, digits, . _ -; at most 64)",
                             de=f"Ungültiger Token-Name {name!r} (Buchstaben, Ziffern, . _ -; höchstens 64).")
    checked = tuple(check_scope(s) for s in scopes)
    if not checked:
        raise TokenFileError("give at least one --scope", de="Mindestens ein --scope angeben.")
    if path.is_file():
        salt, entries = read_file(path)
    else:
        salt, entries = secrets.token_bytes(32), []
    if any(e.name == name for e in entries) and not replace:
        raise TokenFileError(f"a token named {name!r} exists already (use --replace to renew it)",
                             de=f"Ein Token {name!r} gibt es schon (--replace erneuert es).")
    secret = "hn_" + secrets.token_urlsafe(32)
    entries = [e for e in entries if e.name != name] + [_Entry(name, digest(salt, secret), checked)]
    write_file(path, salt, entries)
    return secret


def remove_token(path: Path, name: str) -> bool:
    """Remove the token `name`; False if there was none."""
    if not path.is_file():
        return False
    salt, entries = read_file(path)
    kept = [e for e in entries if e.name != name]
    if len(kept) == len(entries):
        return False
    write_file(path, salt, kept)
    return True


def list_tokens(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(name, scopes) of every token in the file."""
    return [(e.name, e.scopes) for e in read_file(path)[1]] if path.is_file() else []


# ---------------------------------------------------------------------------------- requests

READ_ONLY = Msg("Schreibzugriffe sind auf diesem Server nicht aktiviert (nur lesend).",
                "Writes are not enabled on this server (read-only).")
NEEDS_TOKEN = Msg("Dieser Vorgang braucht ein Bearer-Token (Authorization: Bearer …).",
                  "This operation needs a bearer token (Authorization: Bearer …).")
UNKNOWN_TOKEN = Msg("Das Token ist nicht gültig (unbekannt oder widerrufen).",
                    "The bearer token is not valid (unknown or revoked).")


def bearer(request: Request) -> str | None:
    """The bearer token of the request, or None (no header, another scheme, empty)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(request: Request, table: TokenTable) -> Principal:
    """The principal of the request's bearer token; Unauthorized (401) without one or with one
    nobody issued, Forbidden (403) on a read-only server. The token is never put in a message."""
    if not table.enabled:
        raise Forbidden(READ_ONLY.en, de=READ_ONLY.de)
    secret = bearer(request)
    if secret is None:
        raise Unauthorized(NEEDS_TOKEN.en, de=NEEDS_TOKEN.de)
    principal = table.identify(secret)
    if principal is None:
        raise Unauthorized(UNKNOWN_TOKEN.en, de=UNKNOWN_TOKEN.de)
    return principal


def require(request: Request, table: TokenTable, allowed: Callable[[Principal], Msg | None]) -> Principal:
    """`authenticate`, then `allowed(principal)`: None lets it pass, a Msg is the 403's reason."""
    principal = authenticate(request, table)
    refusal = allowed(principal)
    if refusal is None:
        # who writes, for the change record of the write path (ChangeMeta.actor = principal.name)
        request.scope[PRINCIPAL_KEY] = principal
    if refusal is not None:
        raise Forbidden(f"{refusal.en} (token {principal.name!r})", de=f"{refusal.de} (Token {principal.name!r})")
    return principal


def admin_only(what: Msg) -> Callable[[Principal], Msg | None]:
    """A check for operations only an admin token may do (`what` names the operation)."""
    def check(p: Principal) -> Msg | None:
        if p.admin:
            return None
        return Msg(f"{what.de} braucht ein Token mit dem Scope admin; Beiträge gehen über /api/contributions "
                   "in die Prüfung.",
                   f"{what.en} needs a token with the admin scope; contributions go through review at "
                   "/api/contributions.")
    return check


def reviewer_only(p: Principal) -> Msg | None:
    """A check for reviewing (listing everything, approving, rejecting)."""
    if p.reviewer:
        return None
    return Msg("Prüfen (freigeben, ablehnen) braucht ein Token mit dem Scope review oder admin.",
               "Reviewing (approve, reject) needs a token with the review or admin scope.")


def contributor(p: Principal) -> Msg | None:
    """A check for submitting contributions: any contribute pattern (the graph is checked later)."""
    if p.contribute_patterns():
        return None
    return Msg("Beiträge einreichen braucht ein Token mit einem Scope contribute:MUSTER.",
               "Submitting contributions needs a token with a contribute:PATTERN scope.")


def graph_refusal(p: Principal, graph: str) -> Msg | None:
    """Why `p` may not contribute to `graph`, or None if it may."""
    if p.may_contribute_to(graph):
        return None
    if not graph.startswith(CONTRIB_GRAPH_PREFIX):
        return Msg(f"Beiträge gehen nur in Graphen unter {CONTRIB_GRAPH_PREFIX}; <{graph}> (Ontologie, Shapes, "
                   "Referenzdaten, Quellen, Änderungsprotokoll …) ist geschützt.",
                   f"Contributions go only into graphs below {CONTRIB_GRAPH_PREFIX}; <{graph}> (ontology, shapes, "
                   "reference data, sources, change record …) is protected.")
    return Msg(f"Das Token darf nicht in <{graph}> beitragen (erlaubt: {', '.join(p.contribute_patterns()) or '–'}).",
               f"The token may not contribute to <{graph}> (allowed: {', '.join(p.contribute_patterns()) or '–'}).")


def token_table(settings: object) -> TokenTable:
    """The table of a server's settings (`tokens_file`, `write_token`)."""
    return TokenTable.load(getattr(settings, "tokens_file", None), getattr(settings, "write_token", None))


def tokens(state: object) -> TokenTable:
    """The app's token table (kg.web.state.WebState keeps one; a stand-in state gets one made)."""
    table = getattr(state, "tokens", None)
    if isinstance(table, TokenTable):
        return table
    return token_table(getattr(state, "settings", None))


_ADMIN_WRITE = Msg("Dieser Schreibvorgang", "This write")


def check_write_token(request: Request, token: str | None = None) -> Response | None:
    """None if the request's bearer token has the admin scope, else the 401/403 answer (the
    check every admin-only write route makes; the app's token table decides, which holds the
    single write token as an admin token, so `token` is not needed and ignored)."""
    try:
        require(request, tokens(request.app.state.kg), admin_only(_ADMIN_WRITE))
    except KgError as exc:
        return error_response(exc)
    return None


def actor(request: Request) -> str:
    """The name of the token `require` admitted for this request (the actor of the change record);
    "anonymous" where no check ran."""
    principal = request.scope.get(PRINCIPAL_KEY)
    return principal.name if isinstance(principal, Principal) else "anonymous"
