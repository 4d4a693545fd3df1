#pragma once
// Gradient modifiers, applied in place to the gradient of each iteration (and of saliency maps).
// keras-vis names: negate (−g), absolute (|g|), invert (1/(g + eps)), relu (max(g, 0)),
// small_values (|1/(g + eps)|); eps = 1e-7. Any callable with the GradModifier signature works too.
#include <xvis/tensor/enum_names.hpp>
#include <xvis/tensor/tensor.hpp>

#include <functional>
#include <string>

namespace xvis {

using GradModifier = std::function<void(Tensor& grads)>;

enum class GradModifierKind { none, negate, absolute, invert, relu, small_values };

// keras-vis's names; "" (keras-vis's None) is none too.
template <>
struct EnumNames<GradModifierKind> {
    static constexpr const char* type_name = "GradModifierKind";
    static constexpr const char* noun = "grad modifier";
    static constexpr EnumName<GradModifierKind> table[] = {
        {"none", GradModifierKind::none},         {"", GradModifierKind::none},         {"negate", GradModifierKind::negate},
        {"absolute", GradModifierKind::absolute}, {"invert", GradModifierKind::invert}, {"relu", GradModifierKind::relu},
        {"small_values", GradModifierKind::small_values},
    };
};

// "none", "negate", ...; parse with from_string<GradModifierKind>.
inline std::string to_string(GradModifierKind kind) { return enum_name(kind); }

// The modifier of `kind`; none gives an empty (no-op) GradModifier, so `if (m) m(g);` skips it.
GradModifier grad_modifier(GradModifierKind kind);
// The string edge: grad_modifier(from_string<GradModifierKind>(name)); "" and "none" give an empty modifier,
// unknown names throw std::invalid_argument listing the valid names.
GradModifier grad_modifier(const std::string& name);

}  // namespace xvis
