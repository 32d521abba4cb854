"""A recycled pool slot keeps the first page of each memory resident (`KEEP_RESIDENT_BYTES`) and
resets it in place: nothing a call wrote there, or past it, reaches the next call in the slot."""

from __future__ import annotations

from pathlib import Path

from runtime_wat import wat_function

from faasm_cli.runtime import Runtime
from faasm_cli.runtime.pool import KEEP_RESIDENT_BYTES

RESIDENT = 16  # inside the resident page
ZEROED = 100  # inside it too, and zero in the snapshot
BEYOND = KEEP_RESIDENT_BYTES + 16  # past it, in the same wasm page

# The zygote writes 5 at RESIDENT and 9 at BEYOND; each call bumps the bytes at all three places
# and returns them as RESIDENT * 10000 + ZEROED * 100 + BEYOND.
BUMPS = wat_function(
    f"""
  (i32.store8 (i32.const {RESIDENT}) (i32.add (i32.load8_u (i32.const {RESIDENT})) (i32.const 1)))
  (i32.store8 (i32.const {ZEROED}) (i32.add (i32.load8_u (i32.const {ZEROED})) (i32.const 1)))
  (i32.store8 (i32.const {BEYOND}) (i32.add (i32.load8_u (i32.const {BEYOND})) (i32.const 1)))
  (i32.add
    (i32.add (i32.mul (i32.load8_u (i32.const {RESIDENT})) (i32.const 10000))
             (i32.mul (i32.load8_u (i32.const {ZEROED})) (i32.const 100)))
    (i32.load8_u (i32.const {BEYOND})))""",
    zygote=f"""(i32.store8 (i32.const {RESIDENT}) (i32.const 5))
      (i32.store8 (i32.const {BEYOND}) (i32.const 9))
      (i32.const 0)""",
    pages=1,
)


def test_one_slot_serves_every_call_from_the_snapshot(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, instance_slots=1) as rt:
        assert rt.allocator.describe() == "pooling (1 instance slots)"
        rt.register("demo", "bumps", BUMPS)
        assert rt.function_info("demo", "bumps").mode == "snapshot"
        values = [rt.call("demo", "bumps").return_value for _ in range(5)]
    assert values == [60110] * 5
