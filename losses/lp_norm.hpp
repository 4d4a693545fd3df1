#pragma once
// keras-vis LPNorm regularizer: value = (Σ_all |x|^p)^(1/p) / (C·S), with C·S the number of elements of one
// image (channels × spatial sizes; batch excluded). p = ∞: max(x) / (C·S) (the raw maximum, not of |x|, as
// keras-vis). p < 1 is an error. Name "L-<p> Norm Loss" with p printed as Python prints a float ("L-6.0").
#include <xvis/losses/loss.hpp>

namespace xvis {

class LPNorm : public Loss {
public:
    explicit LPNorm(Node image, double p = 6.0);
    std::string name() const override { return "L-" + python_float_string(p_) + " Norm Loss"; }
    Node build_loss() const override;

private:
    Node image_;
    double p_;
};

}  // namespace xvis
