/* A state-backed integer counter (namespace faasm): survives between calls of any function. */
#ifndef FAASM_COUNTER_H
#define FAASM_COUNTER_H

namespace faasm {

/* Set the counter to 0 (and push it). */
void initCounter(const char* counterKey);

/* The current value (0 when the key was never written). */
int getCounter(const char* counterKey);

/* Add one under the key's global lock, push, and return the new value. */
int incrementCounter(const char* counterKey);

}

#endif
