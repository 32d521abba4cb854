# The libfaasm target and the faasm_func() helper, shared by every project that builds functions.
#
#   include(path/to/toolchain/cmake/FaasmFunctions.cmake)
#   faasm_func(hello func/demo/hello.cpp)          # target demo-hello (user = parent dir name)
#   faasm_func(big func/demo/big.c STACK_SIZE 8388608)   # a C stack other than the 4 MiB default
#   faasm_add_functions(path/to/func)              # one target per func/USER/NAME.{c,cpp}
#
# With FaasmToolchain.cmake a target writes ${FAASM_OUTPUT_DIR}/USER/NAME.wasm (a WASI reactor
# exporting libfaasm's entry points); without it (a native build) ${FAASM_OUTPUT_DIR}/USER/NAME,
# an executable with debug info (Debug build type). FAASM_OUTPUT_DIR defaults to func/ or
# native/ inside the build tree; `faasm compile` sets it to the project's build/func or build/native.
include_guard(GLOBAL)

get_filename_component(FAASM_TOOLCHAIN_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

if(CMAKE_SYSTEM_NAME STREQUAL "WASI")
    set(FAASM_WASM ON)
    set(_default_output "${CMAKE_BINARY_DIR}/func")
else()
    set(FAASM_WASM OFF)
    set(_default_output "${CMAKE_BINARY_DIR}/native")
endif()
set(FAASM_OUTPUT_DIR "${_default_output}" CACHE PATH "Where USER/NAME outputs are written")

# Wasm builds default to Release in FaasmToolchain.cmake; native ones are for debugging.
if(NOT CMAKE_BUILD_TYPE AND NOT FAASM_WASM)
    set(CMAKE_BUILD_TYPE Debug)
endif()

if(FAASM_WASM)
    # Reproducible output: no absolute path of this machine ends up in the wasm (assert() keeps
    # __FILE__), so the host and the container build the same bytes.
    add_compile_options(
        "-ffile-prefix-map=${CMAKE_BINARY_DIR}=/build"
        "-ffile-prefix-map=${FAASM_TOOLCHAIN_DIR}=/faasm-toolchain"
    )
endif()

add_subdirectory("${FAASM_TOOLCHAIN_DIR}/libfaasm" "${CMAKE_BINARY_DIR}/libfaasm")

# The C++ standard headers faasm/faasm.h pulls in, precompiled once per build tree and reused by
# every C++ function: parsing <string> is most of the time to compile a small function (hello.cpp
# 0.45 s -> 0.06 s), which is what `faasm watch` waits for after each edit. Only standard headers
# are precompiled, so a function sees nothing it did not include but the standard library (a PCH
# is always included first); C sources are left alone (their headers are cheap). A function
# built with other compile options than its siblings opts out with the source property
# SKIP_PRECOMPILE_HEADERS, and a whole project with CMAKE_DISABLE_PRECOMPILE_HEADERS.
set(FAASM_PRECOMPILED_HEADERS <stddef.h> <stdint.h> <string.h> <string>)
set(_pch_source "${CMAKE_BINARY_DIR}/faasm-precompiled-headers.cpp")
file(CONFIGURE OUTPUT "${_pch_source}" CONTENT "// Gives the precompiled headers a target.\n")
add_library(faasm-precompiled-headers OBJECT "${_pch_source}")
target_link_libraries(faasm-precompiled-headers PRIVATE faasm)
target_precompile_headers(faasm-precompiled-headers PRIVATE ${FAASM_PRECOMPILED_HEADERS})

# faasm_func(NAME SOURCE [USER user] [STACK_SIZE bytes]): one function target, named USER-NAME.
function(faasm_func NAME SOURCE)
    cmake_parse_arguments(ARG "" "USER;STACK_SIZE" "" ${ARGN})
    get_filename_component(_src "${SOURCE}" ABSOLUTE)
    get_filename_component(_dir "${_src}" DIRECTORY)
    if(NOT ARG_USER)
        get_filename_component(ARG_USER "${_dir}" NAME)
    endif()
    set(_target "${ARG_USER}-${NAME}")
    add_executable(${_target} "${_src}")
    target_link_libraries(${_target} PRIVATE faasm)
    if(_src MATCHES "\\.cpp$")
        target_precompile_headers(${_target} REUSE_FROM faasm-precompiled-headers)
    endif()
    if(FAASM_WASM)
        target_compile_options(${_target} PRIVATE "-ffile-prefix-map=${_dir}=/func/${ARG_USER}")
        if(ARG_STACK_SIZE)
            # After the toolchain's default on the link line: wasm-ld takes the last one.
            target_link_options(${_target} PRIVATE "-Wl,-z,stack-size=${ARG_STACK_SIZE}")
        endif()
    endif()
    set_target_properties(${_target} PROPERTIES
        OUTPUT_NAME "${NAME}"
        RUNTIME_OUTPUT_DIRECTORY "${FAASM_OUTPUT_DIR}/${ARG_USER}"
    )
endfunction()

# faasm_add_functions(FUNC_DIR): a target for every FUNC_DIR/USER/NAME.{c,cpp}. New files are
# picked up at the next build (CONFIGURE_DEPENDS).
function(faasm_add_functions FUNC_DIR)
    file(GLOB _sources CONFIGURE_DEPENDS "${FUNC_DIR}/*/*.c" "${FUNC_DIR}/*/*.cpp")
    list(SORT _sources)
    set(_seen "")
    foreach(_src IN LISTS _sources)
        get_filename_component(_name "${_src}" NAME_WE)
        get_filename_component(_dir "${_src}" DIRECTORY)
        get_filename_component(_user "${_dir}" NAME)
        if(NOT _user MATCHES "^[A-Za-z0-9_-]+$" OR NOT _name MATCHES "^[A-Za-z0-9_-]+$")
            message(WARNING "skipping ${_src}: names may only use A-Z a-z 0-9 _ -")
            continue()
        endif()
        if("${_user}-${_name}" IN_LIST _seen)
            message(WARNING "skipping ${_src}: ${_user}/${_name} already has a source")
            continue()
        endif()
        list(APPEND _seen "${_user}-${_name}")
        faasm_func(${_name} "${_src}" USER ${_user})
    endforeach()
endfunction()
