"""Python functions on a cluster: `faasm upload --py` / `faasm invoke --py` (and `inv`) against a
real upload server and worker process; the worker fetches the source (PUT /p/...) and runs it on
the Python runtime, with chaining and state as locally."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.toolchain.python import PythonRuntime
from tests.cluster.support import LocalCluster, local_cluster, running_redis
from tests.conftest import REPO
from tests.helpers import run_cli
from tests.python_support import FAN_OUT

SOURCES = {
    "fan": FAN_OUT,
    "keep": "from pyfaasm.core import get_input, set_state\nset_state('kept', get_input())\n",
    "show": (
        "from pyfaasm.core import get_state, get_state_size, set_output\n"
        "set_output(get_state('kept', get_state_size('kept')))\n"
    ),
}


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, isolated_cache: Path, python: PythonRuntime
) -> Iterator[LocalCluster]:
    work = tmp_path_factory.mktemp("pycluster")
    (work / "redis").mkdir()
    with (
        running_redis(work / "redis") as server,
        local_cluster(server.url, work, isolated_cache, workers=1) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pyclusterproject")
    folder = root / "func" / "python"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "func" / "python" / "hello.py", folder / "hello.py")
    for name, source in SOURCES.items():
        (folder / f"{name}.py").write_text(source)
    (root / "user.toml").write_text("")
    return root


@pytest.fixture(scope="module")
def env(cluster: LocalCluster, project: Path) -> dict[str, str]:
    return {
        "FAASM_CONFIG": str(project / "user.toml"),
        "FAASM_UPLOAD_URL": cluster.upload_url,
        "FAASM_INVOKE_URL": cluster.invoke_url,
    }


def cli(project: Path, env: dict[str, str], *args: str) -> bytes:
    done = run_cli(*args, cwd=project, env=env)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_inv_upload_and_invoke_py_python_hello(
    project: Path, env: dict[str, str], python: PythonRuntime
) -> None:
    def inv(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "invoke", "-r", str(REPO), *args],
            cwd=project,
            env={**os.environ, **env},
            capture_output=True,
            timeout=300,
        )

    uploaded = inv("upload", "--py", "python", "hello")
    assert uploaded.returncode == 0, uploaded.stderr.decode()
    called = inv("invoke", "--py", "python", "hello")
    assert called.returncode == 0, called.stderr.decode()
    assert called.stdout.decode() == f"Hello from Python {python.version} on wasi!"


def test_invoke_py_json_and_faasms_own_message(
    project: Path, env: dict[str, str], cluster: LocalCluster, python: PythonRuntime
) -> None:
    cli(project, env, "upload", "python", "hello", "--py")
    result = json.loads(cli(project, env, "invoke", "python", "hello", "--py", "-o", "json"))
    assert (result["python"], result["py_user"], result["py_func"]) == (True, "python", "hello")
    assert result["output_data"] == f"Hello from Python {python.version} on wasi!"
    # Faasm's clients send user "python" and name the function in py_user/py_func.
    answer = cluster.invoke(
        user="python", function="py_func", python=True, py_user="python", py_func="hello"
    )
    assert answer.status_code == 200
    assert answer.text.strip() == f"Hello from Python {python.version} on wasi!"


def test_chaining_and_state_on_the_cluster(project: Path, env: dict[str, str]) -> None:
    for name in SOURCES:
        cli(project, env, "upload", "python", name)
    assert cli(project, env, "invoke", "python", "fan", "--py", "--input", "2,3") == b"4,9"
    cli(project, env, "invoke", "python", "keep", "--input", "kept in Redis")
    assert cli(project, env, "invoke", "python", "show") == b"kept in Redis"


def test_an_uploaded_change_runs_at_once(project: Path, env: dict[str, str]) -> None:
    source = project / "func" / "python" / "changing.py"
    for text in ("first", "second"):
        source.write_text(f"from pyfaasm.core import set_output\nset_output(b'{text}')\n")
        cli(project, env, "upload", "python", "changing", "--py")
        assert cli(project, env, "invoke", "python", "changing", "--py") == text.encode()
