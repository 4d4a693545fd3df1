#pragma once
// Seeded weight initializers with Keras's formulas. fan_in / fan_out: for a dense kernel [in, out] they are
// in and out; for a conv kernel [K, C/G, R, S] they are C/G·R·S and K·R·S.
#include <xvis/tensor/enum_names.hpp>
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <string>

namespace xvis {

enum class Initializer { glorot_uniform, he_normal, zeros, ones };

// Keras's initializer names.
template <>
struct EnumNames<Initializer> {
    static constexpr const char* type_name = "Initializer";
    static constexpr const char* noun = "initializer";
    static constexpr EnumName<Initializer> table[] = {{"glorot_uniform", Initializer::glorot_uniform},
                                                      {"he_normal", Initializer::he_normal},
                                                      {"zeros", Initializer::zeros},
                                                      {"ones", Initializer::ones}};
};

// "glorot_uniform", "he_normal", "zeros", "ones"; parse with from_string<Initializer>.
inline std::string to_string(Initializer init) { return enum_name(init); }
// Same as from_string<Initializer> (kept for existing callers): unknown → std::invalid_argument listing the names.
inline Initializer initializer_from_string(const std::string& name) { return from_string<Initializer>(name); }
// Keras fans of a weight shape (rank 2 dense [in, out]; rank 4 conv [K, C/G, R, S]; rank 1: fan = size).
std::pair<double, double> fans(const Shape& shape);
// glorot_uniform: U(−l, l), l = sqrt(6 / (fan_in + fan_out)).
// he_normal: truncated normal (redrawn beyond 2σ), σ = sqrt(2 / fan_in) / 0.87962566103423978 (Keras's
// correction for the truncation).
Tensor initialize(const Shape& shape, Initializer init, std::uint64_t seed);

}  // namespace xvis
