#include "faasm/time.h"

namespace faasm {

double getSecondsSinceEpoch()
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

}
