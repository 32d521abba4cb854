"""Files the user names on the command line (`--input-file`, `--wasm`, `state --file`): one
check, so that every option says the same thing about a missing path or a folder."""

from __future__ import annotations

from pathlib import Path

from faasm_cli.errors import BadInput, NotFound


def file_to_read(path: Path, option: str) -> Path:
    """`path` if it is a file to read; a folder is named as one rather than "missing"."""
    if path.is_dir():
        raise BadInput(f"{path} is a directory, not a file", f"give {option} a file's path")
    if not path.is_file():
        raise NotFound(f"file {path} does not exist", f"check the path given to {option}")
    return path


def file_to_write(path: Path, option: str) -> Path:
    """`path` if a file can be written there: not a folder, and in a folder that exists."""
    if path.is_dir():
        raise BadInput(f"{path} is a directory, not a file", f"give {option} a file's path")
    if not path.parent.is_dir():
        raise NotFound(
            f"folder {path.parent} does not exist", f"make it, or give {option} another path"
        )
    return path
