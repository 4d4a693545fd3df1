# XVIS_SANITIZE: build xvis and everything this project builds against it (tests, examples, the command line,
# benchmarks, README snippets) with sanitizers. Values: empty or OFF (none), address,undefined, thread.
# The flags are attached to the xvis target, not to CMAKE_CXX_FLAGS:
#   - compile options PUBLIC but $<BUILD_INTERFACE:...>: every target of this build that links xvis compiles
#     instrumented; an installed package does not force instrumentation on its consumers' own code;
#   - link options INTERFACE (build and install): an instrumented static libxvis needs the sanitizer runtime in
#     whatever links it, including a consumer of an installed sanitized build.
# Debug information is the build type's (RelWithDebInfo or Debug for reports with file:line; a target option
# here would come after, and override, the user's own -g level): scripts/test-sanitize.sh takes -g1.
# Included from the top-level CMakeLists.txt before the OpenMP decision (thread turns OpenMP off) and
# called as xvis_apply_sanitizers(xvis) once the target exists.
set(XVIS_SANITIZE "" CACHE STRING "Sanitizers: empty/OFF, address,undefined, or thread")
set_property(CACHE XVIS_SANITIZE PROPERTY STRINGS "" OFF "address,undefined" thread)

set(XVIS_SANITIZE_COMPILE_OPTIONS "")
set(XVIS_SANITIZE_LINK_OPTIONS "")
if(XVIS_SANITIZE STREQUAL "" OR XVIS_SANITIZE STREQUAL "OFF")
  # none
elseif(XVIS_SANITIZE STREQUAL "address,undefined" OR XVIS_SANITIZE STREQUAL "undefined,address")
  # -fno-sanitize-recover: a UBSan finding aborts the test (non-zero exit) instead of printing and going on.
  set(XVIS_SANITIZE_COMPILE_OPTIONS -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  set(XVIS_SANITIZE_LINK_OPTIONS -fsanitize=address,undefined)
elseif(XVIS_SANITIZE STREQUAL "thread")
  set(XVIS_SANITIZE_COMPILE_OPTIONS -fsanitize=thread -fno-omit-frame-pointer)
  set(XVIS_SANITIZE_LINK_OPTIONS -fsanitize=thread)
  if(XVIS_USE_OPENMP)
    message(STATUS "XVIS_SANITIZE=thread: XVIS_USE_OPENMP turned off (libgomp is not instrumented, "
                   "ThreadSanitizer would report its barriers as races)")
  endif()
  # A normal variable shadows the cache entry for this configure only: going back to XVIS_SANITIZE="" brings
  # the user's XVIS_USE_OPENMP back.
  set(XVIS_USE_OPENMP OFF)
else()
  message(FATAL_ERROR "XVIS_SANITIZE must be empty, OFF, address,undefined or thread, not '${XVIS_SANITIZE}'")
endif()
if(XVIS_SANITIZE_COMPILE_OPTIONS)
  string(JOIN " " flags ${XVIS_SANITIZE_COMPILE_OPTIONS})
  message(STATUS "XVIS_SANITIZE=${XVIS_SANITIZE}: ${flags}")
endif()

function(xvis_apply_sanitizers target)
  if(XVIS_SANITIZE_COMPILE_OPTIONS MATCHES "undefined")
    # Third-party code: Debian's stb_image 2.27, compiled into image/image_reader.cpp, shifts a 32-bit value by
    # 32 on some corrupt JPEG Huffman streams (stbi__grow_buffer_unsafe, stb_image.h:2065; found by fuzz_image,
    # tests/fuzz/regressions/image/jpeg_code_bits_shift_by_32.jpg). On x86 the result is garbage bits in a
    # corrupt image's decode, no memory access. The shift checks are off for that one file: all of `shift`,
    # because GCC 12's C++ front end still instruments the exponent under -fno-sanitize=shift-exponent alone
    # (clang honours it; checked with both). Likewise signed-integer-overflow: on a corrupt progressive JPEG its
    # DC predictor, a running int sum of the stream's differences, overflows when scaled (dc * (1 << succ_low),
    # stbi__jpeg_decode_block_prog_dc, stb_image.h:2251; found by fuzz_image,
    # tests/fuzz/regressions/image/jpeg_progressive_dc_mul_overflow.jpg); the product is truncated to a short
    # coefficient: garbage pixels in a corrupt image, no memory access.
    set_source_files_properties("${PROJECT_SOURCE_DIR}/image/image_reader.cpp" TARGET_DIRECTORY ${target}
                                PROPERTIES COMPILE_OPTIONS "-fno-sanitize=shift;-fno-sanitize=signed-integer-overflow")
  endif()
  if(XVIS_SANITIZE_COMPILE_OPTIONS)
    target_compile_options(${target} PUBLIC "$<BUILD_INTERFACE:${XVIS_SANITIZE_COMPILE_OPTIONS}>")
    target_link_options(${target} INTERFACE ${XVIS_SANITIZE_LINK_OPTIONS})
  endif()
endfunction()
