#include <xvis/autodiff/ops.hpp>
#include <xvis/losses/loss.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace xvis {

BuiltLosses build_losses(const WeightedLosses& losses, const std::string& call) {
    BuiltLosses b;
    for (const auto& [loss, weight] : losses) {
        if (!loss) throw std::invalid_argument(call + ": a loss is null");
        if (weight == 0) continue;  // never built
        const Node value = loss->build_loss();
        if (value.size() != 1)
            throw ShapeError(call + ": loss '" + loss->name() + "' built " + value.describe() + "; a loss must hold one element");
        b.names.push_back(loss->name());
        b.values.push_back(value);
        const Node weighted = scale(reshape(value, {}), weight);
        b.overall = b.overall.valid() ? add(b.overall, weighted) : weighted;
    }
    if (!b.overall.valid()) throw std::invalid_argument(call + ": every loss weight is 0; nothing to optimize");
    return b;
}

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
