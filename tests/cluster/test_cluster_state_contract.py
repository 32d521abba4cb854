"""The local store's contract tests, run again with the Redis backend behind the store.

The tests are the ones in tests/test_state_store.py and tests/test_state_locks.py (imported, not
copied); only the fixtures that make a store or a backend are Redis ones here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_state_locks import (
    test_a_lease_of_a_dead_owner_expires_and_its_late_release_frees_nothing,
    test_global_leases_carry_distinct_owner_tokens,
    test_global_lock_excludes_threads_of_one_process,
    test_renewing_keeps_a_lease_past_its_first_expiry,
)
from test_state_store import (
    StoreFactory,
    store,
    test_append_read_clear_in_order_and_persisted,
    test_close_flushes,
    test_delete_forgets_value_and_appended,
    test_invalid_keys_are_rejected,
    test_invalid_users_are_rejected,
    test_missing_key_reads_zeros_and_has_size_zero,
    test_offset_write_grows_to_total_and_reads_back,
    test_out_of_range_offsets_fail_naming_everything,
    test_pull_of_a_key_never_pushed_keeps_the_local_value,
    test_pull_refreshes_from_another_process_writes,
    test_push_partial_keeps_other_writers_ranges,
    test_push_partial_sends_only_flagged_ranges,
    test_reading_more_appended_elements_than_exist_fails,
    test_reading_never_persists_anything,
    test_set_get_and_size,
    test_size_and_range_reads_do_not_load_the_value,
    test_users_never_see_each_others_values,
    test_values_persist_across_store_instances,
)

from faasm_cli.cluster.redis_state import RedisBackend
from faasm_cli.runtime.state.store import ReplicatedStateStore

__all__ = [
    "store",
    "test_a_lease_of_a_dead_owner_expires_and_its_late_release_frees_nothing",
    "test_append_read_clear_in_order_and_persisted",
    "test_close_flushes",
    "test_delete_forgets_value_and_appended",
    "test_global_leases_carry_distinct_owner_tokens",
    "test_global_lock_excludes_threads_of_one_process",
    "test_invalid_keys_are_rejected",
    "test_invalid_users_are_rejected",
    "test_missing_key_reads_zeros_and_has_size_zero",
    "test_offset_write_grows_to_total_and_reads_back",
    "test_out_of_range_offsets_fail_naming_everything",
    "test_pull_of_a_key_never_pushed_keeps_the_local_value",
    "test_pull_refreshes_from_another_process_writes",
    "test_push_partial_keeps_other_writers_ranges",
    "test_push_partial_sends_only_flagged_ranges",
    "test_reading_more_appended_elements_than_exist_fails",
    "test_reading_never_persists_anything",
    "test_renewing_keeps_a_lease_past_its_first_expiry",
    "test_set_get_and_size",
    "test_size_and_range_reads_do_not_load_the_value",
    "test_users_never_see_each_others_values",
    "test_values_persist_across_store_instances",
]


@pytest.fixture
def open_store(redis_url: str) -> Iterator[StoreFactory]:
    """Each call: a store with its own Redis connections, like another worker's."""
    opened: list[RedisBackend] = []

    def open_one() -> ReplicatedStateStore:
        opened.append(RedisBackend(redis_url))
        return ReplicatedStateStore(opened[-1])

    yield open_one
    for backend in opened:
        backend.close()


@pytest.fixture
def expiring_backend(redis_url: str) -> Iterator[RedisBackend]:
    backend = RedisBackend(redis_url)
    yield backend
    backend.close()
