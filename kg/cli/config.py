"""`kg config`: the settings table (kg.config.SETTINGS) as this environment sets it, or as the
Markdown page docs/configuration.md (`kg config --markdown`, generated, never edited by hand)."""

from __future__ import annotations

import argparse
import os
import sys

from kg.config import SETTINGS, Setting, env_setting, resolve
from kg.errors import KgError

_KINDS = (
    ("server", "Server settings (`kg serve`)",
     "Fields of `kg.config.Settings`, the settings of one server. Those without a flag or variable are set "
     "in code (tests, the replica supervisor)."),
    ("option", "Command options", "Options of the commands that are not part of a server's settings."),
    ("process", "Process settings",
     "Knobs of the processes the service runs (allocator, malloc, query workers); environment only, read "
     "where they act (`kg.config.env_setting`)."),
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "config", help="list every setting: flag, environment variable, default and value here",
        description="List every setting of hilfenetz (kg/config.py) with its command-line flag, environment "
                    "variable, default and the value it has in this environment. Precedence: flag > "
                    "environment variable > default.",
    )
    p.add_argument("--markdown", action="store_true", help="print docs/configuration.md instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    for row in SETTINGS:
        if not (row.env or row.flag):
            continue
        try:
            value = env_setting(row.name) if row.kind == "process" else resolve(row.name)
            if row.has_cli_default:  # kg serve's value differs from Settings' default
                value = row.default_text
        except KgError as exc:
            value = f"invalid: {exc}"
        where = ", ".join(x for x in (row.flag, f"${row.env}" if row.env else None) if x)
        if row.env and row.name == "write_token" and os.environ.get(row.env, "").strip():
            value = "(set)"  # never print a secret
        print(f"{row.name:<22} {where:<48} {'' if value is None else value}")
    return 0


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row_line(row: Setting) -> str:
    flag = f"`{row.flag}`" if row.flag else ""
    if row.flag and row.metavar and not row.is_switch:
        flag = f"`{row.flag} {row.metavar}`"
    env = f"`{row.env}`" if row.env else ""
    default = f"`{row.default_text}`" if row.default_text else ""
    help_text = row.help[0].upper() + row.help[1:]
    if row.repeat:
        help_text += " (repeatable)" if "repeatable" not in help_text else ""
    return f"| `{row.name}` | {flag} | {env} | {_cell(row.type_name)} | {_cell(default)} | {_cell(help_text)} |"


def markdown() -> str:
    """docs/configuration.md, generated from the table (tests/cli/test_config.py checks the committed copy)."""
    out = [
        "# Configuration",
        "",
        "<!-- Generated from kg/config.py by `kg config --markdown > docs/configuration.md`; do not edit. -->",
        "",
        "Every setting of hilfenetz is declared once, in the table in `kg/config.py`: its name, type, default, "
        "environment variable and command-line flag. The `Settings` of a server, the options of `kg serve` "
        "(and `--store`/`--project` of the other commands) and this page are generated from it.",
        "",
        "**Precedence**, for every setting: the command-line flag, else the environment variable, else the "
        "default. An environment variable that is set but empty counts as unset; one that is not a valid "
        "value stops `kg` with an error naming it (process settings: a warning, and the default is used).",
        "",
        "`kg config` lists every setting with the value it has in the current environment.",
    ]
    for kind, title, intro in _KINDS:
        out += ["", f"## {title}", "", intro, "",
                "| Setting | Flag | Environment variable | Type | Default | Meaning |",
                "|---|---|---|---|---|---|"]
        out += [_row_line(row) for row in SETTINGS if row.kind == kind]
    return "\n".join(out) + "\n"
