/*
 * The host interface implemented in-process, for native builds (faasm compile --native).
 *
 * Lets a function run (and be debugged with gdb) with no runtime: the call's input and output
 * live in globals, state is an in-memory table, chained calls by index run inline on this thread
 * and chained calls by name run the sibling executable of that name (input on its stdin, output
 * back through a file descriptor named by FAASM_OUTPUT_FD). Misuse the wasm runtime would reject
 * (an offset past the end, an unknown call id) aborts with a message, so gdb stops right there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faasm/host_interface.h"
#include "libfaasm_internal.h"

static void fail(const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "faasm (native): ");
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    fflush(stdout);
    abort();
}

static void* xrealloc(void* ptr, size_t size)
{
    void* out = realloc(ptr, size ? size : 1);
    if (!out) {
        fail("out of memory");
    }
    return out;
}

/* ---- the current call ---- */

static int g_idx = 0;
static const unsigned char* g_input = 0;
static long g_input_len = 0;
static unsigned char* g_output = 0;
static long g_output_len = 0;

void faasm_native_set_call(int idx, const unsigned char* input, long inputLen)
{
    g_idx = idx;
    g_input = input;
    g_input_len = inputLen;
    g_output = 0;
    g_output_len = 0;
}

const unsigned char* faasm_native_output(long* outputLen)
{
    *outputLen = g_output_len;
    return g_output;
}

int32_t __faasm_read_input(uint8_t* buf, int32_t len)
{
    if (len == 0) {
        return (int32_t)g_input_len;
    }
    long n = len < g_input_len ? len : g_input_len;
    memcpy(buf, g_input, (size_t)n);
    return (int32_t)n;
}

void __faasm_write_output(const uint8_t* buf, int32_t len)
{
    if (len < 0) {
        fail("negative output length %d", len);
    }
    g_output = xrealloc(g_output, (size_t)len);
    memcpy(g_output, buf, (size_t)len);
    g_output_len = len;
}

int32_t __faasm_get_idx(void) { return g_idx; }

/* A native run is never a Python function: its Python user and function are empty. */
static int32_t empty_name(uint8_t* buf, int32_t len)
{
    if (len > 0) {
        buf[0] = 0;
    }
    return 0;
}

int32_t __faasm_get_py_user(uint8_t* buf, int32_t len) { return empty_name(buf, len); }
int32_t __faasm_get_py_func(uint8_t* buf, int32_t len) { return empty_name(buf, len); }

/* ---- chaining ---- */

typedef struct {
    int32_t result;
    unsigned char* output;
    long output_len;
} finished_call;

static finished_call* g_calls = 0;
static int32_t g_n_calls = 0;

static int32_t record_call(int32_t result, unsigned char* output, long outputLen)
{
    g_calls = xrealloc(g_calls, sizeof(finished_call) * (size_t)(g_n_calls + 1));
    g_calls[g_n_calls] = (finished_call){result, output, outputLen};
    return ++g_n_calls; /* ids start at 1 */
}

int32_t __faasm_chain_this(int32_t idx, const uint8_t* buf, int32_t len)
{
    /* Run inline, then restore the caller's call. */
    int saved_idx = g_idx;
    const unsigned char* saved_input = g_input;
    long saved_input_len = g_input_len;
    unsigned char* saved_output = g_output;
    long saved_output_len = g_output_len;

    unsigned char* input = xrealloc(0, (size_t)(len > 0 ? len : 0));
    if (len > 0) {
        memcpy(input, buf, (size_t)len);
    }
    faasm_native_set_call(idx, input, len);
    int32_t result = faasm_dispatch(idx);
    int32_t id = record_call(result, g_output, g_output_len);
    free(input);

    g_idx = saved_idx;
    g_input = saved_input;
    g_input_len = saved_input_len;
    g_output = saved_output;
    g_output_len = saved_output_len;
    return id;
}

static int sibling_path(const char* name, char* out, size_t outLen)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        return -1;
    }
    self[n] = 0;
    char* slash = strrchr(self, '/');
    if (slash) {
        *slash = 0;
    }
    snprintf(out, outLen, "%s/%s", self, name);
    return 0;
}

