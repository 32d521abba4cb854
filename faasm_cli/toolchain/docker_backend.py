"""The container toolchain backend ("docker").

Runs each build step (cmake, clang, ...) in a throwaway container from the toolchain image built
from `toolchain/Dockerfile` with the host backend's Debian package list, so both produce the
same wasm. The container sees the project and the shipped toolchain files at their host paths
(the toolchain read-only), has no network, and runs as the caller's uid/gid so every output file
belongs to the caller. Logs are streamed line by line while the step runs.

Also builds that image (`build_image`), and has a small entry point for CI:
`python -m faasm_cli.toolchain.docker_backend build|check|identity`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from faasm_cli import __version__
from faasm_cli.config import toolchain_dir
from faasm_cli.errors import BadInput, ToolchainMissing
from faasm_cli.toolchain.packages import SYSTEM_PACKAGES

IMAGE = f"faasm/toolchain:{__version__}"
"""Tag of the toolchain image; `build_image` makes it, `DockerBackend` runs it."""

LOCAL_BASE_IMAGE = "faasm/bookworm-base"
"""Base image made with debootstrap + `docker import` where no registry is reachable."""

DOCKERFILE_LABEL = "org.faasm.dockerfile-sha256"
INSTALL_HINT = "run `faasm toolchain install --toolchain docker`"
DAEMON_HINT = (
    "start a Docker daemon (e.g. `dockerd --storage-driver=overlay2 --iptables=false "
    "--bridge=none &`, or `.ci/docker-daemon.sh` in a faasm checkout) or point DOCKER_HOST at one"
)
BUILD_TIMEOUT_S = 3600

# Host directories that must never be bind-mounted over the image's own.
_SYSTEM_DIRS = tuple(
    Path(p)
    for p in (
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
        "/run", "/sbin", "/sys", "/usr", "/var/lib", "/var/run",
    )
)  # fmt: skip

LogFn = Callable[[str], None]


def dockerfile_path() -> Path:
    return toolchain_dir() / "Dockerfile"


def dockerfile_digest() -> str:
    """Digest of the Dockerfile and the packages it installs, stored as an image label to tell
    a stale image."""
    digest = hashlib.sha256(dockerfile_path().read_bytes())
    digest.update(b"\0" + " ".join(SYSTEM_PACKAGES).encode())
    return digest.hexdigest()


def _docker_host() -> str:
    return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


def _reason(exc: BaseException) -> str:
    """A short cause for a failed connection (the SDK nests urllib3 errors in its messages)."""
    text = str(exc)
    if "FileNotFoundError" in text or "No such file" in text:
        return "no socket there (is dockerd running?)"
    if "ConnectionRefused" in text or "Connection refused" in text:
        return "connection refused (is dockerd running?)"
    if "ermission denied" in text or "PermissionError" in text:
        return "permission denied on the socket"
    return text.splitlines()[0] if text else type(exc).__name__


def connect() -> Any:
    """A `docker.DockerClient` that answered a ping, or ToolchainMissing saying how to get one."""
    import docker  # lazy: importing the SDK costs ~100 ms and only this backend needs it
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
    except (DockerException, OSError) as exc:  # requests' errors are OSErrors
        reason = _reason(exc)
        if "ermission denied" in reason:
            hint = "run as root or add your user to the `docker` group"
        else:
            hint = DAEMON_HINT
        raise ToolchainMissing(
            f"cannot reach the Docker daemon at {_docker_host()}: {reason}", hint
        ) from exc
    return client


def _is_under(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _is_system(path: Path) -> bool:
    return path == Path("/") or any(_is_under(path, d) for d in _SYSTEM_DIRS)


def _project_root(cwd: Path) -> Path:
    """The nearest ancestor of cwd (itself included) holding a `func/` tree, else cwd."""
    for candidate in (cwd, *cwd.parents):
        if (candidate / "func").is_dir():
            return candidate
    return cwd


def _path_args(argv: Sequence[str]) -> Iterator[Path]:
    """Absolute paths named by argv: whole arguments or the value of `-DX=/path`/`--x=/path`."""
    for arg in argv[1:]:
        for text in (arg, arg.partition("=")[2]):
            if text.startswith("/"):
                yield Path(os.path.normpath(text))


def _mountable(path: Path) -> Path | None:
    """The directory to bind-mount so that `path` is visible, or None for system paths."""
    while not path.exists() and path != path.parent:
        path = path.parent
    if not path.is_dir():
        path = path.parent
    if len(path.parts) < 3 or _is_system(path) or _is_system(Path(os.path.realpath(path))):
        return None  # "/", "/tmp", "/root" or the image's own system directories
    return path


@dataclass(frozen=True)
class BindMount:
    """One bind mount: the host directory `source` seen at `target` (the path the caller used)."""

    source: str
    target: str
    read_only: bool


def plan_mounts(argv: Sequence[str], cwd: Path, toolchain: Path) -> list[BindMount]:
    """The bind mounts of one step: every path the step names is seen where the host sees it.

    The toolchain files read-only; the project root (nearest ancestor of cwd holding `func/`,
    else cwd) read-write; any other absolute path in argv (a func dir elsewhere, an output
    directory) through its nearest existing directory. System directories are never mounted.
    """
    toolchain = Path(os.path.abspath(toolchain))
    root = _project_root(Path(os.path.abspath(cwd)))
    if _is_system(root) or _is_system(Path(os.path.realpath(root))):
        raise BadInput(
            f"the docker toolchain cannot mount {root} into its container",
            "run the build from your project directory (the one holding func/)",
        )
    chosen: list[BindMount] = [BindMount(os.path.realpath(toolchain), str(toolchain), True)]
    wanted = {root, *(p for p in map(_mountable, _path_args(argv)) if p is not None)}
    for path in sorted(wanted, key=lambda p: (len(p.parts), str(p))):
        covered = [Path(m.target) for m in chosen]
        if any(_is_under(path, c) for c in covered):
            continue
        chosen.append(BindMount(os.path.realpath(path), str(path), False))
    return chosen


class DockerBackend:
    """Build steps in a container of the toolchain image (see module docstring)."""

    name = "docker"

    def __init__(self, image: str = IMAGE, client: Any = None, user: str | None = None) -> None:
        self.image = image
        self.user = user or f"{os.getuid()}:{os.getgid()}"  # "uid:gid" the steps run as
        self._client = client
        self._image_id: str | None = None

    def _docker(self) -> Any:
        if self._client is None:
            self._client = connect()
        return self._client

    def check(self) -> None:
        """ToolchainMissing with the fix when the daemon is unreachable or the image missing."""
        from docker.errors import DockerException, ImageNotFound

        client = self._docker()
        try:
            image = client.images.get(self.image)
        except ImageNotFound as exc:
            raise ToolchainMissing(
                f"the docker toolchain image {self.image} is missing", INSTALL_HINT
            ) from exc
        except (DockerException, OSError) as exc:
            raise ToolchainMissing(
                f"cannot inspect the docker toolchain image {self.image}: {exc}", DAEMON_HINT
            ) from exc
        labels = image.labels or {}
        if self.image == IMAGE and labels.get(DOCKERFILE_LABEL) != dockerfile_digest():
            raise ToolchainMissing(
                f"the docker toolchain image {self.image} was built from another Dockerfile",
                f"rebuild it: {INSTALL_HINT}",
            )
        self._image_id = str(image.id)

    def identity(self) -> str:
        """The image id: a rebuilt image means a new fingerprint."""
        if self._image_id is None:
            self.check()
        assert self._image_id is not None
        return f"docker:{self._image_id}"

    def run(self, argv: Sequence[str], cwd: Path, on_log: LogFn) -> int:
        """Run argv in a fresh container at cwd; stream its output; return its exit code."""
        from docker.errors import DockerException
        from docker.types import Mount

        if self._image_id is None:
            self.check()
        client = self._docker()
        cwd = Path(os.path.abspath(cwd))
        cwd.mkdir(parents=True, exist_ok=True)  # created by the caller, not by the daemon as root
        try:
            container = client.containers.create(
                self._image_id,
                command=list(argv),
                working_dir=str(cwd),
                mounts=[
                    Mount(m.target, m.source, type="bind", read_only=m.read_only)
                    for m in plan_mounts(argv, cwd, toolchain_dir())
                ],
                network_mode="none",
                user=self.user,
                environment={"HOME": "/tmp", "TMPDIR": "/tmp"},
                labels={"org.faasm.toolchain": "run"},
                stdin_open=False,
                tty=False,
            )
        except DockerException as exc:
            raise ToolchainMissing(
                f"cannot create a toolchain container: {exc}", DAEMON_HINT
            ) from exc
        try:
            stream = client.api.attach(container.id, stream=True, logs=True, demux=True)
            container.start()
            _demuxed_lines(stream, on_log)
            status = container.wait()
            return int(status.get("StatusCode", 1))
        except DockerException as exc:
            raise ToolchainMissing(f"the toolchain container failed: {exc}", DAEMON_HINT) from exc
        finally:
            with contextlib.suppress(DockerException):
                container.remove(force=True)


def _demuxed_lines(stream: Iterable[tuple[bytes | None, bytes | None]], on_log: LogFn) -> None:
    """Line-split stdout and stderr separately so partial lines never interleave."""
    pending = {0: b"", 1: b""}
    for frame in stream:
        for fd, data in enumerate(frame):
            if not data:
                continue
            pending[fd] += data
            *complete, pending[fd] = pending[fd].split(b"\n")
            for line in complete:
                on_log(line.decode("utf-8", "replace").rstrip("\r"))
    for rest in pending.values():
        if rest:
            on_log(rest.decode("utf-8", "replace").rstrip("\r"))


def _context_tar() -> io.BytesIO:
    """Build context: the Dockerfile alone (nothing of the project goes into the image)."""
    data = dockerfile_path().read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def default_base_image(client: Any) -> str | None:
    """`FAASM_BASE_IMAGE`, else the debootstrap image if present, else the Dockerfile's default."""
    from docker.errors import ImageNotFound

    chosen = os.environ.get("FAASM_BASE_IMAGE")
    if chosen:
        return chosen
    try:
        client.images.get(LOCAL_BASE_IMAGE)
    except ImageNotFound:
        return None
    return LOCAL_BASE_IMAGE


