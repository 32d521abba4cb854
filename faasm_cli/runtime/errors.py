"""Errors of the runtime's host side. A leaf: it imports nothing of the runtime, so every part
(host calls, state, dispatchers, the cluster's backends) can raise them without import circles.

    CallFailed          a host call rejected what the guest asked; the message is the call's error
      StateUnavailable  the state backend could not be reached or failed (e.g. Redis down)
"""

from __future__ import annotations

from faasm_cli.errors import ExitCode, FaasmError


class CallFailed(Exception):
    """A host call rejected what the guest asked for; the message is the call's error."""


class StateUnavailable(CallFailed, FaasmError):
    """The state backend failed (unreachable, refused, disk full): a failed call with this
    message for a guest, a one-line error with its hint for the CLI (EX_UNAVAILABLE)."""

    exit_code = ExitCode.UNAVAILABLE