int32_t __faasm_chain_function(const char* name, const uint8_t* buf, int32_t len)
{
    char path[PATH_MAX];
    if (strchr(name, '/') || sibling_path(name, path, sizeof(path)) != 0 || access(path, X_OK) != 0) {
        fprintf(stderr,
                "faasm (native): chained function '%s' is not built next to this one "
                "(build it with: faasm compile --native USER %s)\n",
                name, name);
        return record_call(1, 0, 0);
    }

    FILE* in = tmpfile();
    FILE* out = tmpfile();
    if (!in || !out) {
        fail("cannot create temporary files for chained call to %s: %s", name, strerror(errno));
    }
    if (len > 0) {
        fwrite(buf, 1, (size_t)len, in);
    }
    fflush(in);
    rewind(in);
    fflush(stdout);
    fflush(stderr);

    pid_t pid = fork();
    if (pid < 0) {
        fail("fork failed: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fileno(in), 0);
        dup2(fileno(out), 3);
        setenv("FAASM_OUTPUT_FD", "3", 1);
        execl(path, path, (char*)0);
        fprintf(stderr, "faasm (native): cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int32_t result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    long outLen = ftell(out);
    unsigned char* output = xrealloc(0, (size_t)(outLen > 0 ? outLen : 0));
    rewind(out);
    if (outLen > 0 && fread(output, 1, (size_t)outLen, out) != (size_t)outLen) {
        fail("cannot read the output of chained call to %s", name);
    }
    fclose(in);
    fclose(out);
    return record_call(result, output, outLen);
}

static finished_call* find_call(int32_t id)
{
    if (id < 1 || id > g_n_calls) {
        fail("await of unknown call id %d", id);
    }
    return &g_calls[id - 1];
}

int32_t __faasm_await_call(int32_t id) { return find_call(id)->result; }

int32_t __faasm_await_call_output(int32_t id, uint8_t* buf, int32_t len)
{
    finished_call* call = find_call(id);
    long n = len < call->output_len ? len : call->output_len;
    if (n > 0) {
        memcpy(buf, call->output, (size_t)n);
    }
    return call->result;
}

/* ---- state ---- */

typedef struct state_value {
    char* key;
    uint8_t* data;
    int32_t size;     /* the stored size */
    int32_t capacity; /* never shrinks, so pointers handed out stay valid */
    uint8_t** elems;
    int32_t* elem_lens;
    int32_t n_elems;
    struct state_value* next;
} state_value;

static state_value* g_state = 0;

static state_value* find_state(const char* key)
{
    for (state_value* v = g_state; v; v = v->next) {
        if (strcmp(v->key, key) == 0) {
            return v;
        }
    }
    state_value* v = calloc(1, sizeof(state_value));
    if (!v) {
        fail("out of memory");
    }
    v->key = strdup(key);
    v->next = g_state;
    g_state = v;
    return v;
}

/* Make sure the value holds at least `size` bytes (new bytes are zero). */
static state_value* sized_state(const char* key, int32_t size)
{
    if (size < 0) {
        fail("negative state length %d for key '%s'", size, key);
    }
    state_value* v = find_state(key);
    if (size > v->capacity) {
        v->data = xrealloc(v->data, (size_t)size);
        memset(v->data + v->capacity, 0, (size_t)(size - v->capacity));
        v->capacity = size;
    }
    if (size > v->size) {
        v->size = size;
    }
    return v;
}

/* As the runtime bounds it: inside the value as it exists, or inside the total declared. */
static void check_range(const char* key, int32_t total, int32_t off, int32_t len)
{
    int32_t size = find_state(key)->size;
    int32_t bound = size > total ? size : total;
    if (off < 0 || len < 0 || total < 0 || (int64_t)off + len > bound) {
        fail("state '%s': offset %d + length %d is outside its %d bytes", key, off, len, bound);
    }
}

int32_t __faasm_read_state(const char* key, uint8_t* buf, int32_t len)
{
    state_value* v = find_state(key);
    int32_t n = len < v->size ? len : v->size;
    if (n > 0) {
        memcpy(buf, v->data, (size_t)n);
    }
    if (len > n) {
        memset(buf + n, 0, (size_t)(len - n));
    }
    return v->size;
}

int32_t __faasm_read_state_size(const char* key) { return find_state(key)->size; }

void __faasm_write_state(const char* key, const uint8_t* buf, int32_t len)
{
    state_value* v = sized_state(key, len);
    memcpy(v->data, buf, (size_t)len);
    v->size = len;
}

void __faasm_read_state_offset(const char* key, int32_t total, int32_t off, uint8_t* buf, int32_t len)
{
    check_range(key, total, off, len);
    memcpy(buf, sized_state(key, total)->data + off, (size_t)len);
}

void __faasm_write_state_offset(const char* key, int32_t total, int32_t off, const uint8_t* buf,
                                int32_t len)
{
    check_range(key, total, off, len);
    memcpy(sized_state(key, total)->data + off, buf, (size_t)len);
}

uint8_t* __faasm_read_state_ptr(const char* key, int32_t total)
{
    return sized_state(key, total)->data;
}

uint8_t* __faasm_read_state_offset_ptr(const char* key, int32_t total, int32_t off, int32_t len)
{
    check_range(key, total, off, len);
    return sized_state(key, total)->data + off;
}

void __faasm_flag_state_dirty(const char* key, int32_t total) { sized_state(key, total); }

void __faasm_flag_state_offset_dirty(const char* key, int32_t total, int32_t off, int32_t len)
{
    check_range(key, total, off, len);
}

void __faasm_push_state(const char* key) { (void)key; }
void __faasm_push_state_partial(const char* key) { (void)key; }

void __faasm_push_state_partial_mask(const char* key, const char* mask_key)
{
    int32_t size = find_state(key)->size, mask = find_state(mask_key)->size;
    if (size != mask) {
        fail("state '%s' has %d bytes but its mask '%s' has %d", key, size, mask_key, mask);
    }
}
void __faasm_pull_state(const char* key, int32_t total) { sized_state(key, total); }

void __faasm_append_state(const char* key, const uint8_t* buf, int32_t len)
{
    state_value* v = find_state(key);
    if (len < 0) {
        fail("negative append length %d for key '%s'", len, key);
    }
    v->elems = xrealloc(v->elems, sizeof(uint8_t*) * (size_t)(v->n_elems + 1));
    v->elem_lens = xrealloc(v->elem_lens, sizeof(int32_t) * (size_t)(v->n_elems + 1));
    v->elems[v->n_elems] = xrealloc(0, (size_t)len);
    memcpy(v->elems[v->n_elems], buf, (size_t)len);
    v->elem_lens[v->n_elems] = len;
    v->n_elems++;
}

void __faasm_read_appended_state(const char* key, uint8_t* buf, int32_t len, int32_t n)
{
    state_value* v = find_state(key);
    if (n > v->n_elems) {
        fail("state '%s' has %d appended elements, %d requested", key, v->n_elems, n);
    }
    int32_t pos = 0;
    for (int32_t i = 0; i < n; i++) {
        if (pos + v->elem_lens[i] > len) {
            fail("appended elements of '%s' do not fit in %d bytes", key, len);
        }
        memcpy(buf + pos, v->elems[i], (size_t)v->elem_lens[i]);
        pos += v->elem_lens[i];
    }
}

void __faasm_clear_appended_state(const char* key)
{
    state_value* v = find_state(key);
    for (int32_t i = 0; i < v->n_elems; i++) {
        free(v->elems[i]);
    }
    v->n_elems = 0;
}

/* One thread, one process: locks have nothing to exclude. */
void __faasm_lock_state_global(const char* key) { (void)key; }
void __faasm_unlock_state_global(const char* key) { (void)key; }
void __faasm_lock_state_read(const char* key) { (void)key; }
void __faasm_unlock_state_read(const char* key) { (void)key; }
void __faasm_lock_state_write(const char* key) { (void)key; }
void __faasm_unlock_state_write(const char* key) { (void)key; }
