/* The Faasm C API of faasm/core.h as thin wrappers over the raw host interface. */
#include "faasm/core.h"

#include "faasm/host_interface.h"

long faasmGetInputSize(void) { return __faasm_read_input(0, 0); }

long faasmGetInput(unsigned char* buffer, long bufferLen)
{
    if (bufferLen <= 0) {
        return 0; /* len 0 would ask the host for the size instead */
    }
    return __faasm_read_input(buffer, (int32_t)bufferLen);
}

void faasmSetOutput(const unsigned char* output, long outputLen)
{
    __faasm_write_output(output, (int32_t)outputLen);
}

int faasmGetCurrentIdx(void) { return __faasm_get_idx(); }

unsigned int faasmChainThis(int idx) { return faasmChainThisInput(idx, 0, 0); }

unsigned int faasmChainFunction(const char* name) { return faasmChainFunctionInput(name, 0, 0); }

unsigned int faasmChainThisInput(int idx, const unsigned char* inputData, long inputDataSize)
{
    return (unsigned int)__faasm_chain_this(idx, inputData, (int32_t)inputDataSize);
}

unsigned int faasmChainFunctionInput(const char* name, const unsigned char* inputData,
                                     long inputDataSize)
{
    return (unsigned int)__faasm_chain_function(name, inputData, (int32_t)inputDataSize);
}

unsigned int faasmAwaitCall(unsigned int callId)
{
    return (unsigned int)__faasm_await_call((int32_t)callId);
}

unsigned int faasmAwaitCallOutput(unsigned int callId, unsigned char* buffer, long bufferLen)
{
    return (unsigned int)__faasm_await_call_output((int32_t)callId, buffer, (int32_t)bufferLen);
}

long faasmReadState(const char* key, unsigned char* buffer, long bufferLen)
{
    return __faasm_read_state(key, buffer, (int32_t)bufferLen);
}

void faasmWriteState(const char* key, const unsigned char* data, long dataLen)
{
    __faasm_write_state(key, data, (int32_t)dataLen);
}

long faasmReadStateSize(const char* key) { return __faasm_read_state_size(key); }

void faasmReadStateOffset(const char* key, long totalLen, long offset, unsigned char* buffer,
                          long bufferLen)
{
    __faasm_read_state_offset(key, (int32_t)totalLen, (int32_t)offset, buffer, (int32_t)bufferLen);
}

void faasmWriteStateOffset(const char* key, long totalLen, long offset, const unsigned char* data,
                           long dataLen)
{
    __faasm_write_state_offset(key, (int32_t)totalLen, (int32_t)offset, data, (int32_t)dataLen);
}

unsigned char* faasmReadStatePtr(const char* key, long totalLen)
{
    return __faasm_read_state_ptr(key, (int32_t)totalLen);
}

unsigned char* faasmReadStateOffsetPtr(const char* key, long totalLen, long offset, long len)
{
    return __faasm_read_state_offset_ptr(key, (int32_t)totalLen, (int32_t)offset, (int32_t)len);
}

void faasmFlagStateDirty(const char* key, long totalLen)
{
    __faasm_flag_state_dirty(key, (int32_t)totalLen);
}

void faasmFlagStateOffsetDirty(const char* key, long totalLen, long offset, long len)
{
    __faasm_flag_state_offset_dirty(key, (int32_t)totalLen, (int32_t)offset, (int32_t)len);
}

void faasmPushState(const char* key) { __faasm_push_state(key); }

void faasmPushStatePartial(const char* key) { __faasm_push_state_partial(key); }

void faasmPushStatePartialMask(const char* key, const char* maskKey)
{
    __faasm_push_state_partial_mask(key, maskKey);
}

void faasmPullState(const char* key, long stateLen) { __faasm_pull_state(key, (int32_t)stateLen); }

void faasmAppendState(const char* key, const unsigned char* data, long dataLen)
{
    __faasm_append_state(key, data, (int32_t)dataLen);
}

void faasmReadAppendedState(const char* key, unsigned char* data, long dataLen, long nElems)
{
    __faasm_read_appended_state(key, data, (int32_t)dataLen, (int32_t)nElems);
}

void faasmClearAppendedState(const char* key) { __faasm_clear_appended_state(key); }

void faasmLockStateGlobal(const char* key) { __faasm_lock_state_global(key); }
void faasmUnlockStateGlobal(const char* key) { __faasm_unlock_state_global(key); }
void faasmLockStateRead(const char* key) { __faasm_lock_state_read(key); }
void faasmUnlockStateRead(const char* key) { __faasm_unlock_state_read(key); }
void faasmLockStateWrite(const char* key) { __faasm_lock_state_write(key); }
void faasmUnlockStateWrite(const char* key) { __faasm_unlock_state_write(key); }
