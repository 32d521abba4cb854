"""Starter functions and projects: what `faasm new` and `faasm init` write.

Each starter compiles and runs as written (a test builds and runs the C and C++ ones), so a new
user's first command already works; its comments say where to go next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from string import Template

from faasm_cli import settings
from faasm_cli.config import PROJECT_FILE, SOURCE_SUFFIXES, Project
from faasm_cli.errors import BadInput
from faasm_cli.names import check_function, check_user


class Language(StrEnum):
    c = "c"
    cpp = "cpp"
    py = "py"

    @property
    def suffix(self) -> str:
        return f".{self.value}"


_CPP = Template("""\
// $user/$function: a Faasm function. It answers "Hello, <input>!" ("Hello, world!" with no input).
//
//   faasm run $user $function --input Faasm      (compiles first whenever this file changed)
//
// The API is in faasm/faasm.h: input and output are bytes; faasmChainThis/faasmChainFunction
// call other functions; faasmReadState/faasmWriteState keep data between calls.
#include "faasm/faasm.h"

#include <string>

FAASM_MAIN_FUNC()
{
    // The input: whatever bytes the caller sent (--input, --input-file, or an invoke).
    std::string name(faasmGetInputSize(), '\\0');
    faasmGetInput(reinterpret_cast<unsigned char*>(name.data()), name.size());
    if (name.empty()) {
        name = "world";
    }

    // The output goes back to the caller (`faasm run` writes it to stdout).
    faasm::setStringOutput("Hello, " + name + "!");

    // The return value is the call's status: 0 is success, anything else a failure.
    return 0;
}
""")

_C = Template("""\
/* $user/$function: a Faasm function. It answers "Hello, <input>!" ("Hello, world!" with no input).
 *
 *   faasm run $user $function --input Faasm      (compiles first whenever this file changed)
 *
 * The API is in faasm/faasm.h: input and output are bytes; faasmChainThis/faasmChainFunction
 * call other functions; faasmReadState/faasmWriteState keep data between calls. */
#include <stdio.h>
#include <stdlib.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    /* The input: whatever bytes the caller sent (--input, --input-file, or an invoke). */
    long size = faasmGetInputSize();
    char* name = malloc(size + 1);
    faasmGetInput((unsigned char*)name, size);
    name[size] = '\\0';

    /* The output goes back to the caller (`faasm run` writes it to stdout). */
    long capacity = size + sizeof "Hello, world!";
    char* greeting = malloc(capacity);
    int length = snprintf(greeting, capacity, "Hello, %s!", size ? name : "world");
    faasmSetOutput((const unsigned char*)greeting, length);
    free(greeting);
    free(name);

    /* The return value is the call's status: 0 is success, anything else a failure. */
    return 0;
}
""")

_PY = Template('''\
"""$user/$function: a Faasm function in Python. It answers "Hello, <input>!".

    faasm run $user $function --input Faasm

Python functions run on CPython compiled to wasm (`faasm python build` makes it once); pyfaasm
is its API: input and output are bytes, and pyfaasm.core also chains calls and reads and writes
state. `@faasm_main` marks what a call runs.
"""

from pyfaasm.code import faasm_main
from pyfaasm.core import get_input, set_output


@faasm_main
def main() -> int:
    # The input: whatever bytes the caller sent (--input, --input-file, or an invoke).
    name = get_input().decode() or "world"

    # The output goes back to the caller (`faasm run` writes it to stdout).
    set_output(f"Hello, {name}!".encode())

    # The return value is the call's status: 0 is success, anything else a failure.
    return 0
''')

_TEMPLATES = {Language.c: _C, Language.cpp: _CPP, Language.py: _PY}
GITIGNORE_LINE = "build/"


def new_function(
    project: Project, user: str, function: str, language: Language, force: bool = False
) -> Path:
    """Write the starter function `user/function`; an existing one is replaced only with
    `force` (every source of it, so the new file is the one that builds)."""
    check_user(user)
    check_function(function)
    existing = [
        path
        for suffix in SOURCE_SUFFIXES
        if (path := project.func_dir / user / f"{function}{suffix}").exists()
    ]
    if existing and not force:
        raise BadInput(
            f"function {user}/{function} already exists: {existing[0]}",
            "pick another name, or pass --force to replace it",
        )
    for path in existing:
        path.unlink()
    target = project.func_dir / user / f"{function}{language.suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_TEMPLATES[language].substitute(user=user, function=function))
    return target


@dataclass
class NewProject:
    """What `init_project` did: the files and folders it made, and those it left as they were."""

    root: Path
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def init_project(directory: Path, force: bool = False) -> NewProject:
    """Make `directory` a project: `func/`, a `.gitignore` ignoring `build/` and a commented
    `faasm.toml`. Existing files are kept (`.gitignore` gains the line it lacks); an existing
    `faasm.toml` is refused unless `force`, since it may hold settings."""
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise BadInput(f"{root} is a file, not a directory", "name a new or existing directory")
    settings_file = root / PROJECT_FILE
    if settings_file.exists() and not force:
        raise BadInput(
            f"{root} is already a faasm project ({settings_file} exists)",
            "edit it, or pass --force to rewrite it",
        )
    done = NewProject(root)
    func_dir = root / "func"
    (done.kept if func_dir.is_dir() else done.created).append(func_dir)
    func_dir.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(settings.starter_file())
    done.created.append(settings_file)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(GITIGNORE_LINE + "\n")
        done.created.append(gitignore)
    else:
        lines = gitignore.read_text().splitlines()
        if GITIGNORE_LINE not in lines and "/" + GITIGNORE_LINE not in lines:
            gitignore.write_text("".join(line + "\n" for line in [*lines, GITIGNORE_LINE]))
        done.kept.append(gitignore)
    return done
