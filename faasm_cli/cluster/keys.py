"""Every Redis key, stream and channel the cluster uses, in one place.

User, function and state-key names are checked by `faasm_cli.names` before they reach here (no
`:` in any of them), so a key cannot be forged to land in another user's space.
"""

from __future__ import annotations

PREFIX = "faasm"

# ---- state --------------------------------------------------------------------------------------


def state(user: str, key: str) -> str:
    """A state value (a Redis string)."""
    return f"{PREFIX}:state:{user}:{key}"


def state_prefix(user: str) -> str:
    """What every state value of `user` starts with (SCAN MATCH `<prefix>*`)."""
    return f"{PREFIX}:state:{user}:"


def appended(user: str, key: str) -> str:
    """A key's appended elements (a Redis list)."""
    return f"{PREFIX}:append:{user}:{key}"


def appended_prefix(user: str) -> str:
    return f"{PREFIX}:append:{user}:"


def state_temp(user: str, key: str, token: str) -> str:
    """A scratch copy of a value (a streamed upload before its RENAME, a snapshot being read in
    pieces); outside both state prefixes, so `keys` never lists it, and given an expiry."""
    return f"{PREFIX}:state-tmp:{user}:{key}:{token}"


def lock(user: str, key: str) -> str:
    """A key's global lock (redis-py `Lock`: a token with a time-to-live)."""
    return f"{PREFIX}:lock:{user}:{key}"


# ---- calls --------------------------------------------------------------------------------------

CALL_IDS = f"{PREFIX}:call-ids"
"""INCR counter: call ids unique across the cluster."""

RESULTS_CHANNEL = f"{PREFIX}:results"
"""PUBLISH <call id> once a result is stored: wakes whoever awaits it."""

QUEUE_GROUP = "workers"
"""The consumer group on every worker queue."""


def call(call_id: int) -> str:
    """A call's message (JSON) from submission until its result expires: RUNNING while no
    result exists."""
    return f"{PREFIX}:call:{call_id}"


def result(call_id: int) -> str:
    """A finished call's result JSON (`CallResult.to_json`), kept for the result TTL."""
    return f"{PREFIX}:result:{call_id}"


def started(call_id: int) -> str:
    """SET NX by whoever starts the call (value: worker id): a call runs once per claim."""
    return f"{PREFIX}:started:{call_id}"


def attempts(call_id: int) -> str:
    """INCR each time a worker running the call died: the call is FAILED at the cap."""
    return f"{PREFIX}:attempts:{call_id}"


# ---- workers ------------------------------------------------------------------------------------

WORKERS = f"{PREFIX}:workers"
"""Hash: worker id -> the worker's JSON description (host, pid, invoke URL, threads)."""


def alive(worker_id: str) -> str:
    """The worker's heartbeat, set with a short expiry and renewed: gone means dead."""
    return f"{PREFIX}:alive:{worker_id}"


def queue(worker_id: str) -> str:
    """The stream of calls handed to a worker (consumer group `QUEUE_GROUP`)."""
    return f"{PREFIX}:queue:{worker_id}"


def running(worker_id: str) -> str:
    """Set of call ids the worker has started and not finished: re-run if it dies."""
    return f"{PREFIX}:running:{worker_id}"


def worker_stats(worker_id: str) -> str:
    """Hash of counters: `served`, and the calls in flight (`registry.IN_FLIGHT`)."""
    return f"{PREFIX}:stats:{worker_id}"


def warm(user: str, function: str) -> str:
    """Set of worker ids that have the function loaded."""
    return f"{PREFIX}:warm:{user}:{function}"


def worker_warm(worker_id: str) -> str:
    """Set of `<user>/<function>` the worker has loaded (the inverse of `warm`)."""
    return f"{PREFIX}:warm-of:{worker_id}"


def reaping(worker_id: str) -> str:
    """The lock a live worker holds while it re-places a dead worker's calls."""
    return f"{PREFIX}:reaping:{worker_id}"


# ---- functions ----------------------------------------------------------------------------------

FUNCTIONS_CHANNEL = f"{PREFIX}:functions"
"""PUBLISH `<user>/<function>` when a function is uploaded again: workers drop their copy."""


def function_version(user: str, function: str) -> str:
    """The SHA-256 of the function's current wasm, set by the upload server."""
    return f"{PREFIX}:function:{user}:{function}"
