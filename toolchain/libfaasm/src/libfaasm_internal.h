/* Internal to libfaasm: the dispatcher shared by the wasm entry points and the native runner. */
#ifndef LIBFAASM_INTERNAL_H
#define LIBFAASM_INTERNAL_H

#ifdef __cplusplus
extern "C" {
#endif

/* Run the function at idx (0 = main); returns its return value, 1 when there is none. */
int faasm_dispatch(int idx);

int __faasm_call(int idx);

#ifdef __wasm__
/* Make this call's WASI preopens (the shared files) known to wasi-libc (preopens.c). */
void faasm_register_preopens(void);
#endif
int __faasm_zygote(void);

/* Native runner: set the current call's input / take its output (native/host.c). */
void faasm_native_set_call(int idx, const unsigned char* input, long inputLen);
const unsigned char* faasm_native_output(long* outputLen);

#ifdef __cplusplus
}
#endif

#endif
