#include "faasm/compare.h"

namespace faasm {

template<typename T>
bool compareArrays(T* a, T* b, int len)
{
    for (int i = 0; i < len; i++) {
        if (a[i] != b[i]) {
            printf("Arrays not equal: A=");
            printArray<T>(a, (size_t)len);
            printf(" B=");
            printArray<T>(b, (size_t)len);
            printf("\n");
            return false;
        }
    }
    return true;
}

template bool compareArrays<int>(int* a, int* b, int len);
template bool compareArrays<unsigned char>(unsigned char* a, unsigned char* b, int len);
template bool compareArrays<float>(float* a, float* b, int len);
template bool compareArrays<double>(double* a, double* b, int len);

}
