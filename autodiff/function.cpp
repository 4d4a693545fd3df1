#include <xvis/autodiff/detail/prepared_inputs.hpp>
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/fuse_epilogues.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/topo.hpp>
#include <xvis/tensor/buffer_cache.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace xvis {

namespace {
constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
}

template <class T>
struct BasicFunction<T>::Plan {
    using Buffer = std::vector<T, aligned_allocator<T>>;
    struct Step {
        const Op* op;
        std::string name;
        std::vector<std::size_t> in_slots;
        std::vector<const T*> in_ptrs;  // refreshed every run (placeholders move), never reallocated
        std::vector<const Shape*> in_shapes;
        std::size_t out_slot;
        std::size_t buffer;  // index into buffers, or none when writing straight into an output tensor
        double seconds = 0;  // profiling
        std::size_t prepared = none;  // index into Plan::prepared, or none
        std::size_t prepared_from = 0;  // the input it is prepared from (Op::prepared_input)
    };
    struct ParamBinding {
        std::size_t slot;
        std::shared_ptr<Tensor> storage;
        Shape shape;
        Buffer converted;  // double functions only
    };

    std::vector<Node> outputs, inputs, order;
    std::vector<const T*> value;      // per slot (= position in order)
    std::vector<const Shape*> shape;  // per slot
    std::vector<std::pair<std::size_t, std::size_t>> aliases;  // (slot, source slot), in order
    std::vector<Step> steps;
    CachedBlock arena;              // every intermediate buffer and the workspace, 64-byte aligned pieces
    std::vector<T*> buffers;        // into arena
    std::vector<std::size_t> buffer_size;
    T* workspace = nullptr;
    std::vector<BasicTensor<T>> results;
    std::vector<std::pair<std::size_t, std::size_t>> copies;  // (slot, output index)
    std::vector<std::size_t> input_slot;                      // per input, or none when unused
    std::vector<const BasicTensor<T>*> bound;
    std::vector<ParamBinding> params;
    std::vector<BasicTensor<T>> constants;
    detail::PreparedInputs<T> prepared;
    bool profiling = false;
    std::size_t profiled_runs = 0;
};

