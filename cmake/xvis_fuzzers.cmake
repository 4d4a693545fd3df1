# XVIS_BUILD_FUZZERS: libFuzzer executables xvis_fuzz_<name> from tests/fuzz/fuzz_<name>.cpp (tests/fuzz/CMakeLists.txt).
# Clang only (GCC has no libFuzzer): the library and everything built against it compile with
# -fsanitize=fuzzer-no-link (coverage for libFuzzer) on top of XVIS_SANITIZE=address,undefined, which this option
# turns on (cmake/xvis_sanitize.cmake provides those flags). OpenMP is off: libFuzzer runs one input at a time, and
# a thread pool would only make coverage and timing noisier. Use a dedicated build tree (scripts/fuzz.sh: build-fuzz).
# Included from the top-level CMakeLists.txt before xvis_sanitize.cmake; xvis_apply_fuzzer_flags(xvis) once the
# target exists.
option(XVIS_BUILD_FUZZERS "Build the libFuzzer targets (clang only; turns on XVIS_SANITIZE=address,undefined)" OFF)

if(XVIS_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "XVIS_BUILD_FUZZERS=ON needs clang (libFuzzer), but the C++ compiler is "
                        "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a fresh build tree with "
                        "CXX=clang++ (Debian: apt-get install clang libfuzzer-14-dev), or use scripts/fuzz.sh.")
  endif()
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_cxx_source_compiles("
    #include <cstddef>
    #include <cstdint>
    extern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }" XVIS_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT XVIS_HAVE_LIBFUZZER)
    message(FATAL_ERROR "XVIS_BUILD_FUZZERS=ON: ${CMAKE_CXX_COMPILER} cannot link -fsanitize=fuzzer "
                        "(Debian: apt-get install libfuzzer-14-dev for clang 14)")
  endif()
  if(DEFINED CACHE{XVIS_SANITIZE} AND NOT XVIS_SANITIZE MATCHES "^(|OFF|address,undefined|undefined,address)$")
    message(FATAL_ERROR "XVIS_BUILD_FUZZERS=ON runs with XVIS_SANITIZE=address,undefined, not '${XVIS_SANITIZE}'")
  endif()
  # Set in the cache: this tree is a fuzz tree (a normal variable would not survive xvis_sanitize.cmake's
  # set(... CACHE) under the policies of cmake_minimum_required(3.20)).
  set(XVIS_SANITIZE "address,undefined" CACHE STRING "Sanitizers: empty/OFF, address,undefined, or thread" FORCE)
  if(XVIS_USE_OPENMP)
    message(STATUS "XVIS_BUILD_FUZZERS=ON: XVIS_USE_OPENMP turned off (one input at a time, reproducible)")
  endif()
  set(XVIS_USE_OPENMP OFF)
endif()

function(xvis_apply_fuzzer_flags target)
  if(XVIS_BUILD_FUZZERS)
    # Coverage instrumentation only; the libFuzzer runtime (and its main) is linked into each xvis_fuzz_<name>.
    target_compile_options(${target} PUBLIC "$<BUILD_INTERFACE:-fsanitize=fuzzer-no-link>")
  endif()
endfunction()
