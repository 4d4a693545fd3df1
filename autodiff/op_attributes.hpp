#pragma once
// Typed op attributes: what an op was built with (strides, alpha, axes, ...), as exact values that programs
// read back (the ONNX writer, tests), not display strings that would have to be parsed. Enums and booleans are
// integers; an enum attribute also keeps the name of its value for display ("mode=linear").
#include <xvis/tensor/shape.hpp>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace xvis {

using AttributeValue = std::variant<std::int64_t, double, std::vector<std::int64_t>, std::vector<double>>;

struct OpAttribute {
    std::string name;
    AttributeValue value;
    std::string label;  // display name of an enum value ("linear"); empty otherwise
};

// An ordered list of uniquely named attributes of one op (op_type() names it in error messages).
class OpAttributes {
public:
    explicit OpAttributes(std::string op_type = {}) : op_type_(std::move(op_type)) {}

    const std::string& op_type() const noexcept { return op_type_; }

    // Adders append in display order and throw std::logic_error when the name is already present.
    OpAttributes& add(std::string name, AttributeValue value, std::string label = {});
    OpAttributes& add_int(std::string name, std::int64_t v) { return add(std::move(name), v); }
    OpAttributes& add_bool(std::string name, bool v) { return add(std::move(name), std::int64_t{v ? 1 : 0}); }
    OpAttributes& add_double(std::string name, double v) { return add(std::move(name), v); }
    OpAttributes& add_ints(std::string name, std::vector<std::int64_t> v) { return add(std::move(name), std::move(v)); }
    // Extents, permutations, paddings: each element must fit in int64 (std::logic_error otherwise).
    OpAttributes& add_ints(std::string name, const std::vector<std::size_t>& v);
    OpAttributes& add_doubles(std::string name, std::vector<double> v) { return add(std::move(name), std::move(v)); }
    // An enum: its integer value, displayed by its name.
    OpAttributes& add_enum(std::string name, std::int64_t v, std::string label) {
        return add(std::move(name), v, std::move(label));
    }

    bool empty() const noexcept { return list_.empty(); }
    std::size_t size() const noexcept { return list_.size(); }
    const OpAttribute& operator[](std::size_t i) const { return list_[i]; }
    std::vector<OpAttribute>::const_iterator begin() const noexcept { return list_.begin(); }
    std::vector<OpAttribute>::const_iterator end() const noexcept { return list_.end(); }

    // The attribute called `name`, or nullptr.
    const OpAttribute* find(const std::string& name) const noexcept;
    bool has(const std::string& name) const noexcept { return find(name) != nullptr; }
    // Typed reads: throw std::invalid_argument naming the call, the op, the attribute and the attributes the
    // op has, when `name` is missing or holds another type (no conversions: an int is not a double).
    std::int64_t get_int(const std::string& name) const;
    double get_double(const std::string& name) const;
    const std::vector<std::int64_t>& get_ints(const std::string& name) const;
    const std::vector<double>& get_doubles(const std::string& name) const;

    // Same names, values and labels in the same order (the op type is not compared).
    bool operator==(const OpAttributes& o) const;
    bool operator!=(const OpAttributes& o) const { return !(*this == o); }

private:
    template <class T>
    const T& get(const char* call, const std::string& name) const;
    std::string op_type_;
    std::vector<OpAttribute> list_;
};

// "1.5", "[2, 2]", "[0.25, 1]": each double in the shortest form (at most 17 significant digits) that reads back
// to exactly the same double ("0.3", "1e-05", "nan", "-inf").
std::string to_string(const AttributeValue& v);
// Display form for messages and to_dot(): "stride=[2, 2] pad=[1, 1, 1, 1] groups=1", enums by their label
// ("mode=linear"); "" when there are none.
std::string to_string(const OpAttributes& a);

}  // namespace xvis
