#pragma once
// keras-vis TotalVariation regularizer, for 1-D, 2-D and 3-D images in either data format. For each spatial
// axis i, d_i = x[.. +1 along i ..] − x on the common region that drops the last index of every spatial axis;
//   value = Σ_{batch, channel, region} (Σ_i d_i²)^(β/2) / (C·S).
// For β < 2 the exact gradient is infinite where neighbours are equal (Σ d² = 0); xvis uses the subgradient 0
// there (the value is unchanged): see docs/keras-vis-differences.md. β <= 0 is an error.
#include <xvis/losses/loss.hpp>
#include <xvis/tensor/data_format.hpp>

namespace xvis {

class TotalVariation : public Loss {
public:
    explicit TotalVariation(Node image, double beta = 2.0, DataFormat format = DataFormat::channels_first);
    std::string name() const override { return "TV(" + python_float_string(beta_) + ") Loss"; }
    Node build_loss() const override;

private:
    Node image_;
    double beta_;
    DataFormat format_;
};

}  // namespace xvis
