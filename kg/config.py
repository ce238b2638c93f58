"""Every setting of hilfenetz in one table: name, type, default, environment variable, command-line
flag and help, each written once (in the style of Datasette's settings table).

Why one table: the same default used to be typed in the Settings dataclass, in the `kg serve`
options and in `kg.web.limits`, and 14 `HILFENETZ_*` variables were read in 13 modules. The rows
of a server's settings are the fields of the `Settings` dataclass, each declared with `_row(default,
help, flag=…, env=…)`, so it is typed and declared once; the command options (OPTION_ROWS) and the
process-level knobs (PROCESS_ROWS) follow; `SETTINGS` joins them. Derived from it:
- `Settings`, the immutable settings of one server (the app, the workers and the CLI agree; tests
  create several servers with different limits side by side);
- the options of `kg serve` and the `--store`/`--project` options of the other commands
  (kg.cli.common.add_settings);
- docs/configuration.md (`kg config --markdown`; a test fails when the committed file is stale);
- every read of a `HILFENETZ_*` variable: `Settings.from_sources` for the server's settings,
  `env_setting(name)` for process-level knobs (allocator, malloc, worker memory and spin, …).

Precedence, for every setting, in one place (`resolve`): the command-line flag, else the
environment variable, else the default.

Base layer: imports nothing from kg except kg.errors.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kg.errors import KgError

log = logging.getLogger("hilfenetz.config")

# --------------------------------------------------------------------------- value parsers
# Each turns the text of a flag or an environment variable into the value; ValueError (or
# argparse.ArgumentTypeError) for text that is not one.


def non_negative_int(text: str) -> int:
    """A whole number ≥ 0."""
    value = int(text)
    if value < 0:
        raise ValueError(f"must not be negative: {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0."""
    value = float(text)
    if value < 0 or not math.isfinite(value):
        raise ValueError(f"must be a finite number ≥ 0: {text!r}")
    return value


def clamped_int(text: str) -> int:
    """A whole number; negative ones count as 0 (as `--cache-entries -1` always did)."""
    return max(0, int(text))


def switch(text: str) -> bool:
    """1/true/yes/on or 0/false/no/off."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected 1 or 0 (on/off), not {text!r}")


def comma_list(text: str) -> tuple[str, ...]:
    """Items separated by commas (blanks around them ignored)."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def parse_rate(text: str) -> tuple[float, int]:
    """"RATE,BURST" (or "RATE" with burst = 4×rate, at least 1); "0"/"off" → (0, 0)."""
    text = text.strip().lower()
    if text in ("", "0", "off", "none"):
        return 0.0, 0
    rate_s, _, burst_s = text.partition(",")
    rate = float(rate_s)
    if rate < 0 or not math.isfinite(rate):
        raise ValueError(f"rate must be a non-negative number, not {rate_s!r}")
    if rate == 0:
        return 0.0, 0
    burst = int(burst_s) if burst_s.strip() else max(1, int(rate * 4))
    if burst < 1:
        raise ValueError("burst must be at least 1")
    return rate, burst


def _rate_env(text: str) -> dict[str, Any]:
    """HILFENETZ_RATE_LIMIT sets two fields at once: the rate and the burst."""
    rate, burst = parse_rate(text)
    return {"rate_limit": rate, "rate_burst": burst}


def _proxies_env(text: str) -> dict[str, Any]:
    """HILFENETZ_TRUSTED_PROXIES: the addresses --trusted-proxy gives one at a time, comma-separated."""
    return {"trusted_proxies": comma_list(text)}


