# CMake toolchain file for Faasm functions: wasm32-wasi with clang, wasi-libc and libc++.
#
# Complete on its own: a project that only passes -DCMAKE_TOOLCHAIN_FILE=.../FaasmToolchain.cmake
# gets the same flags as faasm_func() targets (FaasmFunctions.cmake only adds libfaasm):
#  * CMAKE_BUILD_TYPE Release when none is given (-O3 -DNDEBUG, debug info stripped at link);
#  * -msimd128 (wasm SIMD: clang auto-vectorises), and vectorised loops interleaved by 2
#    (-mllvm -force-vector-interleave=2): LLVM's wasm cost model leaves them at 1 where x86 gets
#    2, and Cranelift cannot interleave for itself (bench/bench_compute.py's gemm: 8% faster);
#  * unroll-and-jam by 4 (-mllvm -enable-unroll-and-jam -allow-unroll-and-jam
#    -unroll-and-jam-count=4; the wasm target leaves the pass off): a product written i-j-k,
#    `c[i][j] = 0; for k: c[i][j] += a[i][k] * b[k][j]`, runs 4 columns j per pass over k: four
#    independent sums instead of one chain of dependent adds, each a[i][k] loaded once for four.
#    gcc -O3 interchanges such loops to i-k-j instead; LLVM's LoopInterchange refuses them (the
#    store before the k loop), and Polly, which takes them, costs 1-18 s per file and slows
#    stencils 2-3x. Each element's sum keeps its order, so results are bit-identical. Against
#    gcc -O3 (bench_compute's kernels in wasmtime, CPU time, median of 5): 2mm 1.93x -> 0.84x,
#    3mm 1.86x -> 0.97x, mvt 1.45x -> 0.89x, gemm 1.29x -> 0.99x, trmm 1.11x -> 0.63x, symm
#    0.98x -> 0.51x, none slower; geo-mean 1.09x -> 0.85x, max 1.93x -> 1.48x (syrk). Compile
#    time: hello unchanged, loop-heavy files up to +20 ms;
#  * wasi-libc's emulations defined and linked: process clocks (clock, times, getrusage),
#    mman (anonymous mmap/munmap), signal (signal, raise) and getpid;
#  * the C stack first in linear memory (an overflow traps instead of corrupting data), 4 MiB of it.
#    A target with other needs: target_link_options(T PRIVATE -Wl,-z,stack-size=BYTES), or
#    faasm_func(NAME SRC STACK_SIZE BYTES);
#  * Eigen (Debian's libeigen3-dev, /usr/include/eigen3) as both <eigen3/Eigen/Dense> and
#    <Eigen/Dense>, through a link in the sysroot: no other host header is visible.
# Flags go in CMake's *_INIT variables, so a -DCMAKE_C_FLAGS=... of your own replaces them.
#
# Two toolchains are supported:
#  * WASI_SDK_PATH (CMake variable or environment) set: a wasi-sdk install, used as it is.
#  * otherwise Debian's packages: clang-19 lld-19 llvm-19 wasi-libc libclang-rt-19-dev-wasm32
#    libc++-19-dev-wasm32 libc++abi-19-dev-wasm32. Their wasm files are multiarch directories
#    of /usr, so clang gets a clean sysroot of symlinks, made here in the build tree, holding only
#    /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi: no host header can leak in, and the same
#    file works in the toolchain container, which has the same packages at the same paths.
#
# C++ is built with -fno-exceptions (Debian's libc++abi for wasm has no exception support), there
# are no wasm threads, and faasm functions are WASI reactors (see FaasmFunctions.cmake); a plain
# main() program is a WASI command.

set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

set(FAASM_WASM_TRIPLE wasm32-wasi)
set(FAASM_LLVM_VERSION 19 CACHE STRING "LLVM major version of the Debian toolchain")

if(NOT WASI_SDK_PATH AND DEFINED ENV{WASI_SDK_PATH})
    set(WASI_SDK_PATH "$ENV{WASI_SDK_PATH}")
endif()

# try_compile projects reuse the sysroot of the main build rather than making their own.
if(NOT FAASM_SYSROOT)
    set(FAASM_SYSROOT "${CMAKE_BINARY_DIR}/wasi-sysroot")
endif()

# faasm_sysroot_link(TARGET NAME): FAASM_SYSROOT/NAME, a symlink to TARGET.
function(faasm_sysroot_link TARGET NAME)
    set(_link "${FAASM_SYSROOT}/${NAME}")
    if(NOT IS_SYMLINK "${_link}")
        get_filename_component(_parent "${_link}" DIRECTORY)
        file(MAKE_DIRECTORY "${_parent}")
        file(CREATE_LINK "${TARGET}" "${_link}" SYMBOLIC)
    endif()
endfunction()

