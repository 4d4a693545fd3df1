#include <xvis/visualization/gif_generator.hpp>

#include <algorithm>
#include <stdexcept>

namespace xvis {

GifGenerator::GifGenerator(std::string path, DataFormat format, unsigned delay)
    : path_(std::move(path)), format_(format), delay_(delay) {}

void GifGenerator::callback(int, const NamedLosses&, double, const Tensor&, const Tensor& wrt) {
    if (wrt.rank() != 4) throw ShapeError("GifGenerator: expected a batch of 2-D images, got " + shape_to_string(wrt.shape()));
    const Shape& s = wrt.shape();
    const bool cf = format_ == DataFormat::channels_first;
    const std::size_t c = cf ? s[1] : s[3], h = cf ? s[2] : s[1], w = cf ? s[3] : s[2], per = c * h * w;
    if (!writer_) {  // first frame: the only allocations (the optimizer loop allocates nothing)
        sample_ = Tensor({per});
        frame_ = Tensor({h, w, c});
        writer_ = std::make_unique<GifWriter>(path_, w, h, delay_);
    } else if (frame_.shape()[0] != h || frame_.shape()[1] != w || frame_.shape()[2] != c) {
        throw ShapeError("GifGenerator: image " + shape_to_string(s) + " changed size after the first frame " +
                         shape_to_string(frame_.shape()) + " (height, width, channels)");
    }
    deprocess_input(wrt.data(), per, {0, 255}, sample_.data());  // sample 0 of the batch
    if (cf) {
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w; ++x)
                for (std::size_t k = 0; k < c; ++k) frame_[(y * w + x) * c + k] = sample_[(k * h + y) * w + x];
    } else {
        std::copy(sample_.begin(), sample_.end(), frame_.begin());
    }
    writer_->add_frame(frame_);
}

void GifGenerator::on_end() {
    if (writer_) writer_->close();
}

}  // namespace xvis