def parse_replicas(text: str) -> int | str:
    """`--replicas` value: "auto" or a whole number (checked later by kg.serve.replicas.check_replicas)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', not {text!r}") from None


#: How each parser is named in the docs and in error messages.
TYPE_NAMES: dict[Callable[[str], Any], str] = {
    str: "text", int: "integer", float: "number", Path: "path",
    non_negative_int: "integer ≥ 0", non_negative_float: "number ≥ 0", clamped_int: "integer ≥ 0",
    switch: "1/0", comma_list: "comma-separated list", parse_rate: "RATE[,BURST] or off",
    parse_replicas: "integer or auto",
}

# --------------------------------------------------------------------------- the row type

_UNSET: Any = object()  # "no value": distinct from None, which is a real default of some settings

#: Which commands offer a setting's flag.
SERVE = ("serve",)
STORE_COMMANDS = ("build", "validate", "query", "stats", "serve", "dump", "export network", "hsds export",
                  "hsds import", "report", "backup", "restore", "template", "import", "export offers",
                  "export organisations", "export projects", "export cooperations", "export participations",
                  "export events", "export grants", "history", "revert")
PROJECT_COMMANDS = ("build", "validate", "query", "serve", "import", "hsds import", "revert")


@dataclass(frozen=True)
class Setting:
    """One row of the table.

    kind: "server" = a field of `Settings`; "option" = an option of a command that is not part of a
    server's Settings (which store, whether to build first, …); "process" = a process-level knob
    read with `env_setting` where it acts (the allocator, malloc, the query workers)."""

    name: str
    default: Any
    help: str
    kind: str = "server"
    parse: Callable[[str], Any] = str
    env: str | None = None
    flag: str | None = None
    metavar: str | None = None
    commands: tuple[str, ...] = ()
    #: the flag may be given several times; the values are collected in a tuple
    repeat: bool = False
    #: the flag takes no value and sets this one (e.g. `--no-warm` sets False)
    switch_value: Any = _UNSET
    #: default when the settings come from a command line, if it differs (`kg serve` warms its caches)
    cli_default: Any = _UNSET
    #: for a variable that sets several fields: text -> {field: value}
    env_parse: Callable[[str], dict[str, Any]] | None = None
    #: what the flag does, where that is not `help` (a switch such as `--no-warm`)
    flag_help: str | None = None

    @property
    def is_switch(self) -> bool:
        """The flag takes no value (e.g. `--no-warm`)."""
        return self.switch_value is not _UNSET

    @property
    def has_cli_default(self) -> bool:
        """Settings made from a command line get another default (`cli_default`)."""
        return self.cli_default is not _UNSET

    @property
    def default_text(self) -> str:
        """The default as the docs and `--help` show it ("" for none)."""
        if self.name == "store":
            return f"${self.env} or {self.default}" if self.env else str(self.default)
        if self.default is _UNSET or self.default in (None, ()):
            return ""
        if self.cli_default is not _UNSET:
            return f"{self.default} ({self.cli_default} with `kg serve`)"
        return str(self.default)

    @property
    def type_name(self) -> str:
        if self.is_switch:
            return "switch"
        return TYPE_NAMES.get(self.parse, getattr(self.parse, "__name__", "text"))

    def parse_env(self, text: str) -> dict[str, Any]:
        """The field values the variable's text gives (ValueError if it is not one)."""
        if self.env_parse is not None:
            return self.env_parse(text)
        return {self.name: self.parse(text)}


def _row(default: Any, help: str, *, repr: bool = True, **kw: Any) -> Any:
    """A field of `Settings` that is a row of the table (its name is the field's; `_UNSET`: required)."""
    meta = {"setting": (help, kw)}
    if default is _UNSET:
        return field(repr=repr, metadata=meta)
    return field(default=default, repr=repr, metadata=meta)


MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything `create_app` needs. Paths are absolute after `resolved()`. Each field is a row of
    the settings table (`_row(default, help, env=…, flag=…)`); `SETTINGS` lists them all."""

    store_path: Path = _row(_UNSET, "directory of the embedded store (from --store, else HILFENETZ_STORE, "
                                    "else var/store)", parse=Path)
    project_root: Path | None = _row(None, "project root with ontology/, data/ and queries/ (from --project or "
                                           "HILFENETZ_PROJECT); a writable server keeps every approved "
                                           "contribution under its data/contributions/ for `kg build` "
                                           "(docs/contributing-data.md)", parse=Path)
    #: Remote mode: kg.store.remote instead of the embedded store at `store_path`. Read-only.
    store_url: str | None = _row(None, "query endpoint of a remote SPARQL 1.1 store to serve from, read-only "
                                       "(from --store URL)")
    host: str = _row("127.0.0.1", "interface to listen on", flag="--host", commands=SERVE)
    port: int = _row(8000, "port to listen on", flag="--port", parse=int, commands=SERVE)
    timeout: float = _row(30.0, "query deadline in seconds; a query past it is stopped (a request may ask "
                                "for less with timeout=)", flag="--timeout", parse=float, metavar="SECONDS",
                          commands=SERVE)
    max_result_rows: int = _row(100_000, "largest answer in solutions (SELECT) or triples (CONSTRUCT/DESCRIBE)",
                                flag="--max-rows", parse=int, metavar="N", commands=SERVE)
    max_result_bytes: int = _row(64 * MiB, "largest serialised answer in bytes", flag="--max-result-bytes",
                                 parse=int, metavar="N", commands=SERVE)
    max_body_bytes: int = _row(16 * MiB, "largest request body in bytes (queries, updates, uploaded graphs)",
                               flag="--max-body-bytes", parse=int, metavar="N", commands=SERVE)
    #: Never from argv, where other users could see it in `ps`.
    write_token: str | None = _row(None, "bearer token that enables SPARQL Update and the Graph Store Protocol; "
                                         "unset = read-only. Read from the environment only (another variable: "
                                         "--write-token-env)", env="HILFENETZ_WRITE_TOKEN", repr=False)
    #: kg.web.auth.TokenTable: names, scopes and HMAC digests of the tokens, never the tokens themselves.
    tokens_file: Path | None = _row(None, "TOML file of named write tokens with scopes (contribute:PATTERN, "
                                          "review, admin), stored as salted HMAC-SHA256 digests; written by "
                                          "`kg token add`; enables writes (docs/security.md)",
                                    env="HILFENETZ_TOKENS_FILE", flag="--tokens-file", metavar="FILE", parse=Path,
                                    commands=("serve", "token"))
    contributions_dir: Path | None = _row(None, "directory of the submitted contributions and their pending "
                                                "graphs (default: .STORE.contributions next to the store)",
                                          env="HILFENETZ_CONTRIBUTIONS_DIR", parse=Path)
    max_upload_bytes: int = _row(8 * MiB, "largest uploaded contribution file in bytes (spreadsheet, Turtle, TriG)",
                                 env="HILFENETZ_MAX_UPLOAD_BYTES", parse=int)
    service_allow: tuple[str, ...] = _row((), "host that SERVICE and LOAD may contact (repeatable; none by default)",
                                          flag="--allow-service", metavar="HOST", repeat=True, commands=SERVE)
    public_base_url: str | None = _row(None, "base URL the service is reachable at (service description, graph "
                                             "IRIs); default http://HOST:PORT", flag="--public-base-url",
                                       metavar="URL", commands=SERVE)
    workers: int = _row(2, "query worker processes", flag="--workers", parse=int, metavar="N", commands=SERVE)
    #: kg.query.replicas: replaying 3,000 quads (330 KB) costs about what a fresh copy does.
    worker_replay_bytes: int = _row(256 * 1024, "writable server: committed writes (as SPARQL Update text, in "
                                                "bytes) kept for the query workers to replay on their copies of "
                                                "the store; a worker further behind, or a bigger write, gets a "
                                                "fresh copy instead", parse=non_negative_int,
                                    flag="--worker-replay-bytes", metavar="BYTES", commands=SERVE)
    queue_timeout: float = _row(10.0, "seconds a request may wait for a free worker before 503 + Retry-After "
                                      "(within its deadline)")
    cache_entries: int = _row(2048, "answers kept in the answer cache, keyed by query, format and graph version "
                                    "(0 = no answer cache)", flag="--cache-entries", parse=clamped_int,
                              metavar="N", commands=SERVE)
    cache_bytes: int = _row(128 * MiB, "total size of the answer cache in bytes")
    cache_entry_max_bytes: int = _row(4 * MiB, "largest single answer the cache keeps, in bytes")
    validate_writes: bool = _row(True, "validate writes against the SHACL shapes in the shapes graph")
    watch_interval: float = _row(5.0, "read-only: check this often whether `kg build` replaced the store, and "
                                      "switch to the new one without a restart (0 = never)",
                                 flag="--watch-interval", parse=float, metavar="SECONDS", commands=SERVE)
    rate_limit: float = _row(50.0, "requests per second per client IP before 429 (0 = no rate limit). The "
                                   "variable sets rate and burst: \"RATE,BURST\", \"RATE\" (burst 4×RATE) or "
                                   "\"off\"", flag="--rate-limit", parse=non_negative_float,
                             metavar="PER_SECOND", commands=SERVE, env="HILFENETZ_RATE_LIMIT", env_parse=_rate_env)
    rate_burst: int = _row(200, "burst per client IP (see rate_limit)", flag="--rate-burst", parse=non_negative_int,
                           metavar="N", commands=SERVE)
    max_query_bytes: int = _row(256 * 1024, "longest query in bytes: GET query string or direct "
                                            "application/sparql-query body (0 = no cap)",
                                flag="--max-query-bytes", parse=non_negative_int, metavar="N", commands=SERVE,
                                env="HILFENETZ_MAX_QUERY_BYTES")
    trusted_proxies: tuple[str, ...] = _row((), "reverse proxy whose X-Forwarded-For names the client, for the "
                                                "rate limit (flag repeatable; variable comma-separated)",
                                            flag="--trusted-proxy", metavar="ADDRESS", repeat=True,
                                            commands=SERVE, env="HILFENETZ_TRUSTED_PROXIES", env_parse=_proxies_env)
    warm_caches: bool = _row(False, "precompute dumps, dataset description and JSON-LD context in the "
                                    "background at start (`kg serve` does unless --no-warm; tests leave it off "
                                    "to save CPU)", flag="--no-warm", switch_value=False, cli_default=True,
                             commands=SERVE, flag_help="do not precompute dumps, the dataset description and the "
                                                       "JSON-LD context in the background at start")
    #: kg.sparql.text.is_single_pattern; see kg.query.execute.execute_inline.
    inline_max_rows: int = _row(2000, "embedded store: answer a query of one triple pattern with at "
                                      "most N rows in the server process instead of a worker (0 = always use a "
                                      "worker)", flag="--inline-max-rows", parse=int, metavar="N", commands=SERVE)
    inline_max_bytes: int = _row(512 * 1024, "largest answer in bytes given in the server process (see "
                                             "inline_max_rows)")
    #: Why 1 MiB and not less: every part is one more message through the worker's pipe and the
    #: event loop; with 64 KiB, the benchmark's 2-hop joins (answers up to 535 KB) got 8 % fewer
    #: requests/s at concurrency 8 (228 vs 247/s, main process 0.96 vs 0.73 ms CPU per request),
    #: while a 22 MB answer still starts arriving after ~40 ms with 1 MiB (15 ms with 64 KiB,
    #: 0.55 s unstreamed). kg.web.routes.sparql.StreamedAnswer.
    stream_after_bytes: int = _row(MiB, "stream SELECT answers from a worker in parts of N bytes once they reach "
                                        "that size, while the query still runs (0 = send every answer whole, "
                                        "with an ETag)", flag="--stream-after-bytes", parse=int, metavar="N",
                                   commands=SERVE)
    #: kg.serve.sharedmetrics and kg.serve.sharedlimits use the group directory.
    replica: int | None = _row(None, "`kg serve --replicas`: this replica's index (set by the supervisor)")
    group_dir: Path | None = _row(None, "`kg serve --replicas`: the group's directory for one merged /metrics "
                                        "and one rate-limit table (set by the supervisor)", parse=Path)

    @classmethod
    def from_sources(cls, cli: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                     **fixed: Any) -> Settings:
        """Settings from a command line and an environment, by the precedence of `resolve`: the flag's
        value in `cli` (keyed by field name; None = not given), else its variable in `environ`, else
        its default (for a command line, i.e. `cli` not None, `cli_default` where a row has one).
        `fixed` sets fields the caller worked out itself (store_path, project_root, …).
        `cli["write_token_env"]` names another variable to read the write token from. A variable
        that is not a valid value is a KgError naming it."""
        command_line = cli is not None
        cli = dict(cli or {})
        env = os.environ if environ is None else environ
        env_values = _env_values(env, token_env=cli.get("write_token_env"))
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in fixed:
                values[f.name] = fixed[f.name]
                continue
            row = SETTING[f.name]
            value = _given(row, cli.get(f.name))
            if value is _UNSET:
                value = env_values.get(f.name, _UNSET)
            if value is _UNSET:
                value = row.cli_default if command_line and row.has_cli_default else row.default
            if value is _UNSET:
                raise KgError(f"setting {f.name} has no value")
            values[f.name] = value
        return cls(**values)

    @property
    def remote(self) -> bool:
        """Serving from a remote SPARQL store (`kg serve --store URL`)."""
        return bool(self.store_url)

    @property
    def inline_queries(self) -> bool:
        """Single-pattern queries may be answered in the server process: over the embedded store
        (no network call in the event loop). With writes too: every pyoxigraph read runs on a
        RocksDB snapshot of its own, so a write cannot interleave with one."""
        return self.inline_max_rows > 0 and not self.remote

    @property
    def writable(self) -> bool:
        """Writes (update, graph store, contributions) are enabled only with a token: the single
        write token, or a tokens file (kg.web.auth)."""
        return bool(self.write_token) or self.tokens_file is not None

    def base_url(self) -> str:
        """Public base URL without trailing slash."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def endpoint_url(self) -> str:
        """URL of the query endpoint, as named in the service description."""
        return self.base_url() + "/sparql"

    def resolved(self) -> Settings:
        """Copy with absolute paths and a lower-cased allow-list."""
        return replace(
            self,
            store_path=Path(self.store_path).expanduser().resolve(),
            project_root=Path(self.project_root).expanduser().resolve() if self.project_root else None,
            tokens_file=Path(self.tokens_file).expanduser().resolve() if self.tokens_file else None,
            contributions_dir=Path(self.contributions_dir).expanduser().resolve() if self.contributions_dir else None,
            service_allow=tuple(sorted({h.strip().lower() for h in self.service_allow if h.strip()})),
        )


