"""Invoke tasks for contributors and CI: `inv compile demo hello`, `inv run demo hello`,
`inv test`, `inv lint`, `inv bench`. Each calls the same code paths as the `faasm` CLI."""

from __future__ import annotations

import sys

from invoke import Context, task

PYTHON = sys.executable


@task(positional=["user", "function"])
def compile(
    c: Context, user: str, function: str, toolchain: str = "system", native: bool = False
) -> None:
    """Compile a function: inv compile demo hello [--toolchain docker] [--native]."""
    native_flag = " --native" if native else ""
    c.run(f"{PYTHON} -m faasm_cli compile {user} {function} --toolchain {toolchain}{native_flag}")


@task(name="compile-all", positional=["user"])
def compile_all(c: Context, user: str, toolchain: str = "system") -> None:
    """Compile every function of a user: inv compile-all demo."""
    c.run(f"{PYTHON} -m faasm_cli compile {user} --all --toolchain {toolchain}")


@task(positional=["user", "function"])
def run(c: Context, user: str, function: str, input: str = "") -> None:
    """Run a function locally: inv run demo hello [--input TEXT]."""
    extra = f" --input '{input}'" if input else ""
    c.run(f"{PYTHON} -m faasm_cli run {user} {function}{extra}")


@task
def test(c: Context, k: str = "", docker: bool = False) -> None:
    """Run the test suite: inv test [-k pattern] [--docker]."""
    env = {"FAASM_TEST_DOCKER": "1"} if docker else {}
    select = f" -k '{k}'" if k else ""
    c.run(f"{PYTHON} -m pytest -q{select}", env=env)


@task
def lint(c: Context) -> None:
    """ruff and mypy over the package, tests and benchmarks."""
    c.run(f"{PYTHON} -m ruff check faasm_cli tests bench tasks.py")
    c.run(f"{PYTHON} -m ruff format --check faasm_cli tests bench tasks.py")
    c.run(f"{PYTHON} -m mypy")


@task
def bench(c: Context) -> None:
    """Run every benchmark under bench/ and print its figures."""
    c.run(f"{PYTHON} -m bench")