if(WASI_SDK_PATH)
    set(CMAKE_C_COMPILER "${WASI_SDK_PATH}/bin/clang")
    set(CMAKE_CXX_COMPILER "${WASI_SDK_PATH}/bin/clang++")
    set(CMAKE_AR "${WASI_SDK_PATH}/bin/llvm-ar" CACHE FILEPATH "archiver")
    set(CMAKE_RANLIB "${WASI_SDK_PATH}/bin/llvm-ranlib" CACHE FILEPATH "ranlib")
    set(CMAKE_SYSROOT "${WASI_SDK_PATH}/share/wasi-sysroot")
    # The sdk's sysroot is not ours to add to: FAASM_SYSROOT holds only the Eigen link.
    set(_faasm_sysroot_include " -isystem ${FAASM_SYSROOT}/include")
else()
    set(_llvm "/usr/lib/llvm-${FAASM_LLVM_VERSION}/bin")
    set(CMAKE_C_COMPILER "${_llvm}/clang")
    set(CMAKE_CXX_COMPILER "${_llvm}/clang++")
    set(CMAKE_AR "${_llvm}/llvm-ar" CACHE FILEPATH "archiver")
    set(CMAKE_RANLIB "${_llvm}/llvm-ranlib" CACHE FILEPATH "ranlib")
    foreach(_part include lib)
        set(_target "/usr/${_part}/${FAASM_WASM_TRIPLE}")
        if(NOT EXISTS "${_target}")
            message(FATAL_ERROR "${_target} is missing: apt-get install -y wasi-libc "
                                "libc++-${FAASM_LLVM_VERSION}-dev-wasm32 "
                                "libc++abi-${FAASM_LLVM_VERSION}-dev-wasm32 "
                                "libclang-rt-${FAASM_LLVM_VERSION}-dev-wasm32")
        endif()
        faasm_sysroot_link("${_target}" "${_part}/${FAASM_WASM_TRIPLE}")
    endforeach()
    set(CMAKE_SYSROOT "${FAASM_SYSROOT}")
    set(_faasm_sysroot_include "")
endif()
# Eigen is headers only. The link is made even before libeigen3-dev is installed, so installing
# it later needs no reconfigure; until then an #include of it is "file not found".
faasm_sysroot_link("/usr/include/eigen3" "include/eigen3")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FAASM_SYSROOT WASI_SDK_PATH FAASM_LLVM_VERSION)

set(CMAKE_C_COMPILER_TARGET ${FAASM_WASM_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${FAASM_WASM_TRIPLE})
set(CMAKE_ASM_COMPILER_TARGET ${FAASM_WASM_TRIPLE})

# Compiler checks only compile: linking needs libfaasm's entry points.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_BUILD_TYPE_INIT Release)

set(_faasm_emulations process-clocks mman signal getpid)
set(_faasm_defines "")
set(_faasm_libraries "")
foreach(_faasm_emulation IN LISTS _faasm_emulations)
    string(TOUPPER "${_faasm_emulation}" _faasm_name)
    string(REPLACE "-" "_" _faasm_name "${_faasm_name}")
    string(APPEND _faasm_defines " -D_WASI_EMULATED_${_faasm_name}")
    string(APPEND _faasm_libraries " -lwasi-emulated-${_faasm_emulation}")
endforeach()
set(_faasm_flags "-msimd128 -mllvm -force-vector-interleave=2 -mllvm -enable-unroll-and-jam")
string(APPEND _faasm_flags " -mllvm -allow-unroll-and-jam -mllvm -unroll-and-jam-count=4")
string(APPEND _faasm_flags "${_faasm_defines}")
set(CMAKE_C_FLAGS_INIT "${_faasm_flags}")
string(APPEND _faasm_sysroot_include " -isystem ${FAASM_SYSROOT}/include/eigen3")
set(CMAKE_CXX_FLAGS_INIT "${_faasm_flags} -fno-exceptions${_faasm_sysroot_include}")
# Standard libraries go after the objects on the link line, where archives must be.
set(CMAKE_C_STANDARD_LIBRARIES_INIT "${_faasm_libraries}")
set(CMAKE_CXX_STANDARD_LIBRARIES_INIT "${_faasm_libraries}")

set(FAASM_DEFAULT_STACK_SIZE 4194304)
# CMake repeats the compile flags on the link line, where clang would warn that the -mllvm
# codegen options have nothing to do.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-Wl,--stack-first -Wl,-z,stack-size=${FAASM_DEFAULT_STACK_SIZE} -Wno-unused-command-line-argument")
# Release: no debug info, and the link strips any that came in with libraries. The name section
# stays, so a trap's backtrace names the guest's functions.
set(CMAKE_EXE_LINKER_FLAGS_RELEASE_INIT "-Wl,--strip-debug")

set(CMAKE_FIND_ROOT_PATH "${CMAKE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
