// Include right before an stb header, and image/detail/stb_warnings_on.hpp right after it: Debian's stb
// headers (third-party, compiled with their implementation in image_reader.cpp, png.cpp and a test reader) warn
// under -Wall -Wextra, and xvis's own code keeps those warnings on. No include guard: one use per stb header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
