"""What the `kg` commands share: the project root, progress lines, and the options generated
from the settings table (kg.config.SETTINGS): `--store`, `--project` and all of `kg serve`'s."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.config import SETTING, SETTINGS, default_store, resolve
from kg.store import is_remote

#: The checkout this package lives in (kg/cli/common.py → the folder that holds kg/).
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory (from cwd upwards) that has an ontology/ or data/ folder and a
    pyproject.toml; falls back to the checkout this package lives in, then to cwd."""
    start = (start or Path.cwd()).resolve()
    for d in (start, *start.parents):
        if (d / "pyproject.toml").is_file() and ((d / "ontology").is_dir() or (d / "data").is_dir()):
            return d
    if (PACKAGE_ROOT / "ontology").is_dir():
        return PACKAGE_ROOT
    return start


def progress(quiet: bool) -> Callable[[str], None] | None:
    """A printer of `kg: …` progress lines on stderr, or None with --quiet."""
    if quiet:
        return None

    def emit(msg: str) -> None:
        print(f"kg: {msg}", file=sys.stderr, flush=True)

    return emit


def add_quiet(p: argparse.ArgumentParser, help: str = "no progress lines on stderr") -> None:
    p.add_argument("-q", "--quiet", action="store_true", help=help)


# --------------------------------------------------------------------------- generated options


def add_setting(p: argparse.ArgumentParser, name: str, *, metavar: str | None = None, more: str = "") -> None:
    """Add the flag of setting `name` to `p`, as the table declares it. Its value is None when the
    flag is not given, so that kg.config.resolve can fall back to the environment and the default;
    `more` adds a sentence to the help (what this command does with it)."""
    row = SETTING[name]
    assert row.flag, f"setting {name} has no flag"
    help_text = row.flag_help or row.help
    if more:
        help_text += f"; {more}"
    if row.default_text and not row.is_switch:
        help_text += f" (default: {row.default_text})"
    if row.env and row.name != "store":  # the store's variable is named in its default
        help_text += f" [environment: {row.env}]"
    help_text = help_text.replace("%", "%%")
    kw: dict[str, Any] = {"dest": row.name, "default": None, "help": help_text}
    if row.is_switch:
        kw.update(action="store_const", const=row.switch_value)
    else:
        kw.update(type=row.parse, metavar=metavar or row.metavar)
        if row.repeat:
            kw.update(action="append")
    p.add_argument(row.flag, **kw)


def add_settings(p: argparse.ArgumentParser, command: str, *, metavar: dict[str, str] | None = None,
                 **more: str) -> None:
    """Add every flag the table offers for `command`, in the table's order; `more` (by setting
    name) adds a sentence to a flag's help, `metavar` (by setting name) names its value."""
    for row in SETTINGS:
        if row.flag and command in row.commands:
            add_setting(p, row.name, metavar=(metavar or {}).get(row.name), more=more.get(row.name, ""))


def store_path(args: argparse.Namespace) -> Path:
    """The store directory: --store, else $HILFENETZ_STORE, else ./var/store (kg.config.default_store)."""
    return Path(args.store) if args.store is not None else default_store()


def remote_store(args: argparse.Namespace) -> str | None:
    """The URL of a remote SPARQL store if --store gives one (`kg build`, `kg serve`), else None.
    Only the flag may be a URL: $HILFENETZ_STORE is a directory for every command
    (docs/remote-store.md)."""
    return str(args.store) if args.store is not None and is_remote(str(args.store)) else None


def project(args: argparse.Namespace) -> Path:
    """The project root: --project, else $HILFENETZ_PROJECT, else found from the current directory."""
    given = resolve("project", getattr(args, "project", None))
    return Path(given).resolve() if given is not None else find_project_root()