_PARSE_OF_TYPE: dict[type, Callable[[str], Any]] = {bool: switch, int: int, float: float}


def _server_rows() -> tuple[Setting, ...]:
    rows = []
    for f in fields(Settings):
        help_text, kw = f.metadata["setting"]
        if "parse" not in kw and type(f.default) in _PARSE_OF_TYPE:  # a field set in code only: for the docs
            kw = {**kw, "parse": _PARSE_OF_TYPE[type(f.default)]}
        rows.append(Setting(name=f.name, default=_UNSET if f.default is MISSING else f.default,
                            help=help_text, **kw))
    return tuple(rows)

#: Options of commands that are not part of a server's Settings.
OPTION_ROWS: tuple[Setting, ...] = (
    Setting("store", "var/store", "store directory; for `kg build` and `kg serve` the flag may also give the "
            "query endpoint URL of a SPARQL 1.1 server (docs/remote-store.md; the variable is always a directory)",
            kind="option", env="HILFENETZ_STORE",
            flag="--store", metavar="PATH", commands=STORE_COMMANDS),
    Setting("project", None, "project root with ontology/ and data/; imports, HSDS imports and approved "
            "contributions are kept under its data/contributions/ (default: found from the current directory "
            "upwards, else the checkout kg is installed from)", kind="option", parse=Path, flag="--project",
            env="HILFENETZ_PROJECT", metavar="DIR", commands=PROJECT_COMMANDS),
    Setting("replicas", "auto", "server processes sharing the port (read-only). auto: one per usable CPU "
            "(affinity mask and cgroup CPU quota), at most 4, and one with a write token; 1 = a single process",
            kind="option", parse=parse_replicas, flag="--replicas", metavar="N|auto", commands=SERVE),
    Setting("write_token_env", None, "read the write token from environment variable NAME instead of "
            "HILFENETZ_WRITE_TOKEN (it must be set then)", kind="option", flag="--write-token-env", metavar="NAME",
            commands=SERVE),
    Setting("no_build", False, "do not build a missing store: fail, or with writes enabled start on an empty "
            "store", kind="option", flag="--no-build", switch_value=True, commands=SERVE),
    Setting("log_level", "info", "uvicorn log level", kind="option", flag="--log-level", metavar="LEVEL",
            commands=SERVE),
)