template <class T>
BasicFunction<T>::BasicFunction(std::vector<Node> outputs, std::vector<Node> inputs, const CompileOptions& options)
    : plan_(std::make_unique<Plan>()) {
    Plan& p = *plan_;
    if (outputs.empty()) throw std::invalid_argument("compile: no outputs");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].valid()) throw std::invalid_argument("compile: input " + std::to_string(i) + " is an empty node");
        if (inputs[i].kind() != NodeKind::placeholder)
            throw std::invalid_argument("compile: input " + std::to_string(i) + " " + inputs[i].describe() + " is a " +
                                        inputs[i].type() + "; inputs must be placeholders");
    }
    p.outputs = options.fuse_epilogues ? fuse_epilogues(outputs) : std::move(outputs);
    p.inputs = std::move(inputs);
    p.order = topological_order(p.outputs);

    const std::size_t n = p.order.size();
    std::unordered_map<const NodeImpl*, std::size_t> slot_of;
    for (std::size_t s = 0; s < n; ++s) slot_of[p.order[s].impl()] = s;
    p.value.assign(n, nullptr);
    p.shape.resize(n);
    for (std::size_t s = 0; s < n; ++s) p.shape[s] = &p.order[s].shape();

    p.input_slot.assign(p.inputs.size(), none);
    p.bound.assign(p.inputs.size(), nullptr);
    for (std::size_t i = 0; i < p.inputs.size(); ++i) {
        auto it = slot_of.find(p.inputs[i].impl());
        if (it != slot_of.end()) p.input_slot[i] = it->second;
    }

    // Roots: the slot that owns the memory a slot reads (views point at their input's root).
    std::vector<std::size_t> root(n);
    p.constants.reserve(n);
    for (std::size_t s = 0; s < n; ++s) {
        const Node& node = p.order[s];
        root[s] = s;
        switch (node.kind()) {
            case NodeKind::placeholder:
                if (std::find(p.input_slot.begin(), p.input_slot.end(), s) == p.input_slot.end())
                    throw ShapeError("compile: the outputs depend on placeholder " + node.describe() +
                                     ", which is not among the inputs");
                break;
            case NodeKind::constant:
                if constexpr (std::is_same_v<T, double>) p.constants.push_back(node.value_double());
                else p.constants.push_back(node.value());
                p.value[s] = p.constants.back().data();
                break;
            case NodeKind::parameter: {
                typename Plan::ParamBinding b{s, node.parameter_storage(), node.shape(), {}};
                if constexpr (std::is_same_v<T, double>) b.converted.resize(shape_size(node.shape()));
                p.params.push_back(std::move(b));
                break;
            }
            case NodeKind::op:
                if (node.op().alias_of() >= 0) {
                    const std::size_t src = slot_of.at(node.inputs()[static_cast<std::size_t>(node.op().alias_of())].impl());
                    root[s] = root[src];
                    p.aliases.emplace_back(s, src);
                }
                break;
        }
    }

    // Outputs: an op node's first appearance is computed straight into its result tensor; leaves, views and
    // repeats are copied at the end of the run.
    p.results.reserve(p.outputs.size());
    std::vector<std::size_t> owner_output(n, none);
    std::vector<bool> pinned(n, false);  // roots that must survive to the end of the run
    for (std::size_t i = 0; i < p.outputs.size(); ++i) {
        const std::size_t s = slot_of.at(p.outputs[i].impl());
        p.results.emplace_back(p.outputs[i].shape());
        pinned[root[s]] = true;
        const Node& node = p.order[s];
        if (node.kind() == NodeKind::op && root[s] == s && owner_output[s] == none) owner_output[s] = i;
        else p.copies.emplace_back(s, i);
    }

    // Last reader of every root.
    std::vector<std::size_t> last_use(n, none);
    std::size_t step_index = 0;
    std::vector<std::size_t> step_of_slot(n, none);
    for (std::size_t s = 0; s < n; ++s) {
        const Node& node = p.order[s];
        if (node.kind() != NodeKind::op || root[s] != s) continue;
        step_of_slot[s] = step_index;
        for (const auto& in : node.inputs()) last_use[root[slot_of.at(in.impl())]] = step_index;
        ++step_index;
    }

    // Liveness-based buffer assignment: a buffer returns to the free list after its root's last reader; the
    // next producer takes the smallest free buffer that fits (or grows the largest one).
    std::vector<std::size_t> capacity;
    std::vector<std::size_t> free_list;
    std::size_t workspace = 0;
    for (std::size_t s = 0; s < n; ++s) {
        const Node& node = p.order[s];
        if (node.kind() != NodeKind::op || root[s] != s) continue;
        typename Plan::Step st{&node.op(), node.name(), {}, {}, {}, s, none};
        std::vector<Shape> in_shapes;
        for (const auto& in : node.inputs()) {
            const std::size_t is = slot_of.at(in.impl());
            st.in_slots.push_back(is);
            st.in_shapes.push_back(p.shape[is]);
            in_shapes.push_back(in.shape());
        }
        st.in_ptrs.assign(st.in_slots.size(), nullptr);
        workspace = std::max(workspace, node.op().workspace_size(in_shapes, node.shape()));
        if (const int pi = node.op().prepared_input(); pi >= 0) {  // a weight's derived form, kept between runs
            const Node& src = node.inputs().at(static_cast<std::size_t>(pi));
            const std::size_t size = node.op().prepared_size(in_shapes, node.shape());
            if (size > 0 && (src.kind() == NodeKind::constant || src.kind() == NodeKind::parameter)) {
                st.prepared = p.prepared.add(node.op(), src.kind() == NodeKind::parameter ? src.parameter_storage() : nullptr, size);
                st.prepared_from = static_cast<std::size_t>(pi);
            }
        }
        if (owner_output[s] == none) {
            const std::size_t need = shape_size(node.shape());
            std::size_t pick = none;
            for (std::size_t k = 0; k < free_list.size(); ++k) {
                const std::size_t b = free_list[k];
                const bool fits = capacity[b] >= need;
                if (pick == none) { pick = k; continue; }
                const std::size_t cur = free_list[pick];
                const bool cur_fits = capacity[cur] >= need;
                if ((fits && (!cur_fits || capacity[b] < capacity[cur])) || (!fits && !cur_fits && capacity[b] > capacity[cur]))
                    pick = k;
            }
            if (pick != none) {
                st.buffer = free_list[pick];
                free_list.erase(free_list.begin() + static_cast<std::ptrdiff_t>(pick));
                capacity[st.buffer] = std::max(capacity[st.buffer], need);
            } else {
                st.buffer = capacity.size();
                capacity.push_back(need);
            }
        }
        const std::size_t here = step_of_slot[s];
        for (std::size_t is : st.in_slots) {
            const std::size_t r = root[is];
            if (last_use[r] != here || pinned[r] || step_of_slot[r] == none) continue;
            const std::size_t b = p.steps[step_of_slot[r]].buffer;
            if (b != none && std::find(free_list.begin(), free_list.end(), b) == free_list.end()) free_list.push_back(b);
        }
        p.steps.push_back(std::move(st));
    }

    // Allocate everything now, as one block from the buffer cache (repeated compiles of the same graph reuse
    // memory that is already mapped): run() allocates nothing. Ops write their whole output, so no zeroing.
    const auto padded = [](std::size_t elements) {
        const std::size_t bytes = std::max<std::size_t>(elements, 1) * sizeof(T);
        return (bytes + tensor_alignment - 1) / tensor_alignment * tensor_alignment;
    };
    std::size_t total = padded(workspace);
    for (std::size_t c : capacity) total += padded(c);
    p.arena = CachedBlock(total);
    auto* base = static_cast<unsigned char*>(p.arena.data());
    p.workspace = reinterpret_cast<T*>(base);
    base += padded(workspace);
    for (std::size_t c : capacity) {
        p.buffers.push_back(reinterpret_cast<T*>(base));
        p.buffer_size.push_back(std::max<std::size_t>(c, 1));
        base += padded(c);
    }
    for (auto& st : p.steps)
        p.value[st.out_slot] = st.buffer == none ? p.results[owner_output[st.out_slot]].data() : p.buffers[st.buffer];
    p.prepared.allocate();
}

