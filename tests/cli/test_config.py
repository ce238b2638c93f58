"""The settings table (kg.config): one declaration per setting, from which the Settings, the CLI
options and docs/configuration.md are derived; precedence flag > environment > default."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import make_parser
from kg.cli.config import markdown
from kg.config import SETTING, SETTINGS, Settings, default_store, env_setting, resolve
from kg.errors import KgError
from kg.web.limits import LimitConfig, config_from

ROOT = Path(__file__).resolve().parents[2]
KG_SOURCES = sorted((ROOT / "kg").rglob("*.py"))

#: the arguments a command needs besides the flag under test
REQUIRED = {"dump": ["--output", "o"], "export network": ["--output", "o"], "hsds export": ["--output", "o"],
            "hsds import": ["h.json", "--source-title", "t", "--publisher", "p"],
            "backup": ["--output", "o"],
            "restore": ["backup.tgz"], "shacl": ["d.ttl", "s.ttl"], "template": ["offers"],
            "import": ["f.csv", "--kind", "offers", "--source-title", "t", "--publisher", "p"],
            "revert": ["20261207T120000000000Z-abcdef"]}
#: a valid text for each parser, used to try every flag
SAMPLES = {"integer": "3", "integer ≥ 0": "3", "number": "1.5", "number ≥ 0": "1.5", "text": "x", "path": "p",
           "integer or auto": "2", "comma-separated list": "a,b"}


def test_committed_docs_are_generated_from_the_table() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/configuration.md is stale: run `kg config --markdown > docs/configuration.md`"
    for row in SETTINGS:
        assert f"| `{row.name}` |" in committed


def test_every_hilfenetz_variable_in_kg_is_in_the_table_and_read_only_through_it() -> None:
    table = {row.env for row in SETTINGS if row.env}
    named: dict[str, list[str]] = {}
    for path in KG_SOURCES:
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"HILFENETZ_[A-Z0-9_]+", text):
            named.setdefault(name, []).append(str(path.relative_to(ROOT)))
        if path.name != "config.py" or path.parent.name != "kg":
            # a quoted variable name outside the table is a read (or write) that bypasses it
            assert not re.search(r"[\"']HILFENETZ_", text), f"{path} names a HILFENETZ_ variable in a string"
    assert set(named) <= table, {n: named[n] for n in set(named) - table}
    # the 14 variables of issue 16 (the allocator's re-exec mark among them), the 4 spreadsheet limits of issue 17,
    # issue 18's tokens file, contributions directory, upload limit and the server's GIL switch interval,
    # and the project root (where accepted contributions are kept for `kg build`, kg.graph.kept)
    assert len(table) == 23


def _argv(command: str, *extra: str) -> list[str]:
    return [*command.split(), *REQUIRED.get(command, []), *extra]


@pytest.mark.parametrize("row", [r for r in SETTINGS if r.flag], ids=lambda r: r.name)
def test_every_flag_of_the_table_is_accepted_by_its_commands(row) -> None:
    assert row.commands, f"{row.name} has a flag but no command offers it"
    parser = make_parser()
    for command in row.commands:
        if row.is_switch:
            args = parser.parse_args(_argv(command, row.flag))
            assert getattr(args, row.name) == row.switch_value
            if row.kind == "server":
                assert getattr(Settings.from_sources(vars(args), {}, store_path="s"), row.name) == row.switch_value
            continue
        sample = SAMPLES[row.type_name]
        args = parser.parse_args(_argv(command, row.flag, sample))
        expected = row.parse(sample)
        assert getattr(args, row.name) == ([expected] if row.repeat else expected), command
        if row.kind == "server":  # and the value arrives in the Settings as given
            settings = Settings.from_sources(vars(args), {}, store_path="s")
            assert getattr(settings, row.name) == ((expected,) if row.repeat else expected), command
        assert getattr(parser.parse_args(_argv(command)), row.name) is None  # not given: env/default decide


def test_repeated_flags_collect_their_values_in_the_settings() -> None:
    args = make_parser().parse_args(["serve", "--trusted-proxy", "10.0.0.1", "--trusted-proxy", "10.0.0.2",
                                     "--allow-service", "Example.org", "--no-warm", "--rate-limit", "2"])
    s = Settings.from_sources(vars(args), {"HILFENETZ_TRUSTED_PROXIES": "10.9.9.9"}, store_path="s")
    assert s.trusted_proxies == ("10.0.0.1", "10.0.0.2") and s.service_allow == ("Example.org",)
    assert (s.warm_caches, s.rate_limit, s.rate_burst) == (False, 2.0, 200)


def test_kg_serve_has_exactly_the_options_of_the_table() -> None:
    serve = make_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    flags = {a.option_strings[-1] for a in serve._actions if a.option_strings and a.dest != "help"}
    assert flags == {row.flag for row in SETTINGS if row.flag and "serve" in row.commands}


def test_a_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        make_parser().parse_args(["serve", "--max-query-bytes", "-5"])
    assert exc.value.code == 2
    assert "--max-query-bytes" in capsys.readouterr().err


def test_precedence_is_flag_then_environment_then_default() -> None:
    env = {"HILFENETZ_MAX_QUERY_BYTES": "7", "HILFENETZ_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
           "HILFENETZ_RATE_LIMIT": "5,9", "HILFENETZ_STORE": "/srv/kg"}
    assert Settings.from_sources({}, {}, store_path="s").max_query_bytes == SETTING["max_query_bytes"].default
    from_env = Settings.from_sources({}, env, store_path="s")
    assert (from_env.max_query_bytes, from_env.trusted_proxies) == (7, ("10.0.0.1", "10.0.0.2"))
    given = Settings.from_sources({"max_query_bytes": 100, "trusted_proxies": ["p"], "rate_burst": 3}, env,
                                  store_path="s")
    assert (given.max_query_bytes, given.trusted_proxies) == (100, ("p",))
    assert config_from(given) == LimitConfig(5.0, 3, 100, ("p",))  # the variable still gives the rate
    assert resolve("store", None, env) == "/srv/kg" and resolve("store", "here", env) == "here"
    assert default_store(env) == Path("/srv/kg") and default_store({"HILFENETZ_STORE": "  "}) == Path("var/store")


def test_settings_from_a_command_line_warm_their_caches_and_plain_settings_do_not() -> None:
    assert Settings(store_path=Path("s")).warm_caches is False
    assert Settings.from_sources(None, {}, store_path="s").warm_caches is False
    assert Settings.from_sources({"warm_caches": None}, {}, store_path="s").warm_caches is True
    assert Settings.from_sources({"warm_caches": False}, {}, store_path="s").warm_caches is False


def test_a_bad_variable_names_itself_and_a_bad_process_knob_falls_back_to_its_default() -> None:
    with pytest.raises(KgError, match="HILFENETZ_MAX_QUERY_BYTES='lots'"):
        Settings.from_sources({}, {"HILFENETZ_MAX_QUERY_BYTES": "lots"}, store_path="s")
    with pytest.raises(KgError, match="MY_TOKEN is empty or not set"):
        Settings.from_sources({"write_token_env": "MY_TOKEN"}, {}, store_path="s")
    assert Settings.from_sources({"write_token_env": "MY_TOKEN"}, {"MY_TOKEN": "t", "HILFENETZ_WRITE_TOKEN": "u"},
                                 store_path="s").write_token == "t"
    assert env_setting("worker_memory_mb", {"HILFENETZ_WORKER_MEMORY_MB": "much"}) == 4096
    assert env_setting("worker_memory_mb", {"HILFENETZ_WORKER_MEMORY_MB": "300"}) == 300
    assert env_setting("shacl_profile", {"HILFENETZ_SHACL_PROFILE": "0"}) is False


def _kg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HILFENETZ_")} | env
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, timeout=120, check=False)


def test_kg_serve_stops_with_a_clear_message_on_a_bad_variable(tmp_path: Path) -> None:
    res = _kg("serve", "--store", str(tmp_path / "none"), "--no-build", "--replicas", "1",
              env={"HILFENETZ_RATE_LIMIT": "fast"})
    assert res.returncode == 1
    assert "kg: error: HILFENETZ_RATE_LIMIT='fast' is not a valid value" in res.stderr
    assert "Traceback" not in res.stderr


def test_kg_config_shows_what_the_environment_sets() -> None:
    res = _kg("config", env={"HILFENETZ_WORKER_SPIN_MS": "0", "HILFENETZ_STORE": "/srv/kg",
                             "HILFENETZ_WRITE_TOKEN": "secret"})
    assert res.returncode == 0, res.stderr
    lines = {line.split()[0]: line for line in res.stdout.splitlines()}
    assert lines["worker_spin_ms"].endswith(" 0.0")
    assert lines["store"].endswith(" /srv/kg")
    assert lines["write_token"].endswith(" (set)") and "secret" not in res.stdout
