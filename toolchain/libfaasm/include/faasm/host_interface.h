/*
 * The raw host interface: every import a Faasm function may use (module "env").
 *
 * This is the wasm ABI, fixed by faasm_cli/runtime/host_interface.py (tests/test_libfaasm_abi.py
 * checks the two agree). Pointers and int32_t are i32 on wasm32. User code should call the
 * friendlier API of faasm/core.h instead. In a native build (faasm compile --native) the same
 * functions are plain C functions implemented in-process by libfaasm.
 */
#ifndef FAASM_HOST_INTERFACE_H
#define FAASM_HOST_INTERFACE_H

#include <stdint.h>

#ifdef __wasm__
#define FAASM_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#else
#define FAASM_IMPORT(name)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Input, output and call index */
FAASM_IMPORT(__faasm_read_input) int32_t __faasm_read_input(uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_write_output) void __faasm_write_output(const uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_get_idx) int32_t __faasm_get_idx(void);
FAASM_IMPORT(__faasm_get_py_user) int32_t __faasm_get_py_user(uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_get_py_func) int32_t __faasm_get_py_func(uint8_t* buf, int32_t len);

/* Chaining */
FAASM_IMPORT(__faasm_chain_this) int32_t __faasm_chain_this(int32_t idx, const uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_chain_function) int32_t __faasm_chain_function(const char* name, const uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_await_call) int32_t __faasm_await_call(int32_t id);
FAASM_IMPORT(__faasm_await_call_output) int32_t __faasm_await_call_output(int32_t id, uint8_t* buf, int32_t len);

/* State (keys are NUL-terminated, scoped to the calling user) */
FAASM_IMPORT(__faasm_read_state) int32_t __faasm_read_state(const char* key, uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_read_state_size) int32_t __faasm_read_state_size(const char* key);
FAASM_IMPORT(__faasm_write_state) void __faasm_write_state(const char* key, const uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_read_state_offset) void __faasm_read_state_offset(const char* key, int32_t total, int32_t off, uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_write_state_offset) void __faasm_write_state_offset(const char* key, int32_t total, int32_t off, const uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_read_state_ptr) uint8_t* __faasm_read_state_ptr(const char* key, int32_t total);
FAASM_IMPORT(__faasm_read_state_offset_ptr) uint8_t* __faasm_read_state_offset_ptr(const char* key, int32_t total, int32_t off, int32_t len);
FAASM_IMPORT(__faasm_flag_state_dirty) void __faasm_flag_state_dirty(const char* key, int32_t total);
FAASM_IMPORT(__faasm_flag_state_offset_dirty) void __faasm_flag_state_offset_dirty(const char* key, int32_t total, int32_t off, int32_t len);
FAASM_IMPORT(__faasm_push_state) void __faasm_push_state(const char* key);
FAASM_IMPORT(__faasm_push_state_partial) void __faasm_push_state_partial(const char* key);
FAASM_IMPORT(__faasm_push_state_partial_mask) void __faasm_push_state_partial_mask(const char* key, const char* mask_key);
FAASM_IMPORT(__faasm_pull_state) void __faasm_pull_state(const char* key, int32_t total);
FAASM_IMPORT(__faasm_append_state) void __faasm_append_state(const char* key, const uint8_t* buf, int32_t len);
FAASM_IMPORT(__faasm_read_appended_state) void __faasm_read_appended_state(const char* key, uint8_t* buf, int32_t len, int32_t n);
FAASM_IMPORT(__faasm_clear_appended_state) void __faasm_clear_appended_state(const char* key);
FAASM_IMPORT(__faasm_lock_state_global) void __faasm_lock_state_global(const char* key);
FAASM_IMPORT(__faasm_unlock_state_global) void __faasm_unlock_state_global(const char* key);
FAASM_IMPORT(__faasm_lock_state_read) void __faasm_lock_state_read(const char* key);
FAASM_IMPORT(__faasm_unlock_state_read) void __faasm_unlock_state_read(const char* key);
FAASM_IMPORT(__faasm_lock_state_write) void __faasm_lock_state_write(const char* key);
FAASM_IMPORT(__faasm_unlock_state_write) void __faasm_unlock_state_write(const char* key);

#ifdef __cplusplus
}
#endif

#endif
