"""Invoke tasks for contributors and CI: `inv compile demo hello`, `inv run demo hello`,
`inv cluster-up`, `inv upload demo hello`, `inv invoke demo hello`, `inv cluster-down`,
`inv test`, `inv lint`, `inv bench`. Each calls the same code paths as the `faasm` CLI.

Every task builds an argv list and runs it without a shell, so an argument such as
`--input "it's"` reaches the command as it was typed."""

from __future__ import annotations

import os
import subprocess
import sys

from invoke import Context, Exit, task

PYTHON = sys.executable
FAASM = [PYTHON, "-m", "faasm_cli"]
SOURCES = ["faasm_cli", "tests", "bench", "tasks.py"]


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    """Run a command as argv, with our stdio; a failure ends the task with its exit code."""
    done = subprocess.run(argv, env={**os.environ, **(env or {})}, check=False)
    if done.returncode != 0:
        raise Exit(code=done.returncode)


@task(positional=["user", "function"])
def compile(
    c: Context, user: str, function: str, toolchain: str = "system", native: bool = False
) -> None:
    """Compile a function: inv compile demo hello [--toolchain docker] [--native]."""
    native_flag = ["--native"] if native else []
    _run([*FAASM, "compile", user, function, "--toolchain", toolchain, *native_flag])


@task(name="compile-all", positional=["user"])
def compile_all(c: Context, user: str, toolchain: str = "system") -> None:
    """Compile every function of a user: inv compile-all demo."""
    _run([*FAASM, "compile", user, "--all", "--toolchain", toolchain])


@task(positional=["user", "function"])
def run(c: Context, user: str, function: str, input: str = "") -> None:
    """Run a function locally: inv run demo hello [--input TEXT]."""
    _run([*FAASM, "run", user, function, "--input", input])


@task(positional=["user", "function"])
def upload(c: Context, user: str, function: str, py: bool = False) -> None:
    """Upload a function to the cluster (compiled first if stale): inv upload demo hello;
    a Python function: inv upload --py python hello."""
    _run([*FAASM, "upload", user, function, *(["--py"] if py else [])])


@task(name="upload-all", positional=["user"])
def upload_all(c: Context, user: str) -> None:
    """Upload every function of a user: inv upload-all demo."""
    _run([*FAASM, "upload", user, "--all"])


@task(positional=["user", "function"])
def invoke(
    c: Context, user: str, function: str, input: str = "", async_: bool = False, py: bool = False
) -> None:
    """Invoke a function on the cluster: inv invoke demo hello [--input TEXT] [--async];
    a Python function: inv invoke --py python hello."""
    flags = [*(["--async"] if async_ else []), *(["--py"] if py else [])]
    _run([*FAASM, "invoke", user, function, "--input", input, *flags])


@task(name="cluster-up")
def cluster_up(c: Context, workers: int = 2) -> None:
    """Start a local cluster in the background: inv cluster-up [--workers 3]."""
    _run([*FAASM, "cluster", "up", "--workers", str(workers), "--detach"])


@task(name="cluster-down")
def cluster_down(c: Context) -> None:
    """Stop the local cluster: inv cluster-down."""
    _run([*FAASM, "cluster", "down"])


@task(name="cluster-image")
def cluster_image(c: Context, without_python: bool = False) -> None:
    """Build the image docker-compose.yml runs: inv cluster-image [--without-python] (with
    the host's Python runtime unless told otherwise: `faasm python build` first)."""
    _run(
        [
            PYTHON,
            "-m",
            "faasm_cli.cluster.image",
            "build",
            *(["--without-python"] if without_python else []),
        ]
    )


@task
def test(c: Context, k: str = "", docker: bool = False) -> None:
    """Run the test suite: inv test [-k pattern] [--docker]."""
    env = {"FAASM_TEST_DOCKER": "1"} if docker else {}
    select = ["-k", k] if k else []
    _run([PYTHON, "-m", "pytest", "-q", *select], env=env)


@task
def lint(c: Context) -> None:
    """ruff and mypy over the package, tests and benchmarks."""
    _run([PYTHON, "-m", "ruff", "check", *SOURCES])
    _run([PYTHON, "-m", "ruff", "format", "--check", *SOURCES])
    _run([PYTHON, "-m", "mypy"])


@task
def bench(c: Context) -> None:
    """Run every benchmark under bench/ and print its figures."""
    _run([PYTHON, "-m", "bench"])
