"""The cluster: an upload server, workers sharing calls through Redis, and Redis-backed state.

It plugs Redis implementations into the runtime's seams (`StateBackend`, `CallDispatcher`); the
runtime knows nothing of it.
"""