#: Process-level knobs: read with env_setting(name) where they act; environment only.
PROCESS_ROWS: tuple[Setting, ...] = (
    Setting("allocator", "mimalloc", "allocator preloaded into the query workers, the replicas and a re-executed "
            "`kg serve` (Linux): mimalloc, system (glibc's malloc), or the path of a shared library "
            "(kg/allocator.py)", kind="process", env="HILFENETZ_ALLOCATOR"),
    Setting("allocator_reexec", False, "set by `kg serve` in the environment of its re-executed self, so a "
            "refused preload cannot loop; not for users", kind="process", parse=switch,
            env="HILFENETZ_ALLOCATOR_REEXEC"),
    Setting("malloc_arenas", 2, "glibc malloc arenas of the server process (glibc's default is 8 per core; "
            "0 = leave it); fewer arenas kept its memory flat under soak load (kg.web.ops)", kind="process",
            parse=non_negative_int, env="HILFENETZ_MALLOC_ARENAS"),
    Setting("malloc_trim_seconds", 30.0, "seconds between two malloc_trim calls of the server process "
            "(0 = never)", kind="process", parse=non_negative_float, env="HILFENETZ_MALLOC_TRIM_SECONDS"),
    #: Why 0.5 ms and not Python's 5: the server answers point lookups in its event loop thread
    #: while a write validates in another thread (8 ms of Python per one-entity write since
    #: 2026-12-07, 33 ms before). A thread that wants the GIL back (after every socket call and
    #: store query: several times per request) waits up to one switch interval. Measured in process
    #: (a write thread at 10 writes/s, lookups with three GIL-releasing calls each, load 9): lookup
    #: p99 during writes 3.0-8.8 ms with 5 ms, 0.86-0.88 ms with 0.5 ms; the writing thread's CPU
    #: per write 15.6 vs 13.1 ms (no cost of the extra switches measurable). Over HTTP, quiet machine
    #: (bench/results/write.md, 2026-12-07 16:17): lookup p99 during 10 writes/s 13.6 ms with 5 ms,
    #: 5.3 ms with 0.5 ms (6.4x vs 2.7x idle), write p50 15.4 vs 12.6 ms.
    #: 0 leaves Python's default.
    Setting("gil_switch_ms", 0.5, "the server process's GIL switch interval in milliseconds (Python's default is "
            "5): how long a thread waits for the GIL before it asks the running one to hand it over "
            "(0 = leave Python's default)", kind="process", parse=non_negative_float,
            env="HILFENETZ_GIL_SWITCH_MS"),
    Setting("worker_memory_mb", 4096, "data segment limit of each query worker in MB (0 = none)", kind="process",
            parse=non_negative_int, env="HILFENETZ_WORKER_MEMORY_MB"),
    Setting("worker_spin_ms", 2.0, "milliseconds an idle query worker spins for the next job before it blocks "
            "(0 = off)", kind="process", parse=non_negative_float, env="HILFENETZ_WORKER_SPIN_MS"),
    Setting("remote_timeout", 120.0, "seconds to wait for an answer of a remote store (connect: 5 s)",
            kind="process", parse=non_negative_float, env="HILFENETZ_REMOTE_TIMEOUT"),
    Setting("queries", None, "folder of the UI's example queries when the app has no project root",
            kind="process", parse=Path, env="HILFENETZ_QUERIES"),
    Setting("shacl_profile", False, "print the slowest steps of every native SHACL run to stderr",
            kind="process", parse=switch, env="HILFENETZ_SHACL_PROFILE"),
    Setting("spreadsheet_max_bytes", 50_000_000, "largest spreadsheet file (xlsx, ODS, CSV) `kg import` and "
            "kg.graph.tabular read, in bytes (a 10,000-row offers xlsx is about 0.5 MB)", kind="process",
            parse=non_negative_int, env="HILFENETZ_SPREADSHEET_MAX_BYTES"),
    Setting("spreadsheet_max_cells", 2_000_000, "most cells (rows × columns of the used range) of one sheet or "
            "CSV file that is read", kind="process", parse=non_negative_int, env="HILFENETZ_SPREADSHEET_MAX_CELLS"),
    Setting("spreadsheet_max_unzipped_bytes", 300_000_000, "largest unpacked size of an xlsx or ODS file "
            "(all its zip members, as the zip directory states them; checked before anything is unpacked)",
            kind="process", parse=non_negative_int, env="HILFENETZ_SPREADSHEET_MAX_UNZIPPED_BYTES"),
    Setting("spreadsheet_max_zip_ratio", 200.0, "largest compression ratio (unpacked ÷ packed size) of a zip "
            "member over 1 MB in an xlsx or ODS file: a zip bomb packs about 1,000:1, the offers benchmark files "
            "9–19:1 (bench/results/tabular-read.md)", kind="process", parse=non_negative_float,
            env="HILFENETZ_SPREADSHEET_MAX_ZIP_RATIO"),
)

