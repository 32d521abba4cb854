/* faasm/matrix.h; built only where Eigen is installed (libeigen3-dev). */
#if __has_include(<eigen3/Eigen/Core>)
#include "faasm/matrix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>

namespace faasm {

static char* suffixed(const char* key, const char* suffix)
{
    size_t length = strlen(key) + strlen(suffix) + 1;
    char* out = new char[length];
    snprintf(out, length, "%s%s", key, suffix);
    return out;
}

SparseKeys::SparseKeys(const char* key)
  : valueKey(suffixed(key, "_vals"))
  , innerKey(suffixed(key, "_innr"))
  , outerKey(suffixed(key, "_outr"))
  , sizeKey(suffixed(key, "_size"))
  , nonZeroKey(suffixed(key, "_nonz"))
{}

SparseKeys::SparseKeys(SparseKeys&& other) noexcept
  : valueKey(other.valueKey)
  , innerKey(other.innerKey)
  , outerKey(other.outerKey)
  , sizeKey(other.sizeKey)
  , nonZeroKey(other.nonZeroKey)
{
    other.valueKey = other.innerKey = other.outerKey = other.sizeKey = other.nonZeroKey = nullptr;
}

SparseKeys::~SparseKeys()
{
    delete[] valueKey;
    delete[] innerKey;
    delete[] outerKey;
    delete[] sizeKey;
    delete[] nonZeroKey;
}

SparseKeys getSparseKeys(const char* key) { return SparseKeys(key); }

[[noreturn]] static void matrixError(const char* message)
{
    fprintf(stderr, "faasm/matrix.h: %s\n", message);
    fflush(stdout);
    abort();
}

SparseMatrixSerialiser::SparseMatrixSerialiser(const SparseMatrix<double>& matIn)
  : mat(matIn)
{
    if (!mat.isCompressed()) {
        matrixError("a sparse matrix must be compressed (makeCompressed()) to be serialised");
    }
    long nonZeros = (long)mat.nonZeros();
    long cols = (long)mat.outerSize();
    nValueBytes = (size_t)nonZeros * sizeof(double);
    nInnerBytes = (size_t)nonZeros * sizeof(int);
    nOuterBytes = (size_t)(cols + 1) * sizeof(int);
    nNonZeroBytes = (size_t)cols * sizeof(int);
    valueBytes = reinterpret_cast<const uint8_t*>(mat.valuePtr());
    innerBytes = reinterpret_cast<const uint8_t*>(mat.innerIndexPtr());
    outerBytes = reinterpret_cast<const uint8_t*>(mat.outerIndexPtr());

    const int* outer = mat.outerIndexPtr();
    nonZeroCounts = new int[cols > 0 ? cols : 1];
    for (long c = 0; c < cols; c++) {
        nonZeroCounts[c] = outer[c + 1] - outer[c];
    }
    nonZeroBytes = reinterpret_cast<const uint8_t*>(nonZeroCounts);

    sizes.cols = (int)mat.cols();
    sizes.rows = (int)mat.rows();
    sizes.nNonZeros = (int)nonZeros;
    sizes.valuesLen = (int)nValueBytes;
    sizes.innerLen = (int)nInnerBytes;
    sizes.outerLen = (int)nOuterBytes;
    sizes.nonZeroLen = (int)nNonZeroBytes;
    sizeBytes = reinterpret_cast<const uint8_t*>(&sizes);
    nSizeBytes = sizeof(SparseSizes);
}

SparseMatrixSerialiser::~SparseMatrixSerialiser() { delete[] nonZeroCounts; }

static void writeKey(const char* key, const uint8_t* data, size_t length, bool push)
{
    faasmWriteState(key, data, (long)length);
    if (push) {
        faasmPushState(key);
    }
}

void SparseMatrixSerialiser::writeToState(const char* key, bool push)
{
    SparseKeys keys(key);
    writeKey(keys.valueKey, valueBytes, nValueBytes, push);
    writeKey(keys.innerKey, innerBytes, nInnerBytes, push);
    writeKey(keys.outerKey, outerBytes, nOuterBytes, push);
    writeKey(keys.nonZeroKey, nonZeroBytes, nNonZeroBytes, push);
    writeKey(keys.sizeKey, sizeBytes, nSizeBytes, push);
}

Map<const SparseMatrix<double>> SparseMatrixSerialiser::readFromBytes(const SparseSizes& sizes,
                                                                      uint8_t* outerBytes,
                                                                      uint8_t* innerBytes,
                                                                      uint8_t* valuesBytes)
{
    return Map<const SparseMatrix<double>>(sizes.rows,
                                           sizes.cols,
                                           sizes.nNonZeros,
                                           reinterpret_cast<int*>(outerBytes),
                                           reinterpret_cast<int*>(innerBytes),
                                           reinterpret_cast<double*>(valuesBytes));
}

void writeSparseMatrixToState(const char* key, const SparseMatrix<double>& mat, bool push)
{
    SparseMatrixSerialiser(mat).writeToState(key, push);
}

/* A pointer to `length` bytes of a value in shared state (pulled first if asked); an empty
 * value has no bytes to point to, and gets a null pointer. */
static uint8_t* statePtr(const char* key, long length, bool pull)
{
    if (length <= 0) {
        return nullptr;
    }
    if (pull) {
        faasmPullState(key, length);
    }
    return faasmReadStatePtr(key, length);
}

static SparseSizes readSparseSizes(const SparseKeys& keys, bool pull)
{
    SparseSizes sizes{};
    if (pull) {
        faasmPullState(keys.sizeKey, sizeof(SparseSizes));
    }
    faasmReadState(keys.sizeKey, reinterpret_cast<uint8_t*>(&sizes), sizeof(SparseSizes));
    if (sizes.rows <= 0 || sizes.cols <= 0) {
        matrixError("no sparse matrix in state under this key (its size is zero)");
    }
    return sizes;
}

Map<const SparseMatrix<double>> readSparseMatrixFromState(const char* key, bool pull)
{
    SparseKeys keys(key);
    SparseSizes sizes = readSparseSizes(keys, pull);
    return SparseMatrixSerialiser::readFromBytes(sizes,
                                                 statePtr(keys.outerKey, sizes.outerLen, pull),
                                                 statePtr(keys.innerKey, sizes.innerLen, pull),
                                                 statePtr(keys.valueKey, sizes.valuesLen, pull));
}

Map<const SparseMatrix<double>> readSparseMatrixColumnsFromState(const char* key, long colStart,
                                                                 long colEnd, bool pull)
{
    SparseKeys keys(key);
    SparseSizes sizes = readSparseSizes(keys, pull);
    if (colStart < 0 || colEnd > sizes.cols || colEnd <= colStart) {
        matrixError("sparse column range outside the matrix");
    }
    long nCols = colEnd - colStart;
    const int* allOuter =
      reinterpret_cast<const int*>(statePtr(keys.outerKey, sizes.outerLen, pull));
    int first = allOuter[colStart];
    int nValues = allOuter[colEnd] - first;

    // The outer starts of a column range count from its first value, not the matrix's.
    int* outer = new int[nCols + 1];
    for (long c = 0; c <= nCols; c++) {
        outer[c] = allOuter[colStart + c] - first;
    }
    uint8_t* inner = statePtr(keys.innerKey, sizes.innerLen, pull);
    uint8_t* values = statePtr(keys.valueKey, sizes.valuesLen, pull);
    return Map<const SparseMatrix<double>>(
      sizes.rows,
      nCols,
      nValues,
      outer,
      inner ? reinterpret_cast<int*>(inner) + first : nullptr,
      values ? reinterpret_cast<double*>(values) + first : nullptr);
}

size_t getMatrixStateSize(const MatrixXd& matrix)
{
    return (size_t)matrix.rows() * (size_t)matrix.cols() * sizeof(double);
}

void writeMatrixToState(const char* key, const MatrixXd& matrix, bool push)
{
    writeKey(key,
             reinterpret_cast<const uint8_t*>(matrix.data()),
             getMatrixStateSize(matrix),
             push);
}

Map<const MatrixXd> readMatrixFromState(const char* key, long rows, long cols, bool pull)
{
    uint8_t* data = statePtr(key, rows * cols * (long)sizeof(double), pull);
    return Map<const MatrixXd>(reinterpret_cast<double*>(data), rows, cols);
}

void readMatrixFromState(const char* key, double* buffer, long rows, long cols, bool pull)
{
    long length = rows * cols * (long)sizeof(double);
    if (pull) {
        faasmPullState(key, length);
    }
    faasmReadState(key, BYTES(buffer), length);
}

long matrixByteIndex(long row, long col, long totalRows)
{
    return (col * totalRows + row) * (long)sizeof(double);
}

long getChunkSizeUpToMatrixElement(long row, long col, long totalRows)
{
    return matrixByteIndex(row, col, totalRows);
}

void writeMatrixToStateElement(const char* key, const MatrixXd& matrix, long row, long col,
                               bool push)
{
    double value = matrix.coeff(row, col);
    faasmWriteStateOffset(key,
                          (long)getMatrixStateSize(matrix),
                          matrixByteIndex(row, col, matrix.rows()),
                          BYTES(&value),
                          sizeof(double));
    if (push) {
        faasmPushStatePartial(key);
    }
}

Map<const MatrixXd> readMatrixColumnsFromState(const char* key, long totalCols, long colStart,
                                               long colEnd, long totalRows, bool pull)
{
    long total = totalCols * totalRows * (long)sizeof(double);
    if (pull) {
        faasmPullState(key, total);
    }
    long start = matrixByteIndex(0, colStart, totalRows);
    long length = matrixByteIndex(0, colEnd, totalRows) - start;
    uint8_t* data = faasmReadStateOffsetPtr(key, total, start, length);
    return Map<const MatrixXd>(reinterpret_cast<double*>(data), totalRows, colEnd - colStart);
}

MatrixXd randomDenseMatrix(int rows, int cols) { return MatrixXd::Random(rows, cols); }

MatrixXd zeroMatrix(int rows, int cols) { return MatrixXd::Zero(rows, cols); }

SparseMatrix<double> randomSparseMatrix(int rows, int cols, double threshold)
{
    std::vector<Triplet<double>> triplets;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            double value = randomFloat();
            if (value < threshold) {
                triplets.emplace_back(r, c, value);
            }
        }
    }
    SparseMatrix<double> mat(rows, cols);
    mat.setFromTriplets(triplets.begin(), triplets.end());
    return mat;
}

static void swapColumns(MatrixXd& matrix, MatrixXd* paired)
{
    int nCols = (int)matrix.cols();
    for (int i = nCols - 1; i > 0; i--) {
        int j = randomInteger(0, i);
        matrix.col(i).swap(matrix.col(j));
        if (paired) {
            paired->col(i).swap(paired->col(j));
        }
    }
}

void shuffleMatrixColumns(MatrixXd& matrix) { swapColumns(matrix, nullptr); }

void shufflePairedMatrixColumns(MatrixXd& a, MatrixXd& b) { swapColumns(a, &b); }

double calculateSquaredError(const MatrixXd& prediction, const MatrixXd& b)
{
    return (prediction - b).squaredNorm();
}

double calculateHingeError(const MatrixXd& a, const MatrixXd& b)
{
    double total = 0;
    for (long r = 0; r < a.rows(); r++) {
        for (long c = 0; c < a.cols(); c++) {
            total += std::max(1.0 - a.coeff(r, c) * b.coeff(c, r), 0.0);
        }
    }
    return total;
}

double calculateRootMeanSquaredError(const MatrixXd& a, const MatrixXd& b)
{
    return sqrt(calculateSquaredError(a, b) / (double)(a.rows() * a.cols()));
}

}
#endif
