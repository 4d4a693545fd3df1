#pragma once
// Keras padding of Conv2D and the pooling layers:
//   valid: no padding (the window stays inside the input);
//   same:  output = ceil(input / stride), the padding split as TensorFlow does (the extra cell at the end);
//          see same_padding() in layer.hpp.
#include <xvis/tensor/enum_names.hpp>

#include <string>

namespace xvis {

enum class Padding { valid, same };

template <>
struct EnumNames<Padding> {
    static constexpr const char* type_name = "Padding";
    static constexpr const char* noun = "padding";
    static constexpr EnumName<Padding> table[] = {{"valid", Padding::valid}, {"same", Padding::same}};
};

// "valid" / "same"; parse with from_string<Padding>.
inline std::string to_string(Padding padding) { return enum_name(padding); }

}  // namespace xvis
