/*
 * WASI preopens are per call: wasi-libc reads them once, in a constructor, which for a snapshot
 * ran in the zygote's sandbox (with no files). Each call registers the directories its own
 * sandbox preopened (the project's shared files), so fopen() finds them. Only modules that use
 * files link wasi-libc's preopen table; for the rest the weak reference is null and this is free.
 */
#ifdef __wasm__
#include <stdlib.h>
#include <wasi/api.h>

#include "libfaasm_internal.h"

__attribute__((weak)) int __wasilibc_register_preopened_fd(int fd, const char* prefix);

void faasm_register_preopens(void)
{
    if (!__wasilibc_register_preopened_fd) {
        return;
    }
    __wasi_prestat_t prestat;
    for (__wasi_fd_t fd = 3; __wasi_fd_prestat_get(fd, &prestat) == __WASI_ERRNO_SUCCESS; fd++) {
        if (prestat.tag != __WASI_PREOPENTYPE_DIR) {
            continue;
        }
        size_t length = prestat.u.dir.pr_name_len;
        char* name = malloc(length + 1);
        if (name && __wasi_fd_prestat_dir_name(fd, (uint8_t*)name, length) == 0) {
            name[length] = 0;
            __wasilibc_register_preopened_fd((int)fd, name); /* it keeps its own copy */
        }
        free(name);
    }
}
#endif