template <class T>
BasicFunction<T>::~BasicFunction() = default;
template <class T>
BasicFunction<T>::BasicFunction(BasicFunction&&) noexcept = default;
template <class T>
BasicFunction<T>& BasicFunction<T>::operator=(BasicFunction&&) noexcept = default;

template <class T>
std::size_t BasicFunction<T>::num_inputs() const { return plan_->inputs.size(); }
template <class T>
std::size_t BasicFunction<T>::num_outputs() const { return plan_->outputs.size(); }

template <class T>
void BasicFunction<T>::set_input(std::size_t i, const BasicTensor<T>& value) {
    Plan& p = *plan_;
    if (i >= p.inputs.size())
        throw std::out_of_range("Function::set_input: input index " + std::to_string(i) + " but the function has " +
                                std::to_string(p.inputs.size()) + " inputs");
    if (value.shape() != p.inputs[i].shape())
        throw ShapeError("Function::set_input: input " + std::to_string(i) + " " + p.inputs[i].describe() +
                         " was fed a tensor of shape " + shape_to_string(value.shape()));
    p.bound[i] = &value;
}

template <class T>
const std::vector<BasicTensor<T>>& BasicFunction<T>::run() {
    Plan& p = *plan_;
    for (std::size_t i = 0; i < p.inputs.size(); ++i) {
        if (p.input_slot[i] == none) continue;
        if (!p.bound[i])
            throw std::invalid_argument("Function::run: input " + std::to_string(i) + " " + p.inputs[i].describe() +
                                        " was not fed");
        p.value[p.input_slot[i]] = p.bound[i]->data();
    }
    for (auto& b : p.params) {
        if (b.storage->shape() != b.shape)
            throw ShapeError("Function::run: parameter '" + p.order[b.slot].name() + "' changed shape from " +
                             shape_to_string(b.shape) + " to " + shape_to_string(b.storage->shape()) + " after compile");
        if constexpr (std::is_same_v<T, double>) {
            std::copy(b.storage->begin(), b.storage->end(), b.converted.begin());
            p.value[b.slot] = b.converted.data();
        } else {
            p.value[b.slot] = b.storage->data();
        }
    }
    for (const auto& [slot, src] : p.aliases) p.value[slot] = p.value[src];
    p.prepared.begin_run();
    for (auto& st : p.steps) {
        for (std::size_t k = 0; k < st.in_slots.size(); ++k) st.in_ptrs[k] = p.value[st.in_slots[k]];
        OpArgs<T> args{st.in_ptrs.data(), st.in_shapes.data(), st.in_slots.size(), const_cast<T*>(p.value[st.out_slot]),
                       p.shape[st.out_slot], p.workspace};
        if (st.prepared != none)  // prepared (when stale) inside the step's time
            args.prepared = p.prepared.prepared(st.prepared, st.in_ptrs[st.prepared_from]);
        if (!p.profiling) {
            st.op->forward(args);
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        st.op->forward(args);
        st.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    if (p.profiling) ++p.profiled_runs;
    for (const auto& [slot, out] : p.copies)  // an empty tensor's data() may be null: memcpy(_, null, 0) is undefined
        if (p.results[out].size() > 0) std::memcpy(p.results[out].data(), p.value[slot], p.results[out].size() * sizeof(T));
    return p.results;
}

template <class T>
const BasicTensor<T>& BasicFunction<T>::output(std::size_t i) const {
    if (i >= plan_->results.size())
        throw std::out_of_range("Function::output: index " + std::to_string(i) + " but the function has " +
                                std::to_string(plan_->results.size()) + " outputs");
    return plan_->results[i];
}

template <class T>
std::size_t BasicFunction<T>::num_steps() const { return plan_->steps.size(); }
template <class T>
std::size_t BasicFunction<T>::num_buffers() const { return plan_->buffers.size(); }
template <class T>
std::size_t BasicFunction<T>::buffer_elements() const {
    std::size_t total = 0;
    for (std::size_t b : plan_->buffer_size) total += b;
    return total;
}

template <class T>
std::size_t BasicFunction<T>::num_prepared() const { return plan_->prepared.count(); }
template <class T>
std::size_t BasicFunction<T>::prepared_elements() const { return plan_->prepared.elements(); }
template <class T>
std::size_t BasicFunction<T>::num_preparations() const { return plan_->prepared.preparations(); }

template <class T>
std::string BasicFunction<T>::plan_string() const {
    const Plan& p = *plan_;
    std::string s;
    for (std::size_t k = 0; k < p.steps.size(); ++k) {
        const auto& st = p.steps[k];
        s += std::to_string(k) + ": " + st.name + " = " + st.op->type() + "(";
        for (std::size_t i = 0; i < st.in_slots.size(); ++i) s += (i ? ", " : "") + p.order[st.in_slots[i]].name();
        s += ") " + shape_to_string(*p.shape[st.out_slot]) +
             (st.buffer == none ? " -> output" : " -> buffer " + std::to_string(st.buffer)) + "\n";
    }
    return s;
}

template <class T>
void BasicFunction<T>::enable_profiling(bool on) {
    plan_->profiling = on;
    plan_->profiled_runs = 0;
    for (auto& st : plan_->steps) st.seconds = 0;
}

template <class T>
std::vector<typename BasicFunction<T>::StepProfile> BasicFunction<T>::profile() const {
    const Plan& p = *plan_;
    std::vector<StepProfile> out;
    for (const auto& st : p.steps) out.push_back({st.name, st.op->type(), *p.shape[st.out_slot], st.seconds, p.profiled_runs});
    return out;
}

template <class T>
std::string BasicFunction<T>::profile_string(std::size_t top) const {
    const auto steps = profile();
    const std::size_t runs = std::max<std::size_t>(plan_->profiled_runs, 1);
    double total = 0;
    std::map<std::string, std::pair<double, std::size_t>> by_type;
    for (const auto& s : steps) {
        total += s.seconds;
        auto& t = by_type[s.type];
        t.first += s.seconds, ++t.second;
    }
    char line[256];
    std::string out = "profile over " + std::to_string(plan_->profiled_runs) + " runs, per run:\n";
    const auto row = [&](const std::string& what, double sec, const std::string& extra) {
        std::snprintf(line, sizeof line, "  %10.3f ms %5.1f %%  %s%s\n", 1e3 * sec / double(runs),
                      total > 0 ? 100 * sec / total : 0.0, what.c_str(), extra.c_str());
        out += line;
    };
    std::vector<std::pair<std::string, std::pair<double, std::size_t>>> types(by_type.begin(), by_type.end());
    std::sort(types.begin(), types.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    for (const auto& [type, t] : types) row(type, t.first, " (" + std::to_string(t.second) + " steps)");
    row("total", total, "");
    std::vector<std::size_t> idx(steps.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return steps[a].seconds > steps[b].seconds; });
    out += "slowest steps:\n";
    for (std::size_t k = 0; k < std::min(top, idx.size()); ++k) {
        const auto& s = steps[idx[k]];
        row(s.type, s.seconds, " " + s.name + " " + shape_to_string(s.shape));
    }
    return out;
}

template class BasicFunction<float>;
template class BasicFunction<double>;

}  // namespace xvis
