"""The runtime's public face: `faasm_cli.runtime` exports what an embedder needs, and only that."""

from __future__ import annotations

import inspect

import faasm_cli.runtime

NEEDED = {
    "Runtime",  # run functions
    "CallResult",  # what a call gives back
    "ChainedCall",  # the tree of chained calls in it
    "Message",  # a call request / finished call, in Faasm's JSON names
    "CallLimits",  # the limits a call runs under
    "CallDispatcher",  # the seam a cluster scheduler implements
    "LocalDispatcher",  # ... and the local one
    "StateStore",  # the seam of state
    "StateBackend",  # durable storage behind a replicated store (Redis next)
    "LocalStateStore",
    "MemoryStateStore",
    "Lease",  # a held state lock (token, expiry, renew)
    "CallFailed",  # raised by host calls and dispatchers to fail a call
    "StateUnavailable",  # raised by a backend that cannot be reached
    "StateError",
    "CacheStats",
}


def test_all_matches_the_public_names() -> None:
    public = {
        name
        for name, value in vars(faasm_cli.runtime).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert sorted(faasm_cli.runtime.__all__) == sorted(public)


def test_every_name_a_user_needs_is_exported() -> None:
    assert NEEDED - set(faasm_cli.runtime.__all__) == set()


def test_exports_are_the_defining_objects() -> None:
    for name in faasm_cli.runtime.__all__:
        member = getattr(faasm_cli.runtime, name)
        assert member.__name__ == name
        assert member.__module__.startswith("faasm_cli."), name
