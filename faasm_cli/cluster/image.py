"""The cluster image (`deploy/cluster.Dockerfile`) that docker-compose.yml runs.

The build context is the Dockerfile plus the wheels of this package and its dependencies, made
on the host by `pip wheel` with the host's own pip settings (index, certificates): the build then
needs only the Debian mirror, as the toolchain image does. It also carries the host's Python
runtime (`faasm python build`: CPython for wasm takes minutes to build, so it is built once on
the host, not in the image), the files a worker runs Python functions with; without one the
build stops and says so, unless asked for an image without Python.

`python -m faasm_cli.cluster.image build [--base-image X] [--without-python]` is the entry point
for CI and `inv cluster-image`.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from faasm_cli import __version__
from faasm_cli.errors import NotFound, ToolchainMissing
from faasm_cli.toolchain.docker_backend import LogFn, connect, default_base_image, stream_build
from faasm_cli.toolchain.python import BUILD_MINUTES, PythonRuntime, installed_runtime, python_cache

IMAGE = f"faasm/cluster:{__version__}"
"""The tag docker-compose.yml names for every service."""

# Debian bookworm's python3 and glibc: wheels are chosen for them, not for the host's Python (whose
# dependency markers may differ, e.g. redis needs async-timeout below 3.11.3).
IMAGE_PYTHON = "3.11.2"
# pip evaluates dependency markers for the host's Python, not IMAGE_PYTHON: what the image's Python
# needs beyond that is named here (redis-py requires async-timeout below 3.11.3).
IMAGE_EXTRA_REQUIREMENTS = ("async-timeout>=4.0.3",)
IMAGE_GLIBC_MINOR = 36
# pip does not widen an explicit --platform to older glibc: every manylinux tag, named.
IMAGE_PLATFORMS = [
    *(f"manylinux_2_{minor}_x86_64" for minor in range(5, IMAGE_GLIBC_MINOR + 1)),
    *("manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"),
]

SOURCE_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = SOURCE_ROOT / "deploy" / "cluster.Dockerfile"


def _wheels(into: Path, on_log: LogFn) -> None:
    if not (SOURCE_ROOT / "pyproject.toml").is_file() or not DOCKERFILE.is_file():
        raise NotFound(
            f"no faasm-cli source tree at {SOURCE_ROOT}",
            "build the cluster image from a clone of the repository",
        )
    on_log(f"pip wheel {SOURCE_ROOT}, then its dependencies for the image's Python")
    ours = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(into)]
    _pip([*ours, str(SOURCE_ROOT)])
    wheel = next(into.glob("faasm_cli-*.whl"))
    deps = [sys.executable, "-m", "pip", "download", "-q", "-d", str(into)]
    deps += ["--only-binary=:all:", "--implementation", "cp"]
    deps += ["--abi", "cp311", "--abi", "abi3", "--abi", "none"]
    deps += ["--python-version", IMAGE_PYTHON, str(wheel), *IMAGE_EXTRA_REQUIREMENTS]
    deps += [option for tag in IMAGE_PLATFORMS for option in ("--platform", tag)]
    _pip(deps)


def _pip(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ToolchainMissing(
            f"making the wheels for {IMAGE} failed: {last}", "check pip's access"
        )


def _python_runtime(without_python: bool, on_log: LogFn) -> PythonRuntime | None:
    """The host's Python runtime for the image, None when the image is to have none."""
    if without_python:
        on_log(f"no Python runtime in {IMAGE} (--without-python): Python functions will fail")
        return None
    runtime = installed_runtime()
    if runtime is None:
        raise NotFound(
            f"no Python runtime on this host to put in {IMAGE}",
            f"run `faasm python build` first ({BUILD_MINUTES}), or build with --without-python",
        )
    on_log(f"Python runtime {runtime.root.name} from {runtime.root}")
    return runtime


def _add_python(tar: tarfile.TarFile, runtime: PythonRuntime) -> None:
    """The runtime as `installed_runtime` finds it under a cache root (its `current` pointer and
    its folder), less what only building and the WASI command use (link/, python.wasm)."""
    left_out = {runtime.link_dir, runtime.wasm}
    key = runtime.root.name.encode()  # this runtime's, even if the host builds another meanwhile
    current = tarfile.TarInfo("python/current")
    current.size, current.mode = len(key), 0o644
    tar.addfile(current, io.BytesIO(key))
    for path in sorted(runtime.root.iterdir()):
        if path not in left_out:
            tar.add(path, arcname=f"python/{path.relative_to(python_cache())}")


def _context(wheels: Path, python: PythonRuntime | None) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(DOCKERFILE, arcname="Dockerfile")
        tar.add(wheels, arcname="wheels")
        if python is None:
            folder = tarfile.TarInfo("python")  # COPY needs the folder: an empty one
            folder.type, folder.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(folder)
        else:
            _add_python(tar, python)
    buffer.seek(0)
    return buffer


def build_image(on_log: LogFn, base_image: str | None = None, without_python: bool = False) -> str:
    """Build `IMAGE`; its id."""
    python = _python_runtime(without_python, on_log)
    client = connect()
    base = base_image or default_base_image(client)
    with tempfile.TemporaryDirectory(prefix="faasm-wheels-") as scratch:
        _wheels(Path(scratch), on_log)
        on_log(f"building {IMAGE} on {base or 'debian:bookworm-slim'}")
        return stream_build(
            client,
            _context(Path(scratch), python),
            IMAGE,
            {"BASE_IMAGE": base} if base else {},
            {},
            on_log,
            f"check that the base image {base} exists and the Debian mirror is reachable",
        )


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faasm_cli.cluster.image")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help=f"build {IMAGE}")
    build.add_argument("--base-image", default=None, help="BASE_IMAGE build argument")
    build.add_argument(
        "--without-python",
        action="store_true",
        help="build without the host's Python runtime (Python functions then fail)",
    )
    args = parser.parse_args(argv)

    def emit(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        emit(f"built {IMAGE}: {build_image(emit, args.base_image, args.without_python)}")
    except (ToolchainMissing, NotFound) as exc:
        sys.stderr.write(f"error: {exc.message}\nhint: {exc.hint}\n")
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
