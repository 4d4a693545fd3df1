#include <xvis/optimizer/grad_modifiers.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

namespace {
constexpr float eps = 1e-7f;
template <class F>
GradModifier map(F f) {
    return [f](Tensor& g) {
        for (auto& v : g) v = f(v);
    };
}
}  // namespace

GradModifier grad_modifier(const std::string& name) {
    if (name.empty()) return {};
    if (name == "negate") return map([](float v) { return -v; });
    if (name == "absolute") return map([](float v) { return std::fabs(v); });
    if (name == "invert") return map([](float v) { return 1.0f / (v + eps); });
    if (name == "relu") return map([](float v) { return v > 0 ? v : 0.0f; });
    if (name == "small_values") return map([](float v) { return std::fabs(1.0f / (v + eps)); });
    throw std::invalid_argument("grad_modifier: unknown modifier '" + name +
                                "' (choices: negate, absolute, invert, relu, small_values)");
}

}  // namespace xvis
