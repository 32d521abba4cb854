/*
 * The one header a Faasm function includes. C gets the core API and macros; C++ also gets the
 * helpers of namespace faasm (input, counter, random), as Faasm's own header did.
 */
#ifndef FAASM_FAASM_H
#define FAASM_FAASM_H

#include "faasm/core.h"

#ifdef __cplusplus
#include "faasm/counter.h"
#include "faasm/input.h"
#include "faasm/random.h"
#endif

#endif
