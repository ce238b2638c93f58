"""`kg token`: named write tokens with scopes in the tokens file (kg.web.auth).

Why a command and not an editor: the file holds only salted HMAC digests, which nobody can write
by hand; `kg token add` makes the secret, prints it once (on stdout, nowhere else) and stores its
digest. The file is the setting `tokens_file` (--tokens-file or HILFENETZ_TOKENS_FILE), never a
token on the command line, where other users could see it in `ps`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kg.cli.common import add_setting
from kg.config import resolve
from kg.errors import KgError
from kg.web.auth import add_token, list_tokens, remove_token


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `kg token [add NAME --scope …|list|remove NAME]` (without an action: list)."""
    p = sub.add_parser(
        "token", help="add, list or remove named write tokens with scopes (the tokens file)",
        description="Manage the named write tokens of the tokens file (docs/security.md). Scopes: "
                    "admin, review, contribute:PATTERN (a glob of graphs below "
                    "https://w3id.org/hilfenetz/id/graph/contrib/, e.g. contribute:kreis-re/*). "
                    "`add` prints the new secret once on stdout; the file keeps only its salted digest.",
    )
    p.add_argument("action", nargs="?", choices=("add", "list", "remove"), default="list",
                   help="add a token (its secret is printed once), list names and scopes, or remove (revoke) one")
    p.add_argument("name", nargs="?", help="the token's name (shown as the actor of its changes)")
    p.add_argument("--scope", action="append", default=[], help="admin, review or contribute:PATTERN (repeatable)")
    p.add_argument("--replace", action="store_true", help="add: renew the secret of an existing token")
    add_setting(p, "tokens_file")
    p.set_defaults(func=run)


def _path(args: argparse.Namespace) -> Path:
    value = resolve("tokens_file", args.tokens_file)
    if value is None:
        raise KgError("no tokens file: give --tokens-file FILE or set HILFENETZ_TOKENS_FILE",
                      de="Keine Token-Datei: --tokens-file DATEI angeben oder HILFENETZ_TOKENS_FILE setzen.")
    return Path(value)


def run(args: argparse.Namespace) -> int:
    path = _path(args)
    if args.action in ("add", "remove") and not args.name:
        raise KgError(f"kg token {args.action} needs a NAME", de=f"kg token {args.action} braucht einen NAMEN")
    if args.action == "add":
        secret = add_token(path, args.name, args.scope, replace=args.replace)
        print(f"kg: token {args.name!r} written to {path}; its secret follows, shown only this once",
              file=sys.stderr)
        print(secret)
        return 0
    if args.action == "list":
        for name, scopes in list_tokens(path):
            print(f"{name}\t{' '.join(scopes)}")
        return 0
    if not remove_token(path, args.name):
        raise KgError(f"no token named {args.name!r} in {path}", de=f"Kein Token {args.name!r} in {path}.")
    print(f"kg: token {args.name!r} removed from {path}", file=sys.stderr)
    return 0