def _build_hint(base: str | None) -> str:
    retry = INSTALL_HINT.removeprefix("run ")
    if base is None or base.startswith("debian:"):
        return (
            "without registry access make a local base image: `debootstrap --variant=minbase "
            "bookworm DIR http://deb.debian.org/debian && tar -C DIR -c . | docker import - "
            f"{LOCAL_BASE_IMAGE}`, then {retry} again"
        )
    return (
        f"check that the base image {base} exists and the Debian mirror is reachable "
        f"(the build uses the host network), then {retry} again"
    )


def build_image(on_log: LogFn, base_image: str | None = None, client: Any = None) -> str:
    """Build the toolchain image (host network, to reach the Debian mirror); its id."""
    client = client or connect()
    base = base_image or default_base_image(client)
    buildargs = {"PACKAGES": " ".join(SYSTEM_PACKAGES)}
    if base:
        buildargs["BASE_IMAGE"] = base
    on_log(f"building {IMAGE} from {dockerfile_path()} on {base or 'the default base image'}")
    return stream_build(
        client,
        _context_tar(),
        IMAGE,
        buildargs,
        {DOCKERFILE_LABEL: dockerfile_digest()},
        on_log,
        _build_hint(base),
    )


def stream_build(
    client: Any,
    context: IO[bytes],
    tag: str,
    buildargs: dict[str, str],
    labels: dict[str, str],
    on_log: LogFn,
    hint: str,
) -> str:
    """Build `tag` from a context tar on the host network (to reach the Debian mirror), its log
    streamed line by line to `on_log`; the image id. A failed step is one ToolchainMissing."""
    from docker.errors import DockerException

    image_id: str | None = None
    try:
        progress = client.api.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            buildargs=buildargs,
            labels=labels,
            network_mode="host",
            rm=True,
            forcerm=True,
            decode=True,
            timeout=BUILD_TIMEOUT_S,
        )
        for chunk in progress:
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                raise ToolchainMissing(
                    f"building the docker image {tag} failed: {str(detail).strip()}", hint
                )
            text = chunk.get("stream") or chunk.get("status")
            if text:
                for line in str(text).splitlines():
                    if line.strip():
                        on_log(line.rstrip())
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
        if image_id is None:
            image_id = str(client.images.get(tag).id)
    except DockerException as exc:
        raise ToolchainMissing(
            f"building the docker image {tag} failed: {exc}", DAEMON_HINT
        ) from exc
    return image_id


def _main(argv: Sequence[str] | None = None) -> int:
    """`python -m faasm_cli.toolchain.docker_backend build [--base-image X] | check | identity`.

    A plumbing entry point for CI scripts: plain lines on stdout, errors on stderr.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m faasm_cli.toolchain.docker_backend")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help=f"build {IMAGE}")
    build.add_argument("--base-image", default=None, help="BASE_IMAGE build argument")
    sub.add_parser("check", help="fail unless the daemon answers and the image is current")
    sub.add_parser("identity", help="print the image identity used in build fingerprints")
    args = parser.parse_args(argv)

    def emit(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        if args.command == "build":
            emit(f"built {IMAGE}: {build_image(emit, args.base_image)}")
        elif args.command == "check":
            DockerBackend().check()
            emit(f"{IMAGE} ok")
        else:
            emit(DockerBackend().identity())
    except ToolchainMissing as exc:
        sys.stderr.write(f"error: {exc.message}\nhint: {exc.hint}\n")
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
