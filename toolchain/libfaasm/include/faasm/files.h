/* File helpers (namespace faasm): a function reads the project's shared files with these. */
#ifndef FAASM_FILES_H
#define FAASM_FILES_H

namespace faasm {

/* The file's size in bytes, or -1 when it cannot be opened. */
long getFileLength(const char* path);

/* The whole file, NUL-terminated, malloc'ed; nullptr when it cannot be read or is empty. */
char* readFileToString(const char* path);

}

#endif
