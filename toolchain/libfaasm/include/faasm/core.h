/*
 * The Faasm C API (C linkage, usable from C and C++), source compatible with Faasm's 2020 API.
 *
 * A function is written as
 *
 *     #include "faasm/faasm.h"
 *     FAASM_MAIN_FUNC() { ...; return 0; }      // index 0, what `faasm run USER FUNC` calls
 *     FAASM_FUNC(worker, 1) { ...; return 0; }  // index 1-9, reachable by faasmChainThis(1)
 *     FAASM_ZYGOTE() { ...; return 0; }         // once per instance, before the snapshot
 *
 * Lengths and sizes are `long` (32-bit on wasm32), call ids `unsigned int`.
 */
#ifndef FAASM_CORE_H
#define FAASM_CORE_H

#include <stdint.h>

#ifdef __cplusplus
#define FAASM_C_LINKAGE extern "C"
extern "C" {
#else
#define FAASM_C_LINKAGE
#endif

/* An array as the bytes the state and chaining calls take, as Faasm's BYTES(arr). */
#ifdef __cplusplus
#define BYTES(arr) reinterpret_cast<uint8_t*>(arr)
#else
#define BYTES(arr) ((uint8_t*)(arr))
#endif

#ifdef __wasm__
/* Keeps the symbol and exports it under `name`, whatever the linker's dead-code pass thinks. */
#define FAASM_EXPORT_AS(name) __attribute__((export_name(#name), used))
#else
#define FAASM_EXPORT_AS(name) __attribute__((used))
#endif

/* Input, output and call index */
long faasmGetInputSize(void);
long faasmGetInput(unsigned char* buffer, long bufferLen);
void faasmSetOutput(const unsigned char* output, long outputLen);
int faasmGetCurrentIdx(void);

/* Chaining: the call id comes back at once; await it for the callee's return value. */
unsigned int faasmChainThis(int idx);
unsigned int faasmChainFunction(const char* name);
unsigned int faasmChainThisInput(int idx, const unsigned char* inputData, long inputDataSize);
unsigned int faasmChainFunctionInput(const char* name, const unsigned char* inputData,
                                     long inputDataSize);
unsigned int faasmAwaitCall(unsigned int callId);
unsigned int faasmAwaitCallOutput(unsigned int callId, unsigned char* buffer, long bufferLen);

/* State: byte arrays by key; a missing key reads as zeros. */
long faasmReadState(const char* key, unsigned char* buffer, long bufferLen);
void faasmWriteState(const char* key, const unsigned char* data, long dataLen);
long faasmReadStateSize(const char* key);
void faasmReadStateOffset(const char* key, long totalLen, long offset, unsigned char* buffer,
                          long bufferLen);
void faasmWriteStateOffset(const char* key, long totalLen, long offset, const unsigned char* data,
                           long dataLen);
unsigned char* faasmReadStatePtr(const char* key, long totalLen);
unsigned char* faasmReadStateOffsetPtr(const char* key, long totalLen, long offset, long len);
void faasmFlagStateDirty(const char* key, long totalLen);
void faasmFlagStateOffsetDirty(const char* key, long totalLen, long offset, long len);
void faasmPushState(const char* key);
void faasmPushStatePartial(const char* key);
/* Push only the bytes of key whose byte in the value maskKey (the same size) is non-zero. */
void faasmPushStatePartialMask(const char* key, const char* maskKey);
void faasmPullState(const char* key, long stateLen);
void faasmAppendState(const char* key, const unsigned char* data, long dataLen);
void faasmReadAppendedState(const char* key, unsigned char* data, long dataLen, long nElems);
void faasmClearAppendedState(const char* key);
void faasmLockStateGlobal(const char* key);
void faasmUnlockStateGlobal(const char* key);
void faasmLockStateRead(const char* key);
void faasmUnlockStateRead(const char* key);
void faasmLockStateWrite(const char* key);
void faasmUnlockStateWrite(const char* key);

/* Write the whole file at filePath (e.g. a shared file) to key; the number of bytes written,
 * 0 when the file cannot be read. */
unsigned long faasmWriteStateFromFile(const char* key, const char* filePath);

/* The Python user and function this call runs ("" for a C/C++ function); malloc'ed. */
char* faasmGetPythonUser(void);
char* faasmGetPythonFunc(void);

/* Faasm's configuration flags with their default values: 1 for "ALWAYS_ON", else 0. */
unsigned int getConfFlag(const char* key);

#ifdef __wasm__
/* Set the program break to addr (linear memory grows to reach it): 0, or -1 with errno. WASI's
 * unistd.h leaves brk out; libfaasm provides it, and an sbrk that takes any increment. */
int brk(void* addr);
#endif

/* Bumped by libfaasm at the start of every call (lets helpers notice a new call). */
extern unsigned int faasmCallGeneration;

#ifdef __cplusplus
}
#endif

/*
 * FAASM_FUNC(name, idx) defines `int name(void)` and exports it as function index idx (1-9).
 * The exported `_faasm_func_<idx>` symbol is how the runtime (and libfaasm's dispatcher) finds it.
 */
#define FAASM_FUNC(name, idx)                                                         \
    FAASM_C_LINKAGE int name(void);                                                   \
    FAASM_C_LINKAGE FAASM_EXPORT_AS(_faasm_func_##idx) int _faasm_func_##idx(void);   \
    FAASM_C_LINKAGE int _faasm_func_##idx(void) { return name(); }                    \
    FAASM_C_LINKAGE int name(void)

/* The main function: index 0. */
#define FAASM_MAIN_FUNC() FAASM_FUNC(_faasmMain, 0)

/* Runs once per module instance, before the snapshot every call starts from. 0 means success. */
#define FAASM_ZYGOTE()                  \
    FAASM_C_LINKAGE int _faasm_zygote(void); \
    FAASM_C_LINKAGE int _faasm_zygote(void)

#endif
