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
    if (!o.backprop_modifier.empty())
        for (const auto& [loss, weight] : losses)
            if (weight != 0 && loss) any_loss = loss->build_loss();
    Optimizer opt(input, losses, o.input_range, wrt, true, o.data_format, backprop_modifier(o.backprop_modifier, any_loss));
    return opt.minimize(o);
}

MinimizeResult visualize_activation(Model& model, std::int64_t layer, const std::vector<std::int64_t>& filter_indices,
                                    const VisualizeActivationOptions& o) {
    const std::size_t batch = o.seed_input && o.seed_input->rank() == model.input().rank() ? o.seed_input->shape()[0] : 1;
    if (batch != model.batch_size()) model.build(batch);
    const LayerPtr& l = model.layer(layer);
    const Node target = o.use_logits ? l->pre_activation() : l->output();
    const Node input = model.input();
    // Zero-weight losses are not even constructed (a dense-only model has no spatial axes for TotalVariation).
    WeightedLosses losses;
    if (o.act_max_weight != 0)
        losses.emplace_back(std::make_shared<ActivationMaximization>(target, filter_indices, o.data_format), o.act_max_weight);
    if (o.lp_norm_weight != 0) losses.emplace_back(std::make_shared<LPNorm>(input, 6.0), o.lp_norm_weight);
    if (o.tv_weight != 0) losses.emplace_back(std::make_shared<TotalVariation>(input, 2.0, o.data_format), o.tv_weight);
    return visualize_activation_with_losses(input, losses, o);
}

}  // namespace xvis
