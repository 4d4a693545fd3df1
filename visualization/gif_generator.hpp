#pragma once
// keras-vis GifGenerator: an optimizer callback that records the image evolving over the iterations as an
// animated GIF (sample 0 of the batch, deprocessed to 0..255 like the final image, channels_last).
#include <xvis/image/animation.hpp>
#include <xvis/optimizer/callbacks.hpp>
#include <xvis/optimizer/image_range.hpp>

#include <memory>
#include <string>

namespace xvis {

class GifGenerator : public Callback {
public:
    // The file is written whole on on_end() (nothing is left behind if the run fails first).
    explicit GifGenerator(std::string path, DataFormat format = DataFormat::channels_first, unsigned delay_centiseconds = 10);
    void callback(int iteration, const NamedLosses&, double, const Tensor&, const Tensor& wrt_value) override;
    void on_end() override;

private:
    std::string path_;
    DataFormat format_;
    unsigned delay_;
    std::unique_ptr<GifWriter> writer_;
    Tensor sample_, frame_;  // sample 0 deprocessed; as [H, W, C]: reused for every frame
};

}  // namespace xvis
