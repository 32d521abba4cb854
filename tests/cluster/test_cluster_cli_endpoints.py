"""Where the client commands look for a cluster: flags, FAASM_*_URL, named profiles, defaults;
and what they say when nothing answers there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import free_port

from faasm_cli import settings
from faasm_cli.config import Project
from faasm_cli.errors import BadConfig
from faasm_cli.settings import FIELDS, Endpoints
from tests.helpers import one_line_error, run_cli


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting leaks in from the machine: the user config is a file of this test."""
    for field in FIELDS:
        monkeypatch.delenv(field.variable, raising=False)
    user_file = tmp_path / "user.toml"
    user_file.write_text("")
    monkeypatch.setenv("FAASM_CONFIG", str(user_file))
    return user_file


def project_with(tmp_path: Path, text: str) -> Project:
    (tmp_path / "proj" / "func").mkdir(parents=True)
    (tmp_path / "proj" / "faasm.toml").write_text(text)
    return Project(tmp_path / "proj" / "func")


def test_without_settings_the_local_cluster_is_used() -> None:
    assert settings.load(None).endpoints() == Endpoints(
        "http://127.0.0.1:8002", "http://127.0.0.1:8080"
    )


def test_profiles_merge_key_by_key_across_files(tmp_path: Path, clean_environment: Path) -> None:
    clean_environment.write_text(
        '[profiles.lab]\nupload_url = "http://user:8002"\ninvoke_url = "http://user:8080"\n'
    )
    project = project_with(tmp_path, '[profiles.lab]\ninvoke_url = "http://proj:8080"\n')
    chosen = settings.load(project)
    assert chosen.endpoints("lab") == Endpoints("http://user:8002", "http://proj:8080")


def test_precedence_flag_profile_env_configured_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_with(
        tmp_path,
        '[cluster]\nprofile = "b"\n'
        '[profiles.a]\nupload_url = "http://a:1"\ninvoke_url = "http://a:2"\n'
        '[profiles.b]\nupload_url = "http://b:1"\ninvoke_url = "http://b:2"\n'
        '[profiles.default]\nupload_url = "http://d:1"\n',
    )
    chosen = settings.load(project)
    assert chosen.endpoints() == Endpoints("http://b:1", "http://b:2")
    monkeypatch.setenv("FAASM_UPLOAD_URL", "http://env:1")
    chosen = settings.load(project)
    assert chosen.endpoints() == Endpoints("http://env:1", "http://b:2")
    assert chosen.endpoints("a") == Endpoints("http://a:1", "http://a:2")
    assert chosen.endpoints("a", invoke_url="http://flag:2") == Endpoints(
        "http://a:1", "http://flag:2"
    )


def test_without_a_chosen_profile_the_default_one_is_used(tmp_path: Path) -> None:
    project = project_with(tmp_path, '[profiles.default]\nupload_url = "http://d:1"\n')
    assert settings.load(project).endpoints() == Endpoints("http://d:1", "http://127.0.0.1:8080")


def test_an_unknown_profile_lists_the_known_ones(tmp_path: Path) -> None:
    project = project_with(tmp_path, '[profiles.lab]\nupload_url = "http://lab:8002"\n')
    with pytest.raises(BadConfig) as raised:
        settings.load(project).endpoints("prod")
    assert raised.value.message == "no cluster profile 'prod'"
    assert raised.value.hint.startswith("profiles: lab; define [profiles.prod] with upload_url")


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('[profiles.lab]\nupload_url = "http://a"\nport = 3\n', 3, "unknown key 'port'"),
        ('\n[profiles.lab]\ninvoke_url = "ftp://a"\n', 3, "profiles.lab.invoke_url must be"),
        ("[profiles.lab]\ninvoke_url = 8080\n", 2, "profiles.lab.invoke_url must be an http"),
        ("[profiles]\nlab = 3\n", 2, "profiles.lab must be a table"),
    ],
)
def test_profile_mistakes_name_file_and_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    project = project_with(tmp_path, text)
    with pytest.raises(BadConfig) as raised:
        settings.load(project)
    assert raised.value.message.startswith(f"{project.settings_file}:{line}: ")
    assert problem in raised.value.message


@pytest.mark.parametrize(
    "argv",
    [
        ("invoke", "demo", "hello"),
        ("invoke", "demo", "hello", "--async"),
        ("status", "7"),
        ("state", "get", "demo", "greeting", "--cluster"),
        ("state", "set", "demo", "greeting", "hi", "--cluster"),
    ],
)
def test_an_unreachable_cluster_is_one_line_naming_the_url(
    tmp_path: Path, argv: tuple[str, ...]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"FAASM_UPLOAD_URL": url, "FAASM_INVOKE_URL": url}
    done = run_cli(*argv, cwd=tmp_path, env=env)
    assert done.returncode == 69
    assert done.stdout == b""
    assert one_line_error(done.stderr) == (
        f"error: no Faasm cluster answers at {url} (start one with `faasm cluster up`, or point "
        "--upload-url/--invoke-url (or a --profile) at yours)"
    )


def test_unreachable_under_json_output_is_a_json_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = run_cli("invoke", "demo", "hello", "--invoke-url", url, "-o", "json", cwd=tmp_path)
    assert done.returncode == 69
    assert json.loads(done.stdout)["error"] == f"no Faasm cluster answers at {url}"


def test_a_profile_from_the_user_config_is_where_the_client_goes(
    tmp_path: Path, clean_environment: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    clean_environment.write_text(f'[profiles.lab]\ninvoke_url = "{url}"\n')
    done = run_cli("status", "1", "--profile", "lab", cwd=tmp_path)
    assert done.returncode == 69
    assert f"no Faasm cluster answers at {url}" in one_line_error(done.stderr)


def test_a_url_that_is_not_http_is_a_config_error(tmp_path: Path) -> None:
    done = run_cli("status", "1", "--invoke-url", "localhost:8080", cwd=tmp_path)
    assert done.returncode == 78
    assert "the invoke URL 'localhost:8080' is not an http(s) URL" in one_line_error(done.stderr)
