/*
 * main() of a natively built function (in its own object, so a plain `int main()` program that
 * defines its own main still links against libfaasm).
 *
 *   ./hello [--input TEXT] [--idx N]     input from --input, else from stdin when it is not a tty
 *
 * Runs the zygote, then the function; writes the output bytes to stdout (or to the descriptor in
 * FAASM_OUTPUT_FD, used for chained calls by name) and exits with the function's return value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libfaasm_internal.h"

static unsigned char* read_all(FILE* f, long* len)
{
    size_t cap = 4096, n = 0;
    unsigned char* buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    if (!buf) {
        fprintf(stderr, "faasm (native): out of memory reading input\n");
        exit(1);
    }
    *len = (long)n;
    return buf;
}

static void usage(const char* prog)
{
    fprintf(stderr, "usage: %s [--input TEXT] [--idx N]  (input is read from stdin when piped)\n",
            prog);
}

int main(int argc, char** argv)
{
    const unsigned char* input = (const unsigned char*)"";
    long inputLen = 0;
    int haveInput = 0;
    int idx = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
            input = (const unsigned char*)argv[++i];
            inputLen = (long)strlen((const char*)input);
            haveInput = 1;
        } else if (strcmp(argv[i], "--idx") == 0 && i + 1 < argc) {
            idx = atoi(argv[++i]);
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (!haveInput && !isatty(0)) {
        input = read_all(stdin, &inputLen);
    }

    int zygote = __faasm_zygote();
    if (zygote != 0) {
        fprintf(stderr, "faasm (native): zygote failed with %d\n", zygote);
        return zygote;
    }

    faasm_native_set_call(idx, input, inputLen);
    int result = __faasm_call(idx);

    long outputLen = 0;
    const unsigned char* output = faasm_native_output(&outputLen);
    const char* fdText = getenv("FAASM_OUTPUT_FD");
    int fd = fdText ? atoi(fdText) : 1;
    long written = 0;
    while (written < outputLen) {
        ssize_t n = write(fd, output + written, (size_t)(outputLen - written));
        if (n <= 0) {
            break;
        }
        written += n;
    }
    if (fd == 1 && isatty(1) && outputLen > 0 && output[outputLen - 1] != '\n') {
        (void)!write(1, "\n", 1);
    }
    return result;
}
