/* What Faasm's functions expect of memory: anonymous mmap/munmap, sbrk and brk on linear memory,
 * a C stack above 1 MiB, and clock(). Prints each check; returns 1 if any fails. */
#include "faasm/faasm.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 65536
#define STACK_ARRAY (2 * 1024 * 1024)

static int failures = 0;

static void check(int ok, const char* what)
{
    printf("%s %s\n", ok ? "ok" : "FAILED", what);
    failures += ok ? 0 : 1;
}

static int mmap_regions(void)
{
    size_t length = 3 * PAGE + 1234; /* several pages, not on a page boundary */
    char* regions[10];
    for (int i = 0; i < 10; i++) {
        void* p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
        if (p == MAP_FAILED) {
            return 0;
        }
        regions[i] = p;
        memset(regions[i], 'a' + i, length);
    }
    int ok = 1;
    for (int i = 0; i < 10; i++) {
        ok = ok && regions[i][0] == 'a' + i && regions[i][length - 1] == 'a' + i;
    }
    for (int i = 0; i < 10; i++) {
        ok = ok && munmap(regions[i], length) == 0;
    }
    return ok;
}

static int sbrk_pages(void)
{
    char* start = sbrk(0);
    char* first = sbrk(PAGE);
    char* second = sbrk(PAGE);
    char* odd = sbrk(100);
    char* after = sbrk(0);
    if (first == (void*)-1 || second == (void*)-1 || odd == (void*)-1) {
        return 0;
    }
    memset(first, 1, 2 * PAGE + 100); /* the new memory is there to use */
    return first == start && second - first == PAGE && odd - second == PAGE && after - odd == 100;
}

static int brk_moves(void)
{
    char* here = sbrk(0);
    if (brk(here + 5000) != 0 || (char*)sbrk(0) != here + 5000) {
        return 0;
    }
    here[4999] = 7;
    return brk(here) == 0 && (char*)sbrk(0) == here;
}

static int big_stack(void)
{
    volatile char array[STACK_ARRAY];
    array[0] = 1;
    array[STACK_ARRAY - 1] = 2;
    return array[0] + array[STACK_ARRAY - 1] == 3;
}

static int clock_runs(void)
{
    clock_t start = clock();
    volatile unsigned long spin = 0;
    while (clock() == start && spin < 4000000000ul) {
        spin++;
    }
    return start != (clock_t)-1 && clock() > start;
}

FAASM_MAIN_FUNC()
{
    check(mmap_regions(), "mmap and munmap of anonymous regions");
    check(sbrk_pages(), "sbrk by pages and by odd sizes");
    check(brk_moves(), "brk up and down");
    check(big_stack(), "a 2 MiB array on the stack");
    check(clock_runs(), "clock() advances");
    const char* result = failures ? "failed" : "memory ok";
    faasmSetOutput((const unsigned char*)result, (long)strlen(result));
    return failures ? 1 : 0;
}
