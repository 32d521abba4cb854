"""`python -m faasm_cli` is the `faasm` command."""

from faasm_cli.app import main

main()
