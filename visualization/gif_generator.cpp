#include <xvis/visualization/gif_generator.hpp>

#include <stdexcept>

namespace xvis {

GifGenerator::GifGenerator(std::string path, DataFormat format, unsigned delay)
    : path_(std::move(path)), format_(format), delay_(delay) {}

void GifGenerator::callback(int, const NamedLosses&, double, const Tensor&, const Tensor& wrt) {
    if (wrt.rank() != 4) throw ShapeError("GifGenerator: expected a batch of 2-D images, got " + shape_to_string(wrt.shape()));
    const std::size_t per = wrt.size() / wrt.shape()[0];
    Shape one = wrt.shape();
    one[0] = 1;
    Tensor first(one);
    std::copy(wrt.begin(), wrt.begin() + static_cast<std::ptrdiff_t>(per), first.begin());
    deprocess_input(first.data(), per, {0, 255}, first.data());
    Tensor hwc = to_channels_last(first, format_);
    hwc.reshape({hwc.shape()[1], hwc.shape()[2], hwc.shape()[3]});
    if (!writer_) writer_ = std::make_unique<GifWriter>(path_, hwc.shape()[1], hwc.shape()[0], delay_);
    writer_->add_frame(hwc);
}

void GifGenerator::on_end() {
    if (writer_) writer_->close();
}

}  // namespace xvis
