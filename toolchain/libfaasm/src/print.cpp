#include "faasm/print.h"

namespace faasm {

char* floatToStr(float f)
{
    int length = snprintf(nullptr, 0, "%.3f", (double)f);
    char* text = new char[(size_t)length + 1];
    snprintf(text, (size_t)length + 1, "%.3f", (double)f);
    return text;
}

static void printOne(int value) { printf("%i", value); }
static void printOne(unsigned char value) { printf("%i", (int)value); }
static void printOne(float value) { printf("%f", (double)value); }
static void printOne(double value) { printf("%f", value); }

template<typename T>
void printArray(T* data, size_t size)
{
    printf("[");
    for (size_t i = 0; i < size; i++) {
        printOne(data[i]);
        if (i + 1 < size) {
            printf(", ");
        }
    }
    printf("]");
}

template void printArray<int>(int* data, size_t size);
template void printArray<unsigned char>(unsigned char* data, size_t size);
template void printArray<float>(float* data, size_t size);
template void printArray<double>(double* data, size_t size);

}
