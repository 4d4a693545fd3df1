#include <xvis/losses/loss.hpp>

#include <cmath>
#include <cstdio>

namespace xvis {

std::string python_float_string(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e16) {
        std::snprintf(buf, sizeof buf, "%.1f", v);
        return buf;
    }
    // Shortest representation that reads back exactly, like Python's repr.
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

}  // namespace xvis
