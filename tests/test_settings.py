"""Settings: flags > FAASM_* > faasm.toml > user config > defaults; every bad value is named."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from faasm_cli import console, settings
from faasm_cli.config import Project
from faasm_cli.errors import BadConfig
from faasm_cli.settings import FIELDS, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine: the user config is a file of this test."""
    for field in FIELDS:
        monkeypatch.delenv(field.variable, raising=False)
    monkeypatch.setenv("FAASM_CONFIG", str(tmp_path / "user.toml"))
    (tmp_path / "user.toml").write_text("")


def project_with(tmp_path: Path, text: str) -> Project:
    (tmp_path / "proj" / "func").mkdir(parents=True)
    (tmp_path / "proj" / "faasm.toml").write_text(text)
    return Project(tmp_path / "proj" / "func")


def bad(text: str, tmp_path: Path) -> BadConfig:
    project = project_with(tmp_path, text)
    with pytest.raises(BadConfig) as raised:
        settings.load(project)
    assert raised.value.exit_code == 78
    return raised.value


def test_every_field_is_a_setting() -> None:
    keys = [*(f.key for f in FIELDS), settings.PROFILES]
    assert keys == [f.name for f in dataclasses.fields(Settings)]


def test_defaults_without_any_file(tmp_path: Path) -> None:
    assert settings.load(None) == Settings()
    assert settings.load(project_with(tmp_path, "")) == Settings(toolchain="system")


def test_a_project_file_sets_values(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        '[build]\ntoolchain = "docker"\n[limits]\ntimeout = 5\nmemory_mb = 64\noutput_mb = 2\n'
        '[cluster]\nprofile = "lab"\n',
    )
    loaded = settings.load(project)
    assert loaded == Settings("docker", 5.0, 64, 2, "lab")
    assert isinstance(loaded.timeout, float)
    assert loaded.output_bytes == 2 * 1024 * 1024


def test_precedence_flags_env_project_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "user.toml").write_text(
        "[limits]\ntimeout = 1\nmemory_mb = 11\noutput_mb = 21\n[cluster]\nprofile = 'mine'\n"
    )
    project = project_with(tmp_path, "[limits]\ntimeout = 2\nmemory_mb = 12\n")
    monkeypatch.setenv("FAASM_TIMEOUT", "3")
    loaded = settings.load(project)
    assert (loaded.timeout, loaded.memory_mb, loaded.output_mb, loaded.profile) == (
        3.0,
        12,
        21,
        "mine",
    )
    flagged = loaded.override(timeout=4.0, toolchain=None, memory_mb=None)
    assert (flagged.timeout, flagged.memory_mb, flagged.toolchain) == (4.0, 12, "system")


def test_the_starter_file_is_valid_and_sets_nothing(tmp_path: Path) -> None:
    text = settings.starter_file()
    assert set(tomllib.loads(text)) == {"build", "limits", "cluster"}
    for field in FIELDS:
        assert f"# {field.key} = {field.example}\n" in text
        assert field.variable in text
    assert settings.load(project_with(tmp_path, text)) == Settings()


def test_unknown_key_names_file_key_and_line(tmp_path: Path) -> None:
    error = bad('[build]\ntoolchain = "system"\n\n[limits]\n# seconds\ntimeuot = 5\n', tmp_path)
    path = tmp_path / "proj" / "faasm.toml"
    assert error.message == f"{path}:6: unknown key 'timeuot' in [limits]"
    assert error.hint == "keys of [limits]: timeout, memory_mb, output_mb"


def test_wrong_type_names_file_key_and_line(tmp_path: Path) -> None:
    error = bad('[limits]\nmemory_mb = 64\ntimeout = "5"\n', tmp_path)
    path = tmp_path / "proj" / "faasm.toml"
    assert error.message == (
        f"{path}:3: limits.timeout must be a positive number, not a string ('5')"
    )
    assert error.hint == "e.g. timeout = 30.0 under [limits]"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("[limits]\nmemory_mb = true\n", 2, "limits.memory_mb must be a positive integer"),
        ("[limits]\nmemory_mb = 1.5\n", 2, "limits.memory_mb must be a positive integer"),
        ("[limits]\ntimeout = -1\n", 2, "limits.timeout must be a positive number"),
        ('[build]\ntoolchain = "gcc"\n', 2, "build.toolchain must be one of 'system', 'docker'"),
        ("limits.output_mb = 'x'\n", 1, "limits.output_mb must be a positive integer"),
        ("\nlimits = { timeout = 'x' }\n", 2, "limits.timeout must be a positive number"),
        ('[cluster]\n"profile" = 3\n', 2, "cluster.profile must be a string"),
        ("[limits]\n\n[cluster]\nprofile = []\n", 4, "cluster.profile must be a string"),
        ("# top\n\n[limit]\ntimeout = 1\n", 3, "unknown setting 'limit'"),
        ("limits = 3\n", 1, "limits must be a table ([limits])"),
    ],
)
def test_each_mistake_names_its_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    error = bad(text, tmp_path)
    assert error.message.startswith(f"{tmp_path / 'proj' / 'faasm.toml'}:{line}: {problem}")


