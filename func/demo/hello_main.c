/* hello_main: any plain C program is a valid function; what it prints is kept as its stdout.
 * Expected: stdout "Hello from main!\n", no output bytes, return value 0. */
#include <stdio.h>

int main(void)
{
    printf("Hello from main!\n");
    return 0;
}
