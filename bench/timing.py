"""Shared timing helpers: medians of repeated runs, printed in one format."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence


def median_seconds(action: Callable[[], object], runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def interleaved_medians(
    actions: Sequence[Callable[[], object]], runs: int, warmup: int = 1
) -> list[float]:
    """Medians of several actions timed in turn, round after round, so that load from other
    processes shifts every figure alike instead of skewing their ratios."""
    for _ in range(warmup):
        for action in actions:
            action()
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, times in zip(actions, samples, strict=True):
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in samples]


def run_process(argv: Sequence[str], **kwargs: object) -> Callable[[], object]:
    """An action that runs a process to completion and fails loudly if it fails."""

    def action() -> object:
        return subprocess.run(argv, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]

    return action


def report(
    name: str, value_s: float, baseline_name: str | None = None, baseline_s: float | None = None
) -> None:
    line = f"{name}: {value_s * 1000:.2f} ms (median)"
    if baseline_name and baseline_s:
        line += f"; {baseline_name}: {baseline_s * 1000:.2f} ms; ratio {value_s / baseline_s:.2f}x"
    print(line, flush=True)
