#pragma once
// keras-vis ActivationMaximization: loss = − Σ_{k in filter_indices} mean(out[:, k, ...]), the mean over the
// batch and every spatial position of channel k (rank 2: over the batch); repeated indices count again.
// No indices: − mean over every unit of the output. Ranks 2 to 5, either data format (the channel axis is 1
// for channels_first, the last for channels_last; rank 2 is [N, C] in both).
// For a class output, maximize the logits (a linear output), not the softmax: softmax can be raised by
// lowering the other classes, which gives worse images.
#include <xvis/losses/loss.hpp>
#include <xvis/tensor/data_format.hpp>

#include <cstdint>
#include <vector>

namespace xvis {

class ActivationMaximization : public Loss {
public:
    // layer_output: the node of the layer to excite. filter_indices may be negative (from the end); an index
    // outside [−C, C) throws std::out_of_range naming it and the channel count.
    ActivationMaximization(Node layer_output, std::vector<std::int64_t> filter_indices,
                           DataFormat format = DataFormat::channels_first);
    std::string name() const override { return "ActivationMax Loss"; }
    Node build_loss() const override;

private:
    Node output_;
    std::vector<std::int64_t> filters_;
    DataFormat format_;
};

}  // namespace xvis
