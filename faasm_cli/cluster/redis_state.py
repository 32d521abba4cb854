"""The cluster's durable state: the runtime's `StateBackend` on Redis (redis-py).

Values are Redis strings, appended elements a Redis list, global locks redis-py's own `Lock`
(an owner token set with NX and an expiry; release and extend are compare-and-act scripts), so a
lock whose holder died frees itself after its time to live: seconds, as the store's keeper
renews the leases of live holders. Every key comes from `keys`, and user and key names are
checked here too, so no name can reach another user's keys.

Every Redis failure (refused, timed out, an error reply) is `StateUnavailable` naming the Redis
URL and the fix; the same backend object works again once Redis is back (redis-py reconnects).
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Concatenate, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock

from faasm_cli.cluster import keys
from faasm_cli.errors import BadConfig
from faasm_cli.names import check_key, check_user
from faasm_cli.runtime.errors import StateUnavailable
from faasm_cli.runtime.state.locks import Lease

P = ParamSpec("P")
R = TypeVar("R")

LOCK_POLL_S = 0.005
"""How often a waiting `lock` retries: the counter's calls hold the lock for microseconds, so
redis-py's default 0.1 s poll would dominate a contended call."""

TEMP_TTL_S = 3600
"""Expiry of scratch keys, so an upload or read abandoned mid-stream leaves nothing behind."""

_SAVE_RANGES = """
for i = 2, #ARGV, 2 do
  redis.call('SETRANGE', KEYS[1], tonumber(ARGV[i]), ARGV[i + 1])
end
local size = tonumber(ARGV[1])
if size > 0 and redis.call('STRLEN', KEYS[1]) < size then
  redis.call('SETRANGE', KEYS[1], size - 1, '\\0')
end
"""
"""SETRANGE each part, then zero-extend to ARGV[1] bytes: one atomic step, so partial pushes
from several workers to one key never lose each other's ranges."""


