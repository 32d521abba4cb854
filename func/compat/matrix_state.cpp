// faasm/matrix.h: dense and sparse matrices through state (whole, by element, by columns), and
// the error measures. Prints each check; returns 1 at the first that fails.
#include "faasm/faasm.h"
#include "faasm/matrix.h"

#include <stdio.h>

#include <eigen3/Eigen/Dense>

static int failures = 0;

static void check(bool ok, const char* what)
{
    printf("%s %s\n", ok ? "ok" : "FAILED", what);
    failures += ok ? 0 : 1;
}

FAASM_MAIN_FUNC()
{
    MatrixXd dense(3, 4);
    dense << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12;
    faasm::writeMatrixToState("compat_dense", dense, true);
    check(faasmReadStateSize("compat_dense") == 12 * (long)sizeof(double), "dense size in state");
    check(faasm::readMatrixFromState("compat_dense", 3, 4, true) == dense, "dense round trip");

    dense(1, 2) = 70;
    faasm::writeMatrixToStateElement("compat_dense", dense, 1, 2, true);
    double copy[12];
    faasm::readMatrixFromState("compat_dense", copy, 3, 4, false);
    check(copy[2 * 3 + 1] == 70 && copy[0] == 1, "element write");

    Map<const MatrixXd> cols = faasm::readMatrixColumnsFromState("compat_dense", 4, 1, 3, 3, false);
    check(cols.rows() == 3 && cols.cols() == 2 && cols == dense.block(0, 1, 3, 2), "dense columns");

    SparseMatrix<double> sparse(4, 5);
    sparse.insert(0, 0) = 1.5;
    sparse.insert(3, 1) = -2;
    sparse.insert(2, 3) = 4.25;
    sparse.insert(1, 4) = 8;
    sparse.makeCompressed();
    faasm::writeSparseMatrixToState("compat_sparse", sparse, true);
    Map<const SparseMatrix<double>> back = faasm::readSparseMatrixFromState("compat_sparse", true);
    check(MatrixXd(back) == MatrixXd(sparse), "sparse round trip");
    Map<const SparseMatrix<double>> part =
      faasm::readSparseMatrixColumnsFromState("compat_sparse", 1, 4, false);
    check(MatrixXd(part) == MatrixXd(sparse).block(0, 1, 4, 3), "sparse columns");

    MatrixXd a(1, 2), b(1, 2);
    a << 1, 2;
    b << 1, 4;
    check(faasm::calculateSquaredError(a, b) == 4, "squared error");
    check(faasm::calculateRootMeanSquaredError(a, b) == sqrt(2.0), "root mean squared error");
    check(faasm::calculateHingeError(a, b.transpose()) == 0, "hinge error");

    MatrixXd random = faasm::randomDenseMatrix(5, 6);
    check(random.rows() == 5 && random.cols() == 6 && random.cwiseAbs().maxCoeff() <= 1, "random");
    SparseMatrix<double> randomSparse = faasm::randomSparseMatrix(20, 20, 0.25);
    check(randomSparse.nonZeros() > 0 && randomSparse.nonZeros() < 400, "random sparse");
    MatrixXd shuffled = dense;
    faasm::shuffleMatrixColumns(shuffled);
    check(shuffled.sum() == dense.sum(), "shuffled columns");

    faasm::setStringOutput(failures ? "failed" : "matrices ok");
    return failures ? 1 : 0;
}
