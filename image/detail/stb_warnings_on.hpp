// Closes image/detail/stb_warnings_off.hpp. No include guard: one use per stb header.
#pragma GCC diagnostic pop
