"""pickle: a nested structure of built-in types pickled and unpickled, many times."""

import pickle

from pyfaasm.core import get_input, set_output

DATA = [
    {
        "id": i,
        "values": list(range(i % 20)),
        "ratio": i / 7,
        "name": f"item {i}",
        "pair": (i, str(i)),
        "flags": {i % 3, i % 5},
        "blob": bytes(i % 32),
    }
    for i in range(200)
]


def main_func() -> None:
    count = 0
    for _ in range(int(get_input() or b"200")):
        data = pickle.dumps(DATA, protocol=pickle.HIGHEST_PROTOCOL)
        count += len(pickle.loads(data))
    set_output(str(count))


if __name__ == "__main__":
    main_func()