#: The table: every setting, server fields first, in the order of the docs.
SETTINGS: tuple[Setting, ...] = (*_server_rows(), *OPTION_ROWS, *PROCESS_ROWS)
SETTING: dict[str, Setting] = {row.name: row for row in SETTINGS}
assert len(SETTING) == len(SETTINGS), "setting names must be unique"

WRITE_TOKEN_ENV: str = SETTING["write_token"].env or ""

# --------------------------------------------------------------------------- precedence


def _given(row: Setting, value: Any) -> Any:
    """The value given on the command line, or _UNSET (None and an empty repeat list = not given)."""
    if value is None or (row.repeat and not value):
        return _UNSET
    return tuple(value) if row.repeat else value


def _env_values(environ: Mapping[str, str], token_env: str | None = None) -> dict[str, Any]:
    """Field values the environment sets (variables unset or blank set nothing)."""
    values: dict[str, Any] = {}
    for row in SETTINGS:
        if row.kind != "server" or not row.env:
            continue
        name = token_env if (row.name == "write_token" and token_env) else row.env
        text = environ.get(name, "").strip()
        if row.name == "write_token" and token_env and not text:
            raise KgError(f"environment variable {token_env} is empty or not set")
        if not text:
            continue
        values.update(_parse_env(row, name, text))
    return values


