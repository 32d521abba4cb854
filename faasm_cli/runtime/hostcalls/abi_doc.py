"""Generates docs/abi.md from the host interface table.

Run `python -m faasm_cli.runtime.hostcalls.abi_doc`.

The table in `interface.py` is the one definition; this page is derived from it and a test
checks the committed page is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from faasm_cli.runtime.hostcalls.interface import (
    EXPORT_ALLOC,
    EXPORT_CALL,
    EXPORT_FUNC_PREFIX,
    EXPORT_INITIALIZE,
    EXPORT_MEMORY,
    EXPORT_START,
    EXPORT_ZYGOTE,
    HOST_FUNCTIONS,
    IMPORT_MODULE,
)

GROUP_TITLES = {"io": "Input, output and call index", "chain": "Chaining", "state": "State"}


def render() -> str:
    lines = [
        "# The Faasm host interface (wasm ABI)",
        "",
        "<!-- Generated from faasm_cli/runtime/hostcalls/interface.py by "
        "`python -m faasm_cli.runtime.hostcalls.abi_doc`; do not edit. -->",
        "",
        f"Functions import these from module `{IMPORT_MODULE}`; everything else is WASI preview 1",
        "(with the project's shared files, if any, preopened read-only at `/`; no environment;",
        "stdout and stderr captured per call).",
        "All parameters and results are `i32`: pointers and lengths into the guest's linear",
        "memory, checked against it on every call (a bad range is a failed call).",
        "Strings (`name`, `key`) are NUL-terminated.",
        "",
    ]
    for group, title in GROUP_TITLES.items():
        lines += [
            f"## {title}",
            "",
            "| Import | Parameters | Result | Meaning |",
            "|---|---|---|---|",
        ]
        for function in HOST_FUNCTIONS:
            if function.group != group:
                continue
            params = ", ".join(f"{name}: {kind}" for name, kind in function.params) or "-"
            lines.append(
                f"| `{function.name}` | {params} | {function.result or '-'} | {function.doc} |"
            )
        lines.append("")
    lines += [
        "## Exports the runtime uses",
        "",
        "| Export | Meaning |",
        "|---|---|",
        f"| `{EXPORT_MEMORY}` | The linear memory. |",
        f"| `{EXPORT_INITIALIZE}` | WASI reactor initialiser: C/C++ static constructors "
        "(run once, before the snapshot). |",
        f"| `{EXPORT_ZYGOTE}() -> i32` | Runs `FAASM_ZYGOTE` once per module per runtime, "
        "before the snapshot; non-zero fails every call. |",
        f"| `{EXPORT_CALL}(idx) -> i32` | Runs the function at index `idx`; the result is the "
        "call's return value. |",
        f"| `{EXPORT_ALLOC}(len) -> ptr` | 4 KiB-aligned zeroed guest memory (for shared state "
        "pages). |",
        f"| `{EXPORT_FUNC_PREFIX}N` | Marks index N (1-9) as defined, so it can be chained. |",
        f"| `{EXPORT_START}` | A plain WASI command without libfaasm: run as a command, its exit "
        "code is the return value. |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path("docs/abi.md")
    target.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