def redacted(url: str) -> str:
    """`url` without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _client_url(client: redis.Redis) -> str:
    """Where an existing client connects, as a URL (no password)."""
    conn = client.connection_pool.connection_kwargs
    if "path" in conn:
        return f"unix://{conn['path']}?db={conn.get('db', 0)}"
    return f"redis://{conn.get('host', 'localhost')}:{conn.get('port', 6379)}/{conn.get('db', 0)}"


def _redis(
    method: Callable[Concatenate[RedisBackend, P], R],
) -> Callable[Concatenate[RedisBackend, P], R]:
    """Report any Redis failure as the backend being unavailable, naming the URL."""

    def wrapped(self: RedisBackend, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            raise self.unavailable(error) from error

    functools.update_wrapper(wrapped, method)
    return wrapped


class RedisBackend:
    """Durable values, appended lists and expiring global locks in one Redis database."""

    def __init__(self, target: str | redis.Redis) -> None:
        if isinstance(target, str):
            try:
                self.client = redis.Redis.from_url(target)
            except ValueError as error:
                raise BadConfig(
                    f"invalid Redis URL {redacted(target)!r}: {error}",
                    "use redis://HOST:PORT/DB",
                ) from error
            self.url = redacted(target)
            self._owned = True
        else:
            self.client = target
            self.url = _client_url(target)
            self._owned = False
            if target.get_encoder().decode_responses:
                raise BadConfig(
                    f"the Redis client for {self.url} decodes responses to text",
                    "state values are bytes: create it with decode_responses=False",
                )
        self._save_ranges = self.client.register_script(_SAVE_RANGES)

    def unavailable(self, error: Exception) -> StateUnavailable:
        """The one-line error for a Redis failure."""
        detail = " ".join(str(error).split()) or type(error).__name__
        return StateUnavailable(
            f"Redis at {self.url} failed: {detail}",
            "start Redis (`faasm cluster up`) or fix the cluster's Redis URL",
        )

    # -- values -----------------------------------------------------------------------------

    @_redis
    def load(self, user: str, key: str) -> bytes | None:
        return cast("bytes | None", self.client.get(keys.state(check_user(user), check_key(key))))

    @_redis
    def size(self, user: str, key: str) -> int:
        return int(self.client.strlen(keys.state(check_user(user), check_key(key))))

    @_redis
    def read_range(self, user: str, key: str, offset: int, length: int) -> bytes:
        name = keys.state(check_user(user), check_key(key))
        if length <= 0:  # GETRANGE k 0 -1 would be the whole value
            return b""
        return cast(bytes, self.client.getrange(name, offset, offset + length - 1))

    @_redis
    def save(self, user: str, key: str, data: bytes | bytearray | memoryview) -> None:
        self.client.set(keys.state(check_user(user), check_key(key)), memoryview(data))

    @_redis
    def save_ranges(
        self, user: str, key: str, size: int, parts: Sequence[tuple[int, bytes]]
    ) -> None:
        args: list[int | bytes] = [size]
        for offset, data in parts:
            args += [offset, data]
        self._save_ranges(keys=[keys.state(check_user(user), check_key(key))], args=args)

    # -- appended elements ------------------------------------------------------------------

    @_redis
    def append(self, user: str, key: str, data: bytes) -> None:
        self.client.rpush(keys.appended(check_user(user), check_key(key)), data)

    @_redis
    def read_appended(self, user: str, key: str, count: int) -> list[bytes]:
        name = keys.appended(check_user(user), check_key(key))
        if count <= 0:  # LRANGE k 0 -1 would be the whole list
            return []
        return cast("list[bytes]", self.client.lrange(name, 0, count - 1))

    @_redis
    def clear_appended(self, user: str, key: str) -> None:
        self.client.delete(keys.appended(check_user(user), check_key(key)))

    # -- locks ------------------------------------------------------------------------------

    @_redis
    def lock(self, user: str, key: str, timeout: float, ttl: float) -> Lease | None:
        """The key's global lock within `timeout` s, as a lease that Redis expires `ttl` s
        after it was taken or last renewed."""
        lock = Lock(
            self.client,
            keys.lock(check_user(user), check_key(key)),
            timeout=ttl,
            sleep=LOCK_POLL_S,
            blocking_timeout=max(timeout, 0.0),
            thread_local=False,  # a lease may be released by another thread than its taker
        )
        token = secrets.token_hex(16)
        if not lock.acquire(token=token):
            return None
        return Lease(
            functools.partial(self._release, lock),
            token=token,
            expires_at=time.monotonic() + ttl,
            renew=functools.partial(self._renew, lock),
        )

    @_redis
    def _release(self, lock: Lock) -> None:
        # Expired and maybe taken by someone else: compare-and-delete leaves it alone.
        with contextlib.suppress(LockNotOwnedError):
            lock.release()

    @_redis
    def _renew(self, lock: Lock, ttl: float) -> bool:
        try:
            return lock.extend(ttl, replace_ttl=True)
        except LockError:  # no longer owned, or released by its holder meanwhile
            return False

    # -- administration ---------------------------------------------------------------------

    def delete(self, user: str, key: str) -> None:
        self.delete_existing(user, key)

    @_redis
    def delete_existing(self, user: str, key: str) -> bool:
        """`delete`, saying whether there was a value or appended list. One DEL: of deletes
        racing for one key, exactly one is told it deleted something."""
        user, key = check_user(user), check_key(key)
        return bool(self.client.delete(keys.state(user, key), keys.appended(user, key)))

    @_redis
    def keys(self, user: str) -> list[str]:
        user = check_user(user)
        names: set[str] = set()
        for prefix in (keys.state_prefix(user), keys.appended_prefix(user)):
            for name in self.client.scan_iter(match=f"{prefix}*", count=1000):
                names.add(name[len(prefix) :].decode())
        return sorted(names)

    def close(self) -> None:
        """Close the connections this backend opened (a client it was given stays open)."""
        if self._owned:
            self.client.close()

    # -- streams for the upload server ------------------------------------------------------

    @_redis
    def write_chunks(self, user: str, key: str, chunks: Iterable[bytes]) -> int:
        """Replace the value with the concatenated `chunks`, never holding it whole; returns its
        length. The chunks go to a scratch key (APPEND) that is renamed over the value at the
        end, so readers see the old value or the new one, and a failed stream changes nothing.
        No chunks (or only empty ones) store an empty value."""
        target = keys.state(check_user(user), check_key(key))
        scratch = keys.state_temp(user, key, secrets.token_hex(8))
        total = 0
        try:
            for chunk in chunks:
                if chunk:
                    pipe = self.client.pipeline(transaction=False)
                    pipe.append(scratch, chunk)
                    pipe.expire(scratch, TEMP_TTL_S)
                    pipe.execute()
                    total += len(chunk)
            if total:
                pipe = self.client.pipeline(transaction=True)
                pipe.rename(scratch, target)
                pipe.persist(target)  # RENAME carries the scratch key's expiry over
                pipe.execute()
            else:
                self.client.set(target, b"")
        except BaseException:
            with contextlib.suppress(RedisError):  # else it expires by itself
                self.client.delete(scratch)
            raise
        return total

    @_redis
    def read_chunks(self, user: str, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes] | None:
        """The value in pieces of at most `chunk_size` bytes, None when the key has no value.

        A value of one piece is one GET; a longer one is first copied server-side to a scratch
        key (COPY), so the pieces all come from the value as it was when the read began."""
        target = keys.state(check_user(user), check_key(key))
        pipe = self.client.pipeline(transaction=True)
        pipe.exists(target)
        pipe.strlen(target)
        exists, size = pipe.execute()
        if not exists:
            return None
        if size <= chunk_size:
            value = cast("bytes | None", self.client.get(target))
            return None if value is None else iter([value] if value else [])
        snapshot = keys.state_temp(user, key, secrets.token_hex(8))
        pipe = self.client.pipeline(transaction=True)
        pipe.copy(target, snapshot)
        pipe.expire(snapshot, TEMP_TTL_S)
        pipe.strlen(snapshot)
        copied, _, size = pipe.execute()
        if not copied:  # deleted in between
            return None
        return self._pieces(snapshot, size, chunk_size)

    def _pieces(self, snapshot: str, size: int, chunk_size: int) -> Iterator[bytes]:
        try:
            for offset in range(0, size, chunk_size):
                yield cast(bytes, self.client.getrange(snapshot, offset, offset + chunk_size - 1))
        except RedisError as error:
            raise self.unavailable(error) from error
        finally:
            with contextlib.suppress(RedisError):  # else it expires by itself
                self.client.delete(snapshot)
