/* A pool of chained calls (namespace faasm): chain this module's functions, then await them all. */
#ifndef FAASM_POOL_H
#define FAASM_POOL_H

#include <vector>

namespace faasm {

class FunctionPool
{
  public:
    /* Chain function index funcIdx of this module (no input); its call id. */
    unsigned int chain(int funcIdx);

    /* Await every call chained through this pool, in order. */
    void awaitAll();

  private:
    std::vector<unsigned int> callIds;
};

}

#endif
