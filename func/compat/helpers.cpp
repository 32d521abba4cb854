// The small helper headers of Faasm's library: print, compare, time, state masks, conf flags
// and the Python user/function of a call.
#include "faasm/compare.h"
#include "faasm/faasm.h"
#include "faasm/print.h"
#include "faasm/state.h"
#include "faasm/time.h"

#include <stdio.h>
#include <stdlib.h>

FAASM_MAIN_FUNC()
{
    FAASM_PROF_START(helpers)
    printf("float %s\n", faasm::floatToStr(7.89f));
    int ints[3] = { 1, 2, 3 };
    printf("ints ");
    faasm::printArray<int>(ints, 3);
    printf("\n");
    double doubles[2] = { 0.5, 1.25 };
    printf("doubles ");
    faasm::printArray<double>(doubles, 2);
    printf("\n");

    int same[3] = { 1, 2, 3 };
    int other[3] = { 1, 5, 3 };
    printf("equal %d\n", faasm::compareArrays<int>(ints, same, 3) ? 1 : 0);
    bool differ = faasm::compareArrays<int>(ints, other, 3);
    printf("differ %d\n", differ ? 1 : 0);

    double now = faasm::getSecondsSinceEpoch();
    printf("after 2020 %d\n", now > 1577836800.0 ? 1 : 0);

    unsigned int mask[6] = { 0 };
    faasm::maskDouble(mask, 1);
    printf("mask %x %x %x %x\n", mask[1], mask[2], mask[3], mask[4]);

    printf("conf %u %u\n", getConfFlag("ALWAYS_ON"), getConfFlag("ALWAYS_OFF"));

    char* user = faasmGetPythonUser();
    char* func = faasmGetPythonFunc();
    printf("python '%s' '%s'\n", user, func);
    free(user);
    free(func);
    FAASM_PROF_END(helpers)
    return 0;
}
