#pragma once
// Names of the option enums (padding, activation, grad and backprop modifiers, interpolation, data format, ...)
// for the library's string edges: the command line, ONNX files and keras-vis's option names. Inside the library
// options are enums; a string becomes one only through from_string<E>, and prints only through to_string.
//
// One name table per enum drives parsing, printing and the "valid names" list of errors, so the three cannot
// drift apart. Each enum's header specializes EnumNames next to the enum:
//
//   template <> struct EnumNames<Padding> {
//       static constexpr const char* type_name = "Padding";  // error messages: "from_string<Padding>: ..."
//       static constexpr const char* noun = "padding";       // "unknown padding 'sme'"
//       static constexpr EnumName<Padding> table[] = {{"valid", Padding::valid}, {"same", Padding::same}};
//   };
//
// The first row of a value gives its canonical name (what to_string prints); later rows with the same value are
// aliases that from_string also accepts (keras-vis's "deconv" for rectified, "" for none). Names are matched
// exactly (case-sensitive), as Keras does.
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace xvis {

template <class E>
struct EnumName {
    const char* name;
    E value;
};

// Deliberately undefined: from_string<E> on an enum without a name table does not compile.
template <class E>
struct EnumNames;

// Every accepted name in table order, aliases after their canonical name: "none (or \"\"), guided, rectified
// (or deconv)". An empty name is shown as "".
template <class E>
std::string valid_names() {
    auto quoted = [](const char* n) { return *n ? std::string(n) : std::string("\"\""); };
    std::string out;
    const auto& table = EnumNames<E>::table;
    for (std::size_t i = 0; i < std::size(table); ++i) {
        bool canonical = true;
        for (std::size_t j = 0; j < i; ++j) canonical = canonical && table[j].value != table[i].value;
        if (!canonical) continue;
        out += (out.empty() ? "" : ", ") + quoted(table[i].name);
        std::string aliases;
        for (std::size_t j = i + 1; j < std::size(table); ++j)
            if (table[j].value == table[i].value) aliases += (aliases.empty() ? "" : ", ") + quoted(table[j].name);
        if (!aliases.empty()) out += " (or " + aliases + ")";
    }
    return out;
}

// The value named `name` (a canonical name or an alias). Unknown → std::invalid_argument
// "from_string<Padding>: unknown padding 'sme' (valid: valid, same)".
template <class E>
E from_string(const std::string& name) {
    for (const auto& row : EnumNames<E>::table)
        if (name == row.name) return row.value;
    throw std::invalid_argument(std::string("from_string<") + EnumNames<E>::type_name + ">: unknown " + EnumNames<E>::noun + " '" +
                                name + "' (valid: " + valid_names<E>() + ")");
}

// The canonical name of `value`. A value outside the table (an out-of-range cast) → std::invalid_argument: it
// is a bug, and printing "unknown" would hide it.
template <class E>
const char* enum_name(E value) {
    for (const auto& row : EnumNames<E>::table)
        if (row.value == value) return row.name;
    throw std::invalid_argument(std::string("to_string(") + EnumNames<E>::type_name + "): value " +
                                std::to_string(static_cast<long long>(value)) + " is not a " + EnumNames<E>::type_name);
}

// Every value once, in table order (for help texts and tests that walk an enum).
template <class E>
std::vector<E> enum_values() {
    std::vector<E> out;
    for (const auto& row : EnumNames<E>::table) {
        bool seen = false;
        for (E v : out) seen = seen || v == row.value;
        if (!seen) out.push_back(row.value);
    }
    return out;
}

}  // namespace xvis
