#include <xvis/losses/activation_maximization.hpp>
#include <xvis/losses/lp_norm.hpp>
#include <xvis/losses/total_variation.hpp>
#include <xvis/visualization/backprop_modifiers.hpp>
#include <xvis/visualization/visualize_activation.hpp>

namespace xvis {

MinimizeResult visualize_activation_with_losses(const Node& input, const WeightedLosses& losses,
                                                const VisualizeActivationOptions& o, const Node& wrt) {
    // The modifier is checked against the model behind the input's losses (leaky_relu is an error).
    Node any_loss;
    if (o.backprop_modifier != BackpropModifier::none)
        for (const auto& [loss, weight] : losses)
            if (weight != 0 && loss) any_loss = loss->build_loss();
    Optimizer opt(input, losses, o.input_range, wrt, true, o.data_format.value_or(DataFormat::channels_first), backprop_modifier(o.backprop_modifier, any_loss));
    return opt.minimize(o);
}

namespace {
WeightedLosses am_losses(const ModelGraph& g, std::int64_t layer, const std::vector<std::int64_t>& filters, const VisualizeActivationOptions& o,
                         DataFormat format) {
    const Node target = o.use_logits ? g.pre_activation(layer) : g.layer_output(layer);
    const Node input = g.input();
    // Zero-weight losses are not even constructed (a dense-only model has no spatial axes for TotalVariation).
    WeightedLosses losses;
    if (o.act_max_weight != 0) losses.emplace_back(std::make_shared<ActivationMaximization>(target, filters, format), o.act_max_weight);
    if (o.lp_norm_weight != 0) losses.emplace_back(std::make_shared<LPNorm>(input, 6.0), o.lp_norm_weight);
    if (o.tv_weight != 0) losses.emplace_back(std::make_shared<TotalVariation>(input, 2.0, format), o.tv_weight);
    return losses;
}
}  // namespace

ActivationMaximizer::ActivationMaximizer(const Model& model, LayerId layer, std::vector<std::int64_t> filters, const Shape& input_shape,
                                         VisualizeActivationOptions o)
    : input_shape_(batch_input_shape(model, input_shape, "ActivationMaximizer")), graph_(model.graph(input_shape_[0])), o_(std::move(o)) {
    const DataFormat format = o_.data_format.value_or(model_data_format(model));
    const WeightedLosses losses = am_losses(graph_, layer.index(model), filters, o_, format);
    Node any_loss;  // the modifier is checked against the model behind the losses (leaky_relu is an error)
    if (o_.backprop_modifier != BackpropModifier::none)
        for (const auto& [loss, weight] : losses)
            if (weight != 0 && loss) any_loss = loss->build_loss();
    optimizer_ = std::make_unique<Optimizer>(graph_.input(), losses, o_.input_range, Node{}, true, format,
                                             backprop_modifier(o_.backprop_modifier, any_loss));
}

const MinimizeResult& ActivationMaximizer::operator()(const Tensor& seed_input) {
    optimizer_->minimize(seed_input, o_, result_);
    return result_;
}

const MinimizeResult& ActivationMaximizer::operator()(const std::optional<Tensor>& seed_input) {
    if (seed_input) optimizer_->minimize(*seed_input, o_, result_);
    else optimizer_->minimize(o_, result_);
    return result_;
}

MinimizeResult visualize_activation(const Model& model, LayerId layer, const std::vector<std::int64_t>& filters,
                                    const VisualizeActivationOptions& o) {
    const Shape one = model.input_shape();
    Shape shape{1};
    shape.insert(shape.end(), one.begin(), one.end());
    if (o.seed_input && o.seed_input->rank() == shape.size()) shape[0] = o.seed_input->shape()[0];
    return ActivationMaximizer(model, std::move(layer), filters, shape, o)();
}

}  // namespace xvis
