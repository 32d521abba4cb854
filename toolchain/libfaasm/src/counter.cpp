/* faasm/counter.h: an int counter stored in state (native byte order, 4 bytes). */
#include "faasm/counter.h"

#include "faasm/core.h"

namespace faasm {

static void writeCounter(const char* key, int value)
{
    faasmWriteState(key, reinterpret_cast<const unsigned char*>(&value), sizeof(int));
    faasmPushState(key);
}

void initCounter(const char* counterKey) { writeCounter(counterKey, 0); }

int getCounter(const char* counterKey)
{
    int value = 0;
    faasmReadState(counterKey, reinterpret_cast<unsigned char*>(&value), sizeof(int));
    return value;
}

int incrementCounter(const char* counterKey)
{
    faasmLockStateGlobal(counterKey);
    faasmPullState(counterKey, sizeof(int));
    int value = getCounter(counterKey) + 1;
    writeCounter(counterKey, value);
    faasmUnlockStateGlobal(counterKey);
    return value;
}

}
