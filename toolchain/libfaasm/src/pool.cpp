#include "faasm/pool.h"

#include "faasm/core.h"

namespace faasm {

unsigned int FunctionPool::chain(int funcIdx)
{
    unsigned int callId = faasmChainThis(funcIdx);
    callIds.push_back(callId);
    return callId;
}

void FunctionPool::awaitAll()
{
    for (unsigned int callId : callIds) {
        faasmAwaitCall(callId);
    }
}

}
