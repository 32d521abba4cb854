"""python/hello: Faasm's Python hello. Its output is a message and the version of Python running
it (CPython on wasm): "Hello from Python 3.11.2 on wasi!".

    faasm run python hello
    faasm upload --py python hello && faasm invoke --py python hello
"""

import sys

from pyfaasm.core import set_output


def main_func() -> None:
    version = sys.version.split()[0]
    set_output(f"Hello from Python {version} on {sys.platform}!")


if __name__ == "__main__":
    main_func()
