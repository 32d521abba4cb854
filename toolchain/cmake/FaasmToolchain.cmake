# CMake toolchain file for Faasm functions: wasm32-wasi with clang, wasi-libc and libc++.
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
# are no wasm threads, and functions are WASI reactors (see FaasmFunctions.cmake).

set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

set(FAASM_WASM_TRIPLE wasm32-wasi)
set(FAASM_LLVM_VERSION 19 CACHE STRING "LLVM major version of the Debian toolchain")

if(NOT WASI_SDK_PATH AND DEFINED ENV{WASI_SDK_PATH})
    set(WASI_SDK_PATH "$ENV{WASI_SDK_PATH}")
endif()

if(WASI_SDK_PATH)
    set(CMAKE_C_COMPILER "${WASI_SDK_PATH}/bin/clang")
    set(CMAKE_CXX_COMPILER "${WASI_SDK_PATH}/bin/clang++")
    set(CMAKE_AR "${WASI_SDK_PATH}/bin/llvm-ar" CACHE FILEPATH "archiver")
    set(CMAKE_RANLIB "${WASI_SDK_PATH}/bin/llvm-ranlib" CACHE FILEPATH "ranlib")
    set(CMAKE_SYSROOT "${WASI_SDK_PATH}/share/wasi-sysroot")
else()
    set(_llvm "/usr/lib/llvm-${FAASM_LLVM_VERSION}/bin")
    set(CMAKE_C_COMPILER "${_llvm}/clang")
    set(CMAKE_CXX_COMPILER "${_llvm}/clang++")
    set(CMAKE_AR "${_llvm}/llvm-ar" CACHE FILEPATH "archiver")
    set(CMAKE_RANLIB "${_llvm}/llvm-ranlib" CACHE FILEPATH "ranlib")

    # try_compile projects reuse the sysroot of the main build rather than making their own.
    if(NOT FAASM_SYSROOT)
        set(FAASM_SYSROOT "${CMAKE_BINARY_DIR}/wasi-sysroot")
    endif()
    foreach(_part include lib)
        set(_target "/usr/${_part}/${FAASM_WASM_TRIPLE}")
        set(_link "${FAASM_SYSROOT}/${_part}/${FAASM_WASM_TRIPLE}")
        if(NOT EXISTS "${_target}")
            message(FATAL_ERROR "${_target} is missing: apt-get install -y wasi-libc "
                                "libc++-${FAASM_LLVM_VERSION}-dev-wasm32 "
                                "libc++abi-${FAASM_LLVM_VERSION}-dev-wasm32 "
                                "libclang-rt-${FAASM_LLVM_VERSION}-dev-wasm32")
        endif()
        if(NOT IS_SYMLINK "${_link}")
            file(MAKE_DIRECTORY "${FAASM_SYSROOT}/${_part}")
            file(CREATE_LINK "${_target}" "${_link}" SYMBOLIC)
        endif()
    endforeach()
    set(CMAKE_SYSROOT "${FAASM_SYSROOT}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FAASM_SYSROOT WASI_SDK_PATH FAASM_LLVM_VERSION)

set(CMAKE_C_COMPILER_TARGET ${FAASM_WASM_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${FAASM_WASM_TRIPLE})
set(CMAKE_ASM_COMPILER_TARGET ${FAASM_WASM_TRIPLE})

# Compiler checks only compile: linking needs libfaasm's entry points.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
# Release (CMake's "-O3 -DNDEBUG"): no debug info, and the link strips any that came in with
# libraries. The name section stays, so a trap's backtrace names the guest's functions.
set(CMAKE_EXE_LINKER_FLAGS_RELEASE_INIT "-Wl,--strip-debug")

set(CMAKE_FIND_ROOT_PATH "${CMAKE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