def test_a_setting_outside_its_table_says_where_it_goes(tmp_path: Path) -> None:
    error = bad('\ntoolchain = "docker"\n', tmp_path)
    assert error.message.endswith("faasm.toml:2: unknown setting 'toolchain'")
    assert error.hint == "put toolchain under [build]"


def test_invalid_toml_keeps_the_parsers_position(tmp_path: Path) -> None:
    error = bad("[limits]\ntimeout = \n", tmp_path)
    path = tmp_path / "proj" / "faasm.toml"
    assert error.message.startswith(f"{path}: invalid TOML: ")
    assert "line 2" in error.message


def test_user_config_mistakes_name_that_file(tmp_path: Path) -> None:
    (tmp_path / "user.toml").write_text("[limits]\nspeed = 1\n")
    with pytest.raises(BadConfig) as raised:
        settings.load(None)
    assert raised.value.message == f"{tmp_path / 'user.toml'}:2: unknown key 'speed' in [limits]"


def test_a_missing_or_directory_user_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAASM_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(BadConfig) as raised:
        settings.load(None)
    assert raised.value.message == (
        f"settings file {tmp_path / 'absent.toml'} does not exist (named by FAASM_CONFIG)"
    )
    monkeypatch.setenv("FAASM_CONFIG", str(tmp_path))
    with pytest.raises(BadConfig) as raised:
        settings.load(None)
    assert raised.value.message == (
        f"{tmp_path} is a directory, not a settings file (named by FAASM_CONFIG)"
    )


@pytest.mark.parametrize(
    ("variable", "raw", "problem"),
    [
        ("FAASM_TIMEOUT", "soon", "FAASM_TIMEOUT='soon' is not a positive number"),
        ("FAASM_TIMEOUT", "0", "FAASM_TIMEOUT='0' is not a positive number"),
        ("FAASM_MEMORY_MB", "1.5", "FAASM_MEMORY_MB='1.5' is not a positive integer"),
        ("FAASM_TOOLCHAIN", "gcc", "FAASM_TOOLCHAIN='gcc' is not one of 'system', 'docker'"),
    ],
)
def test_bad_environment_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, problem: str
) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(BadConfig) as raised:
        settings.load(None)
    assert raised.value.message == problem
    assert raised.value.hint.startswith(f"e.g. {variable}=")


def test_environment_values_are_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAASM_OUTPUT_MB", "3")
    monkeypatch.setenv("FAASM_TOOLCHAIN", "docker")
    loaded = settings.load(None)
    assert (loaded.output_mb, loaded.toolchain) == (3, "docker")


@pytest.mark.parametrize(
    ("text", "table", "key", "line"),
    [
        ("[a]\nx = 1\n[b]\nx = 2\n", "b", "x", 4),
        ("[b]\ny = 1\n[a]\nx = 1\n", "b", "x", 1),  # not in its table: the table's line
        ("a.x = 1\n", "a", "x", 1),
        ("\n[ a ]\n  'x'  = 1\n", "a", "x", 3),
        ("\n\na = {x = 1}\n", "a", "x", 3),
        ("y = 1\n[x]\n", "", "x", 2),
        ("x = 1\n", "", "x", 1),
        ("", "a", "x", None),
    ],
)
def test_line_of(text: str, table: str, key: str, line: int | None) -> None:
    assert settings.line_of(text, table, key) == line


def test_runtime_limits_are_only_those_set() -> None:
    assert Settings().runtime_limits() == {}
    assert Settings(timeout=2.0, output_mb=3).runtime_limits() == {
        "timeout": 2.0,
        "max_output_bytes": 3 * 1024 * 1024,
    }
    assert Settings(memory_mb=64).runtime_limits() == {"memory_limit_mb": 64}


def test_printed_errors_keep_their_brackets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    console.error(bad("[limits]\nspeed = 1\n", tmp_path))
    line = capsys.readouterr().err.strip()
    assert line.endswith(
        "unknown key 'speed' in [limits] (keys of [limits]: timeout, memory_mb, output_mb)"
    )
