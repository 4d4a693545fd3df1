#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/layers/layer.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

namespace xvis {

namespace {
std::string auto_name(const std::string& prefix) {
    static std::mutex mutex;
    static std::map<std::string, std::size_t> counts;
    std::lock_guard<std::mutex> lock(mutex);
    const std::size_t n = counts[prefix]++;
    return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}
}  // namespace

Layer::Layer(std::string name, const std::string& auto_prefix) : name_(name.empty() ? auto_name(auto_prefix) : std::move(name)) {}

LayerRef Layer::operator()(const LayerRef& input) { return (*this)(std::vector<LayerRef>{input}); }

LayerRef Layer::operator()(const std::vector<LayerRef>& inputs) {
    if (!inbound_.empty()) throw std::logic_error("Layer '" + name_ + "' was already called; create a new layer");
    for (const auto& in : inputs)
        if (!in.layer) throw std::invalid_argument("Layer '" + name_ + "': called on an empty layer reference");
    for (const auto& in : inputs) inbound_.push_back(in.layer);
    return LayerRef{shared_from_this()};
}

std::shared_ptr<Tensor> Layer::weight(const std::string& name) const {
    std::string names;
    for (const auto& w : weights_) {
        if (w.name == name) return w.value;
        names += (names.empty() ? "" : ", ") + w.name;
    }
    throw std::invalid_argument("Layer '" + name_ + "' (" + class_name() + ") has no weight '" + name + "' (weights: " +
                                (names.empty() ? "none" : names) + ")");
}

std::size_t Layer::count_params() const {
    std::size_t n = 0;
    for (const auto& w : weights_) n += w.value->size();
    return n;
}

void Layer::set_activation(ActivationKind) {
    throw std::invalid_argument("Layer '" + name_ + "' (" + class_name() + ") has no activation to set");
}

std::shared_ptr<Tensor> Layer::add_weight(const std::string& name, const Shape& shape, Initializer init, std::uint64_t seed) {
    for (const auto& w : weights_)
        if (w.name == name) {
            if (w.value->shape() != shape)
                throw ShapeError("Layer '" + name_ + "': weight '" + name + "' has shape " + shape_to_string(w.value->shape()) +
                                 " but the inputs now need " + shape_to_string(shape));
            return w.value;
        }
    weights_.push_back({name, std::make_shared<Tensor>(initialize(shape, init, seed + weights_.size()))});
    return weights_.back().value;
}

void Layer::fail(const std::vector<Node>& inputs, const std::string& what) const {
    throw_op_error(class_name() + " '" + name_ + "'", inputs, what);
}

Padding1d same_padding(std::size_t in, std::size_t kernel, std::size_t stride, std::size_t dilation) {
    const std::size_t out = (in + stride - 1) / stride;
    const std::size_t span = (kernel - 1) * dilation + 1;
    const std::size_t needed = (out - 1) * stride + span;
    const std::size_t total = needed > in ? needed - in : 0;
    return {total / 2, total - total / 2};
}

Node to_channels_first(const Node& x, DataFormat f) {
    if (f == DataFormat::channels_first || x.rank() < 3) return x;
    std::vector<std::size_t> perm{0, x.rank() - 1};
    for (std::size_t i = 1; i + 1 < x.rank(); ++i) perm.push_back(i);
    return transpose(x, perm);
}

Node from_channels_first(const Node& x, DataFormat f) {
    if (f == DataFormat::channels_first || x.rank() < 3) return x;
    std::vector<std::size_t> perm{0};
    for (std::size_t i = 2; i < x.rank(); ++i) perm.push_back(i);
    perm.push_back(1);
    return transpose(x, perm);
}

}  // namespace xvis
