#include <xvis/autodiff/op_attributes.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace xvis {

namespace {

const char* type_name(const AttributeValue& v) {
    switch (v.index()) {
        case 0: return "an integer";
        case 1: return "a double";
        case 2: return "a list of integers";
        default: return "a list of doubles";
    }
}
template <class T>
const char* wanted_name();
template <> const char* wanted_name<std::int64_t>() { return "an integer"; }
template <> const char* wanted_name<double>() { return "a double"; }
template <> const char* wanted_name<std::vector<std::int64_t>>() { return "a list of integers"; }
template <> const char* wanted_name<std::vector<double>>() { return "a list of doubles"; }

template <class V, class F>
std::string join(const V& v, F&& f) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + f(v[i]);
    return s + "]";
}

// Shortest decimal that reads back to exactly v.
std::string format_double(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    // The fewest significant digits that read back exactly: "0.3" rather than "0.29999999999999999".
    char buf[40];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

}  // namespace

std::string to_string(const AttributeValue& v) {
    switch (v.index()) {
        case 0: return std::to_string(std::get<0>(v));
        case 1: return format_double(std::get<1>(v));
        case 2: return join(std::get<2>(v), [](std::int64_t e) { return std::to_string(e); });
        default: return join(std::get<3>(v), [](double e) { return format_double(e); });
    }
}

std::string to_string(const OpAttributes& a) {
    std::string s;
    for (const auto& e : a) s += (s.empty() ? "" : " ") + e.name + "=" + (e.label.empty() ? to_string(e.value) : e.label);
    return s;
}

OpAttributes& OpAttributes::add(std::string name, AttributeValue value, std::string label) {
    if (has(name))
        throw std::logic_error("OpAttributes::add: op '" + op_type_ + "' already has an attribute '" + name + "' (" +
                               to_string(*this) + ")");
    list_.push_back({std::move(name), std::move(value), std::move(label)});
    return *this;
}

OpAttributes& OpAttributes::add_ints(std::string name, const std::vector<std::size_t>& v) {
    std::vector<std::int64_t> out;
    out.reserve(v.size());
    for (std::size_t e : v) {
        if (e > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))
            throw std::logic_error("OpAttributes::add_ints: op '" + op_type_ + "' attribute '" + name + "' element " +
                                   std::to_string(e) + " does not fit in int64");
        out.push_back(static_cast<std::int64_t>(e));
    }
    return add(std::move(name), std::move(out));
}

const OpAttribute* OpAttributes::find(const std::string& name) const noexcept {
    for (const auto& e : list_)
        if (e.name == name) return &e;
    return nullptr;
}

template <class T>
const T& OpAttributes::get(const char* call, const std::string& name) const {
    const OpAttribute* a = find(name);
    if (a)
        if (const T* v = std::get_if<T>(&a->value)) return *v;
    const std::string present = empty() ? "it has no attributes" : "its attributes: " + to_string(*this);
    const std::string op = "op '" + op_type_ + "'";
    if (!a)
        throw std::invalid_argument(std::string("OpAttributes::") + call + ": " + op + " has no attribute '" + name +
                                    "' (" + present + ")");
    throw std::invalid_argument(std::string("OpAttributes::") + call + ": attribute '" + name + "' of " + op + " is " +
                                type_name(a->value) + ", not " + wanted_name<T>() + " (" + present + ")");
}

std::int64_t OpAttributes::get_int(const std::string& name) const { return get<std::int64_t>("get_int", name); }
double OpAttributes::get_double(const std::string& name) const { return get<double>("get_double", name); }
const std::vector<std::int64_t>& OpAttributes::get_ints(const std::string& name) const {
    return get<std::vector<std::int64_t>>("get_ints", name);
}
const std::vector<double>& OpAttributes::get_doubles(const std::string& name) const {
    return get<std::vector<double>>("get_doubles", name);
}

bool OpAttributes::operator==(const OpAttributes& o) const {
    if (list_.size() != o.list_.size()) return false;
    for (std::size_t i = 0; i < list_.size(); ++i)
        if (list_[i].name != o.list_[i].name || list_[i].value != o.list_[i].value || list_[i].label != o.list_[i].label)
            return false;
    return true;
}

}  // namespace xvis
