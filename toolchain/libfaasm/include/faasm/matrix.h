/*
 * Eigen matrices in state (namespace faasm), with Faasm's names and layouts, so functions that
 * share matrices through state work unchanged:
 *  - a dense MatrixXd is its doubles in Eigen's column-major order under one key;
 *  - a compressed SparseMatrix<double> is five keys: KEY_vals (values), KEY_innr (inner, i.e. row,
 *    indices), KEY_outr (cols + 1 outer starts), KEY_nonz (non-zeros per column) and KEY_size
 *    (a SparseSizes), so column ranges can be read without the whole matrix.
 * `push` pushes what was written; `pull` pulls before reading. Column ranges are [start, end).
 * Maps returned by the readers point into shared state (or, for rebased indices, into memory
 * allocated for the call): they stay valid for the rest of the call.
 */
#ifndef FAASM_MATRIX_H
#define FAASM_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include <eigen3/Eigen/Core>
#include <eigen3/Eigen/SparseCore>

#include "faasm/core.h"
#include "faasm/random.h"

using namespace Eigen;

namespace faasm {

/* The shape of a serialised sparse matrix; ints, as longs are on wasm32. */
struct SparseSizes
{
    int cols;
    int rows;
    int nNonZeros;

    int valuesLen;
    int innerLen;
    int outerLen;
    int nonZeroLen;
};

/* The five state keys of a sparse matrix stored under `key`. */
struct SparseKeys
{
    explicit SparseKeys(const char* key);
    SparseKeys(SparseKeys&& other) noexcept;
    SparseKeys(const SparseKeys&) = delete;
    SparseKeys& operator=(const SparseKeys&) = delete;
    ~SparseKeys();

    char* valueKey;
    char* innerKey;
    char* outerKey;
    char* sizeKey;
    char* nonZeroKey;
};

SparseKeys getSparseKeys(const char* key);

/* The byte views of a compressed sparse matrix, as they are written to state. */
class SparseMatrixSerialiser
{
  public:
    explicit SparseMatrixSerialiser(const SparseMatrix<double>& matIn);
    SparseMatrixSerialiser(const SparseMatrixSerialiser&) = delete;
    SparseMatrixSerialiser& operator=(const SparseMatrixSerialiser&) = delete;
    ~SparseMatrixSerialiser();

    void writeToState(const char* key, bool push);

    static Map<const SparseMatrix<double>> readFromBytes(const SparseSizes& sizes,
                                                         uint8_t* outerBytes,
                                                         uint8_t* innerBytes,
                                                         uint8_t* valuesBytes);

    const SparseMatrix<double>& mat;

    const uint8_t* valueBytes;
    size_t nValueBytes;

    const uint8_t* innerBytes;
    size_t nInnerBytes;

    const uint8_t* outerBytes;
    size_t nOuterBytes;

    const uint8_t* nonZeroBytes;
    size_t nNonZeroBytes;

    const uint8_t* sizeBytes;
    size_t nSizeBytes;

  private:
    int* nonZeroCounts;
    SparseSizes sizes{};
};

/* State */
size_t getMatrixStateSize(const MatrixXd& matrix);

Map<const SparseMatrix<double>> readSparseMatrixFromState(const char* key, bool pull);

void writeSparseMatrixToState(const char* key, const SparseMatrix<double>& mat, bool push);

Map<const MatrixXd> readMatrixFromState(const char* key, long rows, long cols, bool pull);

void readMatrixFromState(const char* key, double* buffer, long rows, long cols, bool pull);

void writeMatrixToState(const char* key, const MatrixXd& matrix, bool push);

/* Write one element of a matrix already in state (a partial push when `push`). */
void writeMatrixToStateElement(const char* key, const MatrixXd& matrix, long row, long col,
                               bool push);

Map<const MatrixXd> readMatrixColumnsFromState(const char* key, long totalCols, long colStart,
                                               long colEnd, long totalRows, bool pull);

Map<const SparseMatrix<double>> readSparseMatrixColumnsFromState(const char* key, long colStart,
                                                                 long colEnd, bool pull);

/* Manipulation */
MatrixXd randomDenseMatrix(int rows, int cols);

MatrixXd zeroMatrix(int rows, int cols);

/* Each element is kept, with a uniform value in [0, 1), when that value is below threshold. */
SparseMatrix<double> randomSparseMatrix(int rows, int cols, double threshold);

/* Byte offset of element (row, col) of a column-major matrix of doubles with totalRows rows. */
long matrixByteIndex(long row, long col, long totalRows);

/* Bytes before element (row, col): the chunk size that holds the elements up to it. */
long getChunkSizeUpToMatrixElement(long row, long col, long totalRows);

void shuffleMatrixColumns(MatrixXd& matrix);

void shufflePairedMatrixColumns(MatrixXd& a, MatrixXd& b);

/* Sum of the squared element differences. */
double calculateSquaredError(const MatrixXd& prediction, const MatrixXd& b);

/* Sum of max(0, 1 - p(r, c) * a(c, r)): `a` holds the labels in prediction's transposed shape. */
double calculateHingeError(const MatrixXd& a, const MatrixXd& b);

double calculateRootMeanSquaredError(const MatrixXd& a, const MatrixXd& b);

}

#endif
