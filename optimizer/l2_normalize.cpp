#include <xvis/autodiff/ops.hpp>
#include <xvis/optimizer/l2_normalize.hpp>

#include <algorithm>
#include <cmath>

namespace xvis {

Node l2_normalize(const Node& g) { return div(g, sqrt(maximum(sum(square(g)), scalar(l2_normalize_floor)))); }

double l2_normalize(Tensor& g) noexcept {
    double squares = 0;
    for (float v : g) squares += static_cast<double>(v) * v;
    const double divisor = std::sqrt(std::max(squares, l2_normalize_floor));
    const float d = static_cast<float>(divisor);
    for (float& v : g) v /= d;
    return divisor;
}

}  // namespace xvis
