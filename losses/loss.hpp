#pragma once
// keras-vis's Loss contract: a loss emits a scalar graph node that the optimizer *minimizes*. Arguments go
// through the constructor; build_loss() may be called more than once (each call builds fresh nodes).
// A user-defined loss is a small subclass that composes graph ops (see examples/custom_loss.cpp).
#include <xvis/autodiff/node.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

class Loss {
public:
    virtual ~Loss() = default;
    // Shown by the Print callback and used as the key of named losses.
    virtual std::string name() const { return "Unnamed Loss"; }
    // A node holding one element.
    virtual Node build_loss() const = 0;
};

using LossPtr = std::shared_ptr<const Loss>;
// (loss, weight) pairs as the optimizer takes them; weight-0 pairs are never built.
using WeightedLosses = std::vector<std::pair<LossPtr, double>>;

// The built form of weighted losses: each nonzero-weight loss built once, with its name, and
// overall = Σ weight · loss (rank 0). Zero weights are skipped (never built); all zero, a null loss or a loss
// of more than one element → std::invalid_argument / ShapeError naming `call`.
struct BuiltLosses {
    std::vector<std::string> names;
    std::vector<Node> values;
    Node overall;
};
BuiltLosses build_losses(const WeightedLosses& losses, const std::string& call);

// Python's str(float(v)): "6.0", "2.5", "inf", used in keras-vis loss names.
std::string python_float_string(double v);

}  // namespace xvis
