"""`faasm python build`: CPython 3.11 cross-compiled to wasm32-wasi by our own toolchain.

Debian's `python3.11` and `zlib` source packages are fetched with `apt-get source` through a
private apt configuration under the cache (its own deb-src list, package lists and downloads), so
the machine's apt sources are never changed. They are built with the clang + wasi-libc sysroot
the system backend compiles functions with, and the recipe in `toolchain/python/`: the
timemodule patch (wasi-libc's CLOCK_* are pointers), `Setup.local` (the `_pyfaasm` host-interface
module built in, CPython's test modules left out) and `_pyfaasm.c`. The stdlib is precompiled by
the build Python (same 3.11 magic number) for a read-only mount.

The result lives in `cache_dir()/python/<key>`, keyed by the recipe, the source packages'
versions, the build Python and the toolchain identity; `current` names the last one built.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from faasm_cli.config import PYTHON_CACHE, cache_dir, toolchain_dir
from faasm_cli.errors import CompileFailed, NotFound, ToolchainMissing
from faasm_cli.toolchain.packages import (
    BUILD_PYTHON,
    LLVM_BIN,
    PYTHON_BUILD_TOOLS,
    apt_install_command,
    wasi_sdk_path,
)
from faasm_cli.toolchain.system_backend import SystemBackend

LogSink = Callable[[str], None]
_T = TypeVar("_T")

PYTHON_VERSION = "3.11"
SOURCE_PACKAGES = ("python3.11", "zlib")
RECIPE_FILES = ("_pyfaasm.c", "timemodule-wasi-clocks.patch", "Setup.local")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# CPython's default OPT less -g (debug info would triple python.wasm for no use at run time),
# plus ThinLTO: clang emits bitcode and wasm-ld optimises across CPython's files at each link
# (CPython's --with-lto assumes a host toolchain, so the flags are given here): kernels 3-7% faster,
# the build about twice as long (the link does the code generation).
OPT_FLAGS = "-DNDEBUG -fwrapv -O3 -Wall -msimd128 -flto=thin"
LTO_LINK_FLAGS = ("-flto=thin", "-Wl,--lto-O3")
# python.wasm (the WASI command: build checks and tests, never a function) is code-generated
# without optimisation, so the build pays the full optimisation once, for function.wasm.
COMMAND_LINK_FLAGS = ("-flto=thin", "-Wl,--lto-O0")
# configure leaves pymalloc off for WASI; on, small objects come from its pools rather than
# wasi-libc's dlmalloc: kernels 7-11% faster (json and pickle most).
CONFIGURE_OPTIONS = ("--with-pymalloc",)
# Parts of Lib/ no function can use on wasm (GUIs, pip's installer) or only CPython's tests need.
STDLIB_EXCLUDED = frozenset(
    {"test", "tests", "idlelib", "tkinter", "turtledemo", "ensurepip", "__pycache__"}
)
BUILD_MINUTES = "about 3 minutes on 2 cores"  # 139 s measured from a clean cache, idle
# What the interpreter is linked from (besides libz.a), kept to link the function module.
LINK_ARCHIVES = (
    f"libpython{PYTHON_VERSION}.a",
    "Modules/_decimal/libmpdec/libmpdec.a",
    "Modules/expat/libexpat.a",
)
LINK_LIBRARIES = (
    "-lwasi-emulated-signal",
    "-lwasi-emulated-getpid",
    "-lwasi-emulated-process-clocks",
    "-lm",
)
# The function module: toolchain/python/entry.c with libfaasm's entry points (brk/sbrk, the
# per-call preopens), linked as FaasmToolchain.cmake links functions: a reactor, stack first.
LIBFAASM_SOURCES = ("entry.c", "preopens.c", "memory.c")
FUNCTION_LINK_FLAGS = (
    "-mexec-model=reactor",
    "-Wl,--stack-first",
    "-Wl,-z,stack-size=4194304",
    "-Wl,--strip-debug",
)

# Inside the guest: PYTHONHOME is "/", so the stdlib is looked for under /lib/python3.11. The
# runtime's guest/ folder is mounted read-only at "/": it holds nothing but that stdlib.
GUEST_HOME = "/"
GUEST_LIB = "/lib"


@dataclass(frozen=True)
class PythonRuntime:
    """A built CPython for wasm: the interpreter, its stdlib, and what it was made from."""

    root: Path
    manifest: Mapping[str, object]

    @property
    def wasm(self) -> Path:
        """The interpreter as a WASI command (`python.wasm -c ...`)."""
        return self.root / "python.wasm"

    @property
    def guest_root(self) -> Path:
        """The host folder mounted read-only at "/" in the guest: lib/python3.11 only."""
        return self.root / "guest"

    @property
    def stdlib(self) -> Path:
        return self.guest_root / GUEST_LIB.lstrip("/") / f"python{PYTHON_VERSION}"

    @property
    def link_dir(self) -> Path:
        """libpython, libz and the headers, to link other entry points against the interpreter."""
        return self.root / "link"

    @property
    def function_wasm(self) -> Path:
        """The interpreter as a Faasm function (a reactor with libfaasm's entry points)."""
        return self.root / "function.wasm"

    @property
    def version(self) -> str:
        return str(self.manifest["python_version"])

    def guest_env(self) -> list[tuple[str, str]]:
        """The environment the interpreter needs in the guest."""
        return [("PYTHONHOME", GUEST_HOME), ("PYTHONDONTWRITEBYTECODE", "1")]


@dataclass(frozen=True)
class PythonBuild:
    """What `build_python` did."""

    runtime: PythonRuntime
    rebuilt: bool
    seconds: float


def python_cache(root: Path | None = None) -> Path:
    """cache_dir()/python, or `root`/python (tests share one build across isolated caches)."""
    return (root or cache_dir()) / PYTHON_CACHE


def installed_runtime(root: Path | None = None) -> PythonRuntime | None:
    """The last runtime built into the cache, or None."""
    folder = python_cache(root)
    try:
        key = (folder / "current").read_text().strip()
        manifest = json.loads((folder / key / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return PythonRuntime(folder / key, manifest)


def require_runtime(root: Path | None = None) -> PythonRuntime:
    """The built runtime, or a NotFound that says how to build it and how long that takes."""
    runtime = installed_runtime(root)
    if runtime is None:
        raise NotFound(
            "the Python runtime is not built",
            f"run `faasm python build` once: it takes {BUILD_MINUTES}",
        )
    return runtime


def build_python(
    *, on_log: LogSink, force: bool = False, root: Path | None = None, jobs: int | None = None
) -> PythonBuild:
    """Build (or find already built) the runtime for today's recipe, sources and toolchain."""
    folder = python_cache(root)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with _locked(folder / "build.lock"):
        steps = _Steps(folder / "build.log", on_log)
        steps.run_step("check tools", _check_tools)
        sources = steps.run_step("fetch sources", lambda: _fetch_sources(folder / "sources", steps))
        key = _build_key(sources)
        existing = installed_runtime(root)
        if not force and (folder / key / "manifest.json").is_file():
            (folder / "current").write_text(key)
            found = installed_runtime(root)
            assert found is not None
            remade = steps.run_step("function module", lambda: _finish(found, steps))
            return PythonBuild(remade or found, remade is not None, time.monotonic() - started)
        work = folder / "build"
        shutil.rmtree(work, ignore_errors=True)
        stage = folder / f"{key}.tmp"
        shutil.rmtree(stage, ignore_errors=True)
        recipe = _Recipe(work, stage, sources, steps, jobs or os.cpu_count() or 1)
        versions = recipe.build()
        manifest = {
            "key": key,
            "python_version": versions,
            "sources": {name: source.version for name, source in sources.items()},
            "toolchain": SystemBackend().identity().splitlines()[1],
            "build_seconds": round(time.monotonic() - started, 1),
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=1))
        shutil.rmtree(folder / key, ignore_errors=True)
        stage.rename(folder / key)
        (folder / "current").write_text(key)
        if existing is not None and existing.root.name != key:
            shutil.rmtree(existing.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        built = installed_runtime(root)
        assert built is not None
        steps.run_step("function module", lambda: _finish(built, steps))
        return PythonBuild(installed_runtime(root) or built, True, time.monotonic() - started)


def _overlay_files() -> list[Path]:
    """What the function module and the guest's pyfaasm are made from (not CPython itself)."""
    libfaasm = toolchain_dir() / "libfaasm"
    return [
        recipe_dir() / "entry.c",
        *sorted((recipe_dir() / "pyfaasm").glob("*.py")),
        *(libfaasm / "src" / name for name in LIBFAASM_SOURCES),
        *sorted((libfaasm / "include" / "faasm").glob("*.h")),
    ]


def _lto_link_flags(folder: Path, flags: tuple[str, ...] = LTO_LINK_FLAGS) -> list[str]:
    """`flags` with one ThinLTO cache for every link under `folder`: relinking the function
    module when only entry.c or pyfaasm changed reuses the code generated before."""
    return [*flags, f"-Wl,--thinlto-cache-dir={folder / 'lto-cache'}"]


def _overlay_key() -> str:
    digest = hashlib.sha256(" ".join([*FUNCTION_LINK_FLAGS, *LTO_LINK_FLAGS]).encode())
    for path in _overlay_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _finish(runtime: PythonRuntime, steps: _Steps) -> PythonRuntime | None:
    """Link the function module and install pyfaasm into the guest's stdlib, when either's
    sources changed (seconds: CPython is not rebuilt). The updated runtime, or None."""
    overlay = _overlay_key()
    if runtime.manifest.get("overlay") == overlay and runtime.function_wasm.is_file():
        return None
    scratch = runtime.root / "overlay.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    link = runtime.link_dir
    libfaasm = toolchain_dir() / "libfaasm"
    sysroot = scratch / "wasi-sysroot"
    cc = _compiler()
    if not wasi_sdk_path():
        for part in ("include", "lib"):
            (sysroot / part).mkdir(parents=True)
            (sysroot / part / "wasm32-wasi").symlink_to(f"/usr/{part}/wasm32-wasi")
        cc = [*cc, f"--sysroot={sysroot}"]
    flags = ["-O2", "-msimd128", f"-I{link / 'include'}", f"-I{libfaasm / 'include'}"]
    objects = []
    sources = [recipe_dir() / "entry.c", *(libfaasm / "src" / n for n in LIBFAASM_SOURCES)]
    for number, source in enumerate(sources):
        target = scratch / f"{number}-{source.stem}.o"
        steps.command(
            [*cc, *flags, f"-I{libfaasm / 'src'}", "-c", str(source), "-o", str(target)], scratch
        )
        objects.append(str(target))
    archives = [str(link / Path(a).name) for a in LINK_ARCHIVES] + [str(link / "libz.a")]
    wasm = scratch / "function.wasm"
    link_flags = [*FUNCTION_LINK_FLAGS, *_lto_link_flags(runtime.root.parent)]
    steps.command(
        [*cc, *link_flags, *objects, *archives, *LINK_LIBRARIES, "-o", str(wasm)], scratch
    )
    package = runtime.stdlib / "pyfaasm"
    shutil.rmtree(package, ignore_errors=True)
    shutil.copytree(recipe_dir() / "pyfaasm", package, ignore=shutil.ignore_patterns("__pycache__"))
    _precompile(package, runtime.guest_root / GUEST_LIB.lstrip("/"), steps, scratch)
    wasm.replace(runtime.function_wasm)
    shutil.rmtree(scratch)
    manifest = {**runtime.manifest, "overlay": overlay}
    (runtime.root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return PythonRuntime(runtime.root, manifest)


def _precompile(target: Path, lib: Path, steps: _Steps, cwd: Path) -> None:
    """Unchecked hash-based .pyc (never compared with the sources: the mount is read-only),
    recording guest paths (/lib/python3.11/...) for tracebacks."""
    steps.command(
        [
            str(BUILD_PYTHON),
            "-m",
            "compileall",
            "-q",
            "-j0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(lib),
            "-p",
            GUEST_LIB,
            str(target),
        ],
        cwd,
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class _Steps:
    """Numbered steps writing their commands' output to one log; a failure names both."""

    TOTAL = 9

    def __init__(self, log: Path, on_log: LogSink) -> None:
        self.log = log
        self.on_log = on_log
        self.number = 0
        self.step = ""
        log.write_text("")

    def run_step(self, name: str, work: Callable[[], _T]) -> _T:
        self.number += 1
        self.step = name
        self.on_log(f"[{self.number}/{self.TOTAL}] {name}")
        self._write(f"==== {name}\n")
        return work()

    def _write(self, text: str) -> None:
        with self.log.open("a") as handle:
            handle.write(text)

    def command(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
        """Run argv, output appended to the log; its stdout, or CompileFailed naming the step."""
        self._write(f"$ {' '.join(argv)}\n")
        try:
            done = subprocess.run(
                list(argv),
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                check=False,
            )
        except OSError as problem:
            self._write(f"{problem}\n")
            self.fail(f"{argv[0]} could not run: {problem.strerror}")
        self._write(done.stdout)
        if done.returncode != 0:
            self.fail(f"{Path(argv[0]).name} exited with {done.returncode}")
        return done.stdout

    def fail(self, reason: str) -> None:
        raise CompileFailed(
            f"the Python build failed at step '{self.step}': {reason}",
            f"the full output is in {self.log}",
        )


def _check_tools() -> None:
    SystemBackend().check()
    missing = [pkg for tool, pkg in PYTHON_BUILD_TOOLS.items() if not _have_tool(tool)]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ToolchainMissing(
            f"the Python build needs {', '.join(missing)}",
            f"run `{apt_install_command(missing)}`",
        )
    argv = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(argv, env=env, capture_output=True, check=False).returncode != 0:
        raise ToolchainMissing(
            f"apt-get could not install {', '.join(missing)}",
            f"run `apt-get update && {apt_install_command(missing)}`",
        )


def _have_tool(tool: str) -> bool:
    return Path(tool).is_file() if tool.startswith("/") else shutil.which(tool) is not None


@dataclass(frozen=True)
class _Source:
    """One downloaded Debian source package."""

    name: str
    version: str
    dsc: Path


def _apt_options(apt: Path) -> list[str]:
    """apt-get options that keep every file apt touches under `apt` (the machine's apt sources,
    lists and caches stay as they are)."""
    options = {
        "Dir::Etc::SourceList": apt / "sources.list",
        "Dir::Etc::SourceParts": apt / "sources.list.d",
        "Dir::State::Lists": apt / "lists",
        "Dir::Cache": apt / "cache",
    }
    argv = [part for item, value in options.items() for part in ("-o", f"{item}={value}")]
    if os.geteuid() == 0:
        argv += ["-o", "APT::Sandbox::User=root"]  # its _apt user cannot write our cache
    return argv


def _codename() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip('"') or "bookworm"
    except OSError:
        pass
    return "bookworm"


def _fetch_sources(folder: Path, steps: _Steps) -> dict[str, _Source]:
    """Download the source packages (once; later builds reuse the files apt already has)."""
    apt = folder / "apt"
    for part in ("lists/partial", "cache/archives/partial", "sources.list.d"):
        (apt / part).mkdir(parents=True, exist_ok=True)
    codename = _codename()
    (apt / "sources.list").write_text(
        f"deb-src {DEBIAN_MIRROR} {codename} main\n"
        f"deb-src {DEBIAN_MIRROR} {codename}-updates main\n"
    )
    options = _apt_options(apt)
    steps.command(["apt-get", *options, "update"], folder)
    # Run where no source is downloaded yet: apt lists only the files it would still fetch.
    listing = steps.command(["apt-get", *options, "source", "--print-uris", *SOURCE_PACKAGES], apt)
    steps.command(["apt-get", *options, "source", "--download-only", *SOURCE_PACKAGES], folder)
    found: dict[str, _Source] = {}
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].endswith(".dsc"):
            name, version = fields[1].removesuffix(".dsc").split("_", 1)
            found[name] = _Source(name, version, folder / fields[1])
    if set(found) != set(SOURCE_PACKAGES):
        steps.fail(f"apt-get found no source for {sorted(set(SOURCE_PACKAGES) - set(found))}")
    return found


def _build_key(sources: Mapping[str, _Source]) -> str:
    digest = hashlib.sha256()
    for name in RECIPE_FILES:
        digest.update(name.encode() + b"\0" + (recipe_dir() / name).read_bytes())
    digest.update(_host_interface_header().read_bytes())
    for source in sorted(sources.values(), key=lambda s: s.name):
        digest.update(f"{source.name}={source.version}\n".encode())
    flags = [
        OPT_FLAGS,
        *LTO_LINK_FLAGS,
        *COMMAND_LINK_FLAGS,
        *CONFIGURE_OPTIONS,
        *sorted(STDLIB_EXCLUDED),
    ]
    digest.update("\n".join(flags).encode())
    digest.update(_first_line([str(BUILD_PYTHON), "--version"]).encode())
    digest.update(SystemBackend().identity().encode())
    return f"cpython-{PYTHON_VERSION}-{digest.hexdigest()[:16]}"


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return f"{argv[0]}: not runnable"
    return (done.stdout or done.stderr).strip()


def recipe_dir() -> Path:
    """The recipe files, shipped with the toolchain files."""
    return toolchain_dir() / "python"


def _host_interface_header() -> Path:
    return toolchain_dir() / "libfaasm" / "include" / "faasm" / "host_interface.h"


def _compiler() -> list[str]:
    """clang for wasm32-wasi with the sysroot the system backend uses."""
    sdk = wasi_sdk_path()
    if sdk:
        return [str(sdk / "bin" / "clang"), f"--sysroot={sdk / 'share' / 'wasi-sysroot'}"]
    return [str(LLVM_BIN / "clang"), "--target=wasm32-wasi"]


class _Recipe:
    """The build proper: unpack, zlib, configure, make, stdlib, in a scratch folder."""

    def __init__(
        self, work: Path, stage: Path, sources: Mapping[str, _Source], steps: _Steps, jobs: int
    ) -> None:
        self.work = work
        self.stage = stage
        self.sources = sources
        self.steps = steps
        self.jobs = jobs
        self.src = work / "cpython"
        self.zlib = work / "zlib"
        self.out = work / "out"
        self.sysroot = work / "wasi-sysroot"

    def build(self) -> str:
        """Run every step; the built Python's version."""
        self.steps.run_step("unpack", self._unpack)
        self.steps.run_step("zlib", self._zlib)
        self.steps.run_step("configure", self._configure)
        self.steps.run_step("make", self._make)
        self.steps.run_step("stdlib", self._stdlib)
        self.steps.run_step("install", self._install)
        return self._version()

    def _cc(self) -> list[str]:
        cc = _compiler()
        return cc if wasi_sdk_path() else [*cc, f"--sysroot={self.sysroot}"]

    def _unpack(self) -> None:
        self.work.mkdir(parents=True)
        # A clean sysroot of links, as FaasmToolchain.cmake makes: no host header can leak in.
        if not wasi_sdk_path():
            for part in ("include", "lib"):
                (self.sysroot / part).mkdir(parents=True)
                (self.sysroot / part / "wasm32-wasi").symlink_to(f"/usr/{part}/wasm32-wasi")
        for name, target in (("python3.11", self.src), ("zlib", self.zlib / "src")):
            target.parent.mkdir(parents=True, exist_ok=True)
            self.steps.command(
                ["dpkg-source", "--no-copy", "-x", str(self.sources[name].dsc), str(target)],
                self.work,
            )
        patch = recipe_dir() / "timemodule-wasi-clocks.patch"
        self.steps.command(["patch", "-p1", "--forward", "-i", str(patch)], self.src)
        shutil.copy(recipe_dir() / "_pyfaasm.c", self.src / "Modules" / "_pyfaasm.c")

    def _zlib(self) -> None:
        """zlib's library sources are the .c files at its top level; a static libz.a."""
        objects = self.zlib / "obj"
        objects.mkdir()
        defines = ["-O3", "-msimd128", "-DHAVE_UNISTD_H", "-DHAVE_STDARG_H", "-w"]
        for source in sorted((self.zlib / "src").glob("*.c")):
            target = objects / f"{source.stem}.o"
            self.steps.command(
                [*self._cc(), *defines, "-c", str(source), "-o", str(target)], self.zlib
            )
        (self.zlib / "lib").mkdir()
        (self.zlib / "include").mkdir()
        archive = self.zlib / "lib" / "libz.a"
        members = sorted(str(o) for o in objects.glob("*.o"))
        self.steps.command([str(LLVM_BIN / "llvm-ar"), "rcs", str(archive), *members], self.zlib)
        for header in ("zlib.h", "zconf.h"):
            shutil.copy(self.zlib / "src" / header, self.zlib / "include" / header)

    def _configure(self) -> None:
        (self.out / "Modules").mkdir(parents=True)
        setup = (recipe_dir() / "Setup.local").read_text()
        include = _host_interface_header().parent.parent
        (self.out / "Modules" / "Setup.local").write_text(
            setup.replace("@LIBFAASM_INCLUDE@", str(include))
        )
        build = self.steps.command(["sh", str(self.src / "config.guess")], self.src).strip()
        empty_pkgconfig = self.work / "pkgconfig"
        empty_pkgconfig.mkdir()
        env = {
            "CC": " ".join(self._cc()),
            "AR": str(LLVM_BIN / "llvm-ar"),
            "RANLIB": str(LLVM_BIN / "llvm-ranlib"),
            "OPT": OPT_FLAGS,
            "LDFLAGS": " ".join(_lto_link_flags(self.work.parent, COMMAND_LINK_FLAGS)),
            "CONFIG_SITE": str(self.src / "Tools" / "wasm" / "config.site-wasm32-wasi"),
            # The host's pkg-config would offer host libraries (lzma, uuid) to a wasm build.
            "PKG_CONFIG_PATH": "",
            "PKG_CONFIG_LIBDIR": str(empty_pkgconfig),
            "ZLIB_CFLAGS": f"-I{self.zlib / 'include'}",
            "ZLIB_LIBS": f"-L{self.zlib / 'lib'} -lz",
        }
        self.steps.command(
            [
                str(self.src / "configure"),
                "--host=wasm32-unknown-wasi",
                f"--build={build}",
                f"--with-build-python={BUILD_PYTHON}",
                "--prefix=/",
                *CONFIGURE_OPTIONS,
            ],
            self.out,
            env,
        )

    def _make(self) -> None:
        self.steps.command(["make", f"-j{self.jobs}"], self.out)

    def _stdlib(self) -> None:
        """Lib/ less what no function can use, precompiled for a read-only mount: unchecked
        hash-based .pyc (never compared with the sources), recording guest paths."""
        lib = self.stage / "guest" / GUEST_LIB.lstrip("/")
        target = lib / f"python{PYTHON_VERSION}"
        shutil.copytree(
            self.src / "Lib",
            target,
            ignore=lambda _folder, names: [n for n in names if n in STDLIB_EXCLUDED],
        )
        pybuilddir = (self.out / "pybuilddir.txt").read_text().strip()
        for generated in (self.out / pybuilddir).glob("_sysconfigdata_*.py"):
            shutil.copy(generated, target / generated.name)
            # Debian's sysconfig names it without the platform (_sysconfigdata_{abiflags}_
            # {multiarch}): without this copy, sysconfig.get_config_vars() (pydoc, ...) fails.
            shutil.copy(generated, target / generated.name.replace("_wasi_", "_", 1))
        (target / "site-packages").mkdir(exist_ok=True)
        _precompile(target, lib, self.steps, self.work)

    def _install(self) -> None:
        shutil.copy(self.out / "python.wasm", self.stage / "python.wasm")
        link = self.stage / "link"
        (link / "include").mkdir(parents=True)
        for archive in LINK_ARCHIVES:
            shutil.copy(self.out / archive, link)
        shutil.copy(self.zlib / "lib" / "libz.a", link)
        shutil.copytree(self.src / "Include", link / "include", dirs_exist_ok=True)
        shutil.copy(self.out / "pyconfig.h", link / "include" / "pyconfig.h")

    def _version(self) -> str:
        header = (self.src / "Include" / "patchlevel.h").read_text()
        for line in header.splitlines():
            if line.startswith("#define PY_VERSION "):
                return line.split('"')[1]
        return PYTHON_VERSION


__all__ = [
    "BUILD_MINUTES",
    "GUEST_LIB",
    "PythonBuild",
    "PythonRuntime",
    "build_python",
    "installed_runtime",
    "require_runtime",
]
