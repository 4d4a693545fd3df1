#pragma once
// keras-vis's backprop modifiers as an enum (the rules themselves are in backprop_modifiers.hpp):
//   none:      the model's own gradients;
//   guided:    relu's VJP becomes g · [g > 0] · [out > 0] (guided backpropagation);
//   rectified: relu's VJP becomes g · [g > 0] (keras-vis also calls it "deconv").
#include <xvis/tensor/enum_names.hpp>

#include <string>

namespace xvis {

enum class BackpropModifier { none, guided, rectified };

// keras-vis's names: "deconv" is rectified, "" (keras-vis's None) is none.
template <>
struct EnumNames<BackpropModifier> {
    static constexpr const char* type_name = "BackpropModifier";
    static constexpr const char* noun = "backprop modifier";
    static constexpr EnumName<BackpropModifier> table[] = {
        {"none", BackpropModifier::none},           {"", BackpropModifier::none},          {"guided", BackpropModifier::guided},
        {"rectified", BackpropModifier::rectified}, {"deconv", BackpropModifier::rectified},
    };
};

// "none", "guided", "rectified"; parse with from_string<BackpropModifier>.
inline std::string to_string(BackpropModifier modifier) { return enum_name(modifier); }

}  // namespace xvis
