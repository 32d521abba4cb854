"""json: a nested document dumped to text and loaded back, many times."""

import json

from pyfaasm.core import get_input, set_output

DOCUMENT = {
    "users": [
        {
            "id": i,
            "name": f"user {i}",
            "tags": ["a", "b", "c"][: i % 4],
            "score": i * 1.5,
            "active": i % 2 == 0,
            "address": {"street": f"{i} Main St", "zip": f"{10000 + i}", "geo": [i / 3, -i / 7]},
        }
        for i in range(50)
    ],
    "total": 50,
    "note": 'caf\u00e9 \u2615 "quoted" \\ slash',
}


def main_func() -> None:
    size = 0
    for _ in range(int(get_input() or b"200")):
        text = json.dumps(DOCUMENT)
        size += len(json.loads(text)["users"])
    set_output(str(size))


if __name__ == "__main__":
    main_func()
