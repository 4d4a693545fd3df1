#include <xvis/autodiff/detail/op_registry.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

namespace xvis {

namespace detail {
std::string autodiff_source(const char* file) {
    const std::string f = file;
    const auto pos = f.rfind("autodiff/");
    return pos == std::string::npos ? f : f.substr(pos);
}
}  // namespace detail

namespace {

std::vector<OpTypeInfo> gather_all() {
    using List = std::vector<OpTypeInfo> (*)();
    // A new autodiff/ops_*.cpp adds its list here; until then make_node() refuses its ops.
    const List lists[] = {detail::activation_grad_op_types, detail::clip_op_types,   detail::conv_fused_op_types, detail::elementwise_op_types,
                          detail::fused_op_types,           detail::gather_op_types, detail::layout_op_types,
                          detail::nn_op_types,              detail::pad_op_types,    detail::pool_op_types,
                          detail::reduce_op_types,          detail::resize_op_types};
    std::vector<OpTypeInfo> all;
    for (List l : lists)
        for (auto& e : l()) all.push_back(std::move(e));
    std::sort(all.begin(), all.end(), [](const OpTypeInfo& a, const OpTypeInfo& b) { return a.type < b.type; });
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].type.empty()) throw std::logic_error("op_registry: an empty op type is listed by " + all[i].file);
        if (i > 0 && all[i].type == all[i - 1].type)
            throw std::logic_error("op_registry: op type '" + all[i].type + "' is registered twice (" + all[i - 1].file +
                                   " and " + all[i].file + ")");
    }
    return all;
}

struct CustomRegistry {
    std::mutex mutex;
    std::map<std::string, std::string> files;  // type → file
};
CustomRegistry& custom() {
    static CustomRegistry r;
    return r;
}

bool is_leaf(const std::string& type) {
    const auto& leaves = leaf_op_types();
    return std::find(leaves.begin(), leaves.end(), type) != leaves.end();
}

}  // namespace

const std::vector<OpTypeInfo>& op_registry() {
    static const std::vector<OpTypeInfo> all = gather_all();
    return all;
}

const std::vector<std::string>& registered_op_types() {
    static const std::vector<std::string> types = [] {
        std::vector<std::string> t;
        for (const auto& e : op_registry()) t.push_back(e.type);
        return t;
    }();
    return types;
}

const OpTypeInfo* find_registered_op_type(const std::string& type) {
    const auto& all = op_registry();
    const auto it = std::lower_bound(all.begin(), all.end(), type,
                                     [](const OpTypeInfo& e, const std::string& t) { return e.type < t; });
    return it != all.end() && it->type == type ? &*it : nullptr;
}

const std::vector<std::string>& leaf_op_types() {
    static const std::vector<std::string> leaves = {"constant", "parameter", "placeholder"};
    return leaves;
}

void register_custom_op_type(const std::string& type, const std::string& file) {
    const std::string call = "register_custom_op_type('" + type + "', '" + file + "')";
    if (type.empty()) throw std::logic_error(call + ": empty op type");
    if (const OpTypeInfo* e = find_registered_op_type(type))
        throw std::logic_error(call + ": xvis defines this op type already (" + e->file + ")");
    if (is_leaf(type)) throw std::logic_error(call + ": this is the type of a leaf node");
    CustomRegistry& r = custom();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto [it, inserted] = r.files.emplace(type, file);
    if (!inserted && it->second != file)
        throw std::logic_error(call + ": already registered from " + it->second);
}

std::vector<OpTypeInfo> custom_op_types() {
    CustomRegistry& r = custom();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::vector<OpTypeInfo> out;
    for (const auto& [type, file] : r.files) out.push_back({type, file, false});
    return out;
}

void check_op_type_registered(const std::string& type, const std::string& call) {
    if (find_registered_op_type(type)) return;  // the common case takes no lock
    {
        CustomRegistry& r = custom();
        std::lock_guard<std::mutex> lock(r.mutex);
        if (r.files.count(type)) return;
    }
    throw std::logic_error(call + ": op type '" + type +
                           "' is not registered (list it in its autodiff/ops_*.cpp file's op-type list, or call "
                           "register_custom_op_type for an op defined outside xvis)");
}

}  // namespace xvis
