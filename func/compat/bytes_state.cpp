// BYTES() with the state calls, and an offset read bounded by the value as it exists (Faasm's
// rule): a 10-byte value read with totalLen 4 at offset 4 gives bytes 4-7.
#include "faasm/faasm.h"

#include <stdio.h>
#include <string>

FAASM_MAIN_FUNC()
{
    int numbers[4] = { 10, 20, 30, 40 };
    faasmWriteState("compat_ints", BYTES(numbers), sizeof(numbers));
    int back[4] = { 0 };
    faasmReadState("compat_ints", BYTES(back), sizeof(back));

    unsigned char ten[10];
    for (int i = 0; i < 10; i++) {
        ten[i] = (unsigned char)i;
    }
    faasmWriteState("compat_ten", ten, sizeof(ten));
    unsigned char part[4] = { 0 };
    faasmReadStateOffset("compat_ten", 4, 4, part, sizeof(part));

    char text[64];
    snprintf(text, sizeof(text), "ints %d %d %d %d; bytes %d %d %d %d", back[0], back[1],
             back[2], back[3], part[0], part[1], part[2], part[3]);
    faasm::setStringOutput(text);
    return 0;
}
