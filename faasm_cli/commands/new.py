"""`faasm new` and `faasm init`: start a function, or a project, that runs as written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faasm_cli import console, scaffold
from faasm_cli.commands.options import FuncDirOption, UserArg, VerboseOption
from faasm_cli.config import Project
from faasm_cli.scaffold import Language

ForceOption = Annotated[bool, typer.Option("--force", help="Replace what is already there.")]


def new_command(
    user: UserArg,
    function: Annotated[str, typer.Argument(help="The new function's name.")],
    lang: Annotated[
        Language,
        typer.Option(
            "--lang",
            help="The language. A py function runs on the Python runtime (`faasm python build` "
            "makes it once).",
        ),
    ] = Language.cpp,
    force: ForceOption = False,
    func_dir: FuncDirOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Write a commented starter function, func/USER/FUNCTION.{cpp,c,py}, that runs as written.

    The project is the nearest folder, from here up, with faasm.toml or func/ (see `faasm init`).

    Examples:

      faasm new demo greet && faasm run demo greet --input Faasm

      faasm new demo greet --lang c --force
    """
    project = Project.locate(func_dir)
    path = scaffold.new_function(project, user, function, lang, force)
    console.success(f"wrote {path}")
    console.info(f"next: faasm run {user} {function} --input Faasm")


def init_command(
    directory: Annotated[
        Path, typer.Argument(help="The project's folder (made if missing).", show_default=False)
    ] = Path("."),
    force: ForceOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Make a new project: func/ for the sources, a .gitignore and a commented faasm.toml.

    Every command then finds the project from any folder inside it.

    Examples:

      faasm init hello-faasm && cd hello-faasm && faasm new demo hello

      faasm init
    """
    made = scaffold.init_project(directory, force)
    for path in made.created:
        console.success(f"created {path}")
    for path in made.kept:
        console.info(f"kept {path}")
    console.info(f"next: cd {made.root} && faasm new demo hello && faasm run demo hello")
