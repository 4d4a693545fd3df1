// A user-defined loss: a small Loss subclass that composes graph ops and gets its gradient for free.
// FilterContrast excites one filter of a layer while suppressing another:
//   loss = −mean(out[:, a]) + mean(out[:, b])   (minimized)
// It is then combined with the keras-vis regularizers and optimized on a small random CNN.
#include <xvis/xvis.hpp>

#include <cstdio>

using namespace xvis;

class FilterContrast : public Loss {
public:
    FilterContrast(Node layer_output, std::int64_t excite, std::int64_t suppress)
        : out_(std::move(layer_output)), excite_(excite), suppress_(suppress) {}
    std::string name() const override { return "FilterContrast Loss"; }
    Node build_loss() const override {
        auto channel_mean = [&](std::int64_t k) { return mean(slice(out_, {0, k}, {slice_full, k + 1})); };
        return channel_mean(suppress_) - channel_mean(excite_);
    }

private:
    Node out_;
    std::int64_t excite_, suppress_;
};

int main() {
    Model model = Model::sequential({std::make_shared<InputLayer>(Shape{3, 32, 32}),
                                     std::make_shared<Conv2D>(16, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv1"),
                                     std::make_shared<MaxPooling2D>(),
                                     std::make_shared<Conv2D>(16, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv2")},
                                    "example", 42);
    std::printf("%s", model.summary().c_str());
    const Node input = model.input();
    const WeightedLosses losses = {{std::make_shared<FilterContrast>(model.layer_output("conv2"), 3, 5), 1.0},
                                   {std::make_shared<LPNorm>(input, 6.0), 10.0},
                                   {std::make_shared<TotalVariation>(input, 2.0), 10.0}};
    VisualizeActivationOptions options;
    options.max_iter = 50;
    options.input_modifiers = {std::make_shared<Jitter>(0.05)};
    const MinimizeResult r = visualize_activation_with_losses(input, losses, options);
    std::printf("best overall loss %.4f at iteration %d; image %s;", r.best_loss, r.best_iteration + 1,
                shape_to_string(r.image.shape()).c_str());
    for (const auto& [name, value] : r.last_losses) std::printf(" %s = %.4f;", name.c_str(), value);
    std::printf("\n");
    return r.best_iteration > 0 ? 0 : 1;  // the loss went down at least once
}
