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

GradModifier grad_modifier(GradModifierKind kind) {
    switch (kind) {
        case GradModifierKind::none: return {};
        case GradModifierKind::negate: return map([](float v) { return -v; });
        case GradModifierKind::absolute: return map([](float v) { return std::fabs(v); });
        case GradModifierKind::invert: return map([](float v) { return 1.0f / (v + eps); });
        case GradModifierKind::relu: return map([](float v) { return v > 0 ? v : 0.0f; });
        case GradModifierKind::small_values: return map([](float v) { return std::fabs(1.0f / (v + eps)); });
    }
    throw std::invalid_argument("grad_modifier: GradModifierKind value " + std::to_string(static_cast<int>(kind)) +
                                " is not one of " + valid_names<GradModifierKind>());
}

GradModifier grad_modifier(const std::string& name) { return grad_modifier(from_string<GradModifierKind>(name)); }

}  // namespace xvis