def _parse_env(row: Setting, name: str, text: str) -> dict[str, Any]:
    try:
        return row.parse_env(text)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise KgError(f"{name}={text!r} is not a valid value ({row.type_name}): {exc}") from None


def resolve(name: str, given: Any = None, environ: Mapping[str, str] | None = None) -> Any:
    """THE precedence rule: the value given on the command line (None = not given), else the
    setting's environment variable (if it has one and it is set), else its default. A variable
    that is not a valid value is a KgError naming it."""
    row = SETTING[name]
    value = _given(row, given)
    if value is not _UNSET:
        return value
    if row.env:
        text = (os.environ if environ is None else environ).get(row.env, "").strip()
        if text:
            return _parse_env(row, row.env, text)[name]
    return row.default


def env_setting(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """A process-level knob (kind "process") from its environment variable, else its default. A
    value that does not parse is logged and the default used: these are read deep inside running
    processes (query workers, the allocator), where failing would take the service down."""
    row = SETTING[name]
    try:
        return resolve(name, None, environ)
    except KgError as exc:
        log.warning("ignoring %s", exc)
        return row.default


def env_var(name: str) -> str:
    """The environment variable of setting `name`."""
    env = SETTING[name].env
    if env is None:
        raise KeyError(f"setting {name} has no environment variable")
    return env


def default_store(environ: Mapping[str, str] | None = None) -> Path:
    """The store every command uses when --store is not given: $HILFENETZ_STORE, else ./var/store."""
    return Path(resolve("store", None, environ))


def token_from_env(name: str = WRITE_TOKEN_ENV) -> str | None:
    """The write token from the environment (never from argv, where `ps` would show it)."""
    value = os.environ.get(name, "").strip()
    return value or None
