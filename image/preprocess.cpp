#include <xvis/image/preprocess.hpp>
#include <xvis/image/resize.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace xvis {

namespace {

// ITU-R 601 luma, as PIL's convert("L") and torchvision's rgb_to_grayscale.
constexpr float luma[3] = {0.299f, 0.587f, 0.114f};

std::string list(const std::vector<float>& v) {
    std::ostringstream s;
    s << "(";
    for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    s << ")";
    return s.str();
}

std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

[[noreturn]] void fail(const char* fn, const std::string& what) { throw std::invalid_argument(std::string(fn) + ": " + what); }

// Every check on the settings, shared by the four functions so they reject the same things the same way.
void check(const Preprocessing& p, std::size_t channels, const char* fn) {
    if (channels != 1 && channels != 3) fail(fn, "the model takes " + std::to_string(channels) + " channels; pictures give 1 or 3");
    if ((p.height == 0) != (p.width == 0))
        fail(fn, "size " + std::to_string(p.height) + "x" + std::to_string(p.width) + ": give both height and width, or neither (0x0 keeps the picture's size)");
    if (!(p.scale > 0) || !std::isfinite(p.scale)) fail(fn, "scale " + num(p.scale) + " must be finite and > 0");
    for (const auto* v : {&p.mean, &p.std}) {
        const char* name = v == &p.mean ? "mean" : "std";
        if (!v->empty() && v->size() != channels)
            fail(fn, std::string(name) + " " + list(*v) + " has " + std::to_string(v->size()) + " values for " + std::to_string(channels) +
                         " channel" + (channels == 1 ? "" : "s"));
        for (std::size_t c = 0; c < v->size(); ++c) {
            const float x = (*v)[c];
            if (!std::isfinite(x) || (v == &p.std && !(x > 0)))
                fail(fn, std::string(name) + "[" + std::to_string(c) + "] = " + num(x) + " in " + list(*v) + " must be finite" +
                             (v == &p.std ? " and > 0" : ""));
        }
    }
}

float mean_of(const Preprocessing& p, std::size_t c) { return p.mean.empty() ? 0.0f : p.mean[c]; }
float std_of(const Preprocessing& p, std::size_t c) { return p.std.empty() ? 1.0f : p.std[c]; }
// Which RGB channel feeds model channel c (and, since the swap is its own inverse, the reverse too).
std::size_t source(const Preprocessing& p, std::size_t channels, std::size_t c) {
    return channels == 3 && p.order == ChannelOrder::bgr ? 2 - c : c;
}

// Shape of a model input: C, h, w from [1, C, h, w] / [C, h, w] (nchw) or [1, h, w, C] / [h, w, C] (nhwc).
struct InputDims {
    std::size_t c, h, w;
    bool nchw;
    std::size_t at(std::size_t k, std::size_t y, std::size_t x) const { return nchw ? (k * h + y) * w + x : (y * w + x) * c + k; }
};

InputDims input_dims(const Tensor& t, const Preprocessing& p, const char* fn) {
    const Shape& s = t.shape();
    const bool batch = s.size() == 4 && s[0] == 1;
    if (!batch && s.size() != 3)
        fail(fn, "input " + shape_to_string(s) + " must be [1, C, H, W] or [C, H, W] (nchw), [1, H, W, C] or [H, W, C] (nhwc)");
    const std::size_t o = batch ? 1 : 0;
    const bool nchw = p.layout == TensorLayout::nchw;
    const InputDims d{nchw ? s[o] : s[o + 2], nchw ? s[o + 1] : s[o], nchw ? s[o + 2] : s[o + 1], nchw};
    if (d.h == 0 || d.w == 0) fail(fn, "input " + shape_to_string(s) + " is empty");
    check(p, d.c, fn);
    return d;
}

}  // namespace

Preprocessing imagenet_preprocessing() {
    Preprocessing p;
    p.height = p.width = 224;
    p.mean = {0.485f, 0.456f, 0.406f};
    p.std = {0.229f, 0.224f, 0.225f};
    return p;
}

Preprocessing caffe_preprocessing() {
    Preprocessing p;
    p.height = p.width = 224;
    p.scale = 1.0f;
    p.mean = {103.939f, 116.779f, 123.68f};  // B, G, R: the model's channel order
    p.order = ChannelOrder::bgr;
    return p;
}

Preprocessing tf_preprocessing() {
    Preprocessing p;
    p.height = p.width = 224;
    p.mean = {0.5f, 0.5f, 0.5f};
    p.std = {0.5f, 0.5f, 0.5f};
    return p;
}

Preprocessing with_channel_order(Preprocessing p, ChannelOrder order) {
    if (order == p.order) return p;
    p.order = order;
    if (p.mean.size() == 3) std::reverse(p.mean.begin(), p.mean.end());
    if (p.std.size() == 3) std::reverse(p.std.begin(), p.std.end());
    return p;
}

Tensor preprocess_image(const Tensor& image, const Preprocessing& p, std::size_t channels) {
    constexpr const char* fn = "preprocess_image";
    check(p, channels, fn);
    const Shape& s = image.shape();
    const std::size_t ic = s.size() == 2 ? 1 : s.size() == 3 ? s[2] : 0;
    if (ic < 1 || ic > 4) fail(fn, "picture " + shape_to_string(s) + " must be [H, W] or [H, W, C] with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA)");
    const std::size_t H = s[0], W = s[1];
    if (H == 0 || W == 0) fail(fn, "picture " + shape_to_string(s) + " is empty");

    // Step 1: the picture in RGB (or gray) with the model's channel count, [H, W, channels].
    Tensor conv({H, W, channels});
    const bool color = ic >= 3;
    for (std::size_t i = 0; i < H * W; ++i) {
        const float* px = image.data() + i * ic;
        float* out = conv.data() + i * channels;
        if (channels == 3) {
            for (std::size_t k = 0; k < 3; ++k) out[k] = color ? px[k] : px[0];
        } else {
            out[0] = color ? luma[0] * px[0] + luma[1] * px[1] + luma[2] * px[2] : px[0];
        }
    }
    // Step 2: size.
    const std::size_t h = p.height ? p.height : H, w = p.width ? p.width : W;
    if (h != H || w != W) conv = resize(conv, h, w, Interpolation::bilinear);

    // Steps 3-4: values and layout. The factors are folded once per channel: x = v · a − b.
    const bool nchw = p.layout == TensorLayout::nchw;
    Tensor x(nchw ? Shape{1, channels, h, w} : Shape{1, h, w, channels});
    for (std::size_t c = 0; c < channels; ++c) {
        const std::size_t src = source(p, channels, c);
        const float a = p.scale / std_of(p, c), b = mean_of(p, c) / std_of(p, c);
        for (std::size_t i = 0; i < h * w; ++i) x[nchw ? c * h * w + i : i * channels + c] = conv[i * channels + src] * a - b;
    }
    return x;
}

Tensor input_to_image(const Tensor& input, const Preprocessing& p) {
    const InputDims d = input_dims(input, p, "input_to_image");
    Tensor out({d.h, d.w, d.c});
    for (std::size_t c = 0; c < d.c; ++c) {
        const std::size_t dst = source(p, d.c, c);
        const float sd = std_of(p, c), m = mean_of(p, c);
        for (std::size_t y = 0; y < d.h; ++y)
            for (std::size_t x = 0; x < d.w; ++x) out[(y * d.w + x) * d.c + dst] = (input[d.at(c, y, x)] * sd + m) / p.scale;
    }
    return out;
}

Tensor map_to_image(const Tensor& map, std::size_t height, std::size_t width) {
    constexpr const char* fn = "map_to_image";
    const Shape& s = map.shape();
    if (s.size() != 2 && s.size() != 3) fail(fn, "map " + shape_to_string(s) + " must be [h, w] or [N, h, w]");
    if (map.size() == 0) fail(fn, "map " + shape_to_string(s) + " is empty");
    if (height == 0 || width == 0) fail(fn, "target size " + std::to_string(height) + "x" + std::to_string(width) + " must be at least 1x1");
    const std::size_t n = s.size() == 3 ? s[0] : 1, h = s[s.size() - 2], w = s.back();
    Tensor out(s.size() == 3 ? Shape{n, height, width} : Shape{height, width});
    for (std::size_t b = 0; b < n; ++b) resize_plane(map.data() + b * h * w, h, w, out.data() + b * height * width, height, width);
    return out;
}

Tensor gradient_to_image(const Tensor& grad, const Preprocessing& p, std::size_t height, std::size_t width, std::size_t image_channels) {
    constexpr const char* fn = "gradient_to_image";
    const InputDims d = input_dims(grad, p, fn);
    if (height == 0 || width == 0) fail(fn, "picture size " + std::to_string(height) + "x" + std::to_string(width) + " must be at least 1x1");
    if (image_channels < 1 || image_channels > 4) fail(fn, "the picture has " + std::to_string(image_channels) + " channels; pictures have 1 to 4");

    // Value step: ∂s/∂(converted picture channel) at model resolution, [h, w, 3] (RGB) or [h, w, 1].
    Tensor rgb({d.h, d.w, d.c});
    for (std::size_t c = 0; c < d.c; ++c) {
        const std::size_t dst = source(p, d.c, c);
        const float k = p.scale / std_of(p, c);
        for (std::size_t y = 0; y < d.h; ++y)
            for (std::size_t x = 0; x < d.w; ++x) rgb[(y * d.w + x) * d.c + dst] = grad[d.at(c, y, x)] * k;
    }
    // Channel step: the transpose of preprocess_image's step 1.
    Tensor pic({d.h, d.w, image_channels}, 0.0f);
    const bool color = image_channels >= 3;
    for (std::size_t i = 0; i < d.h * d.w; ++i) {
        const float* g = rgb.data() + i * d.c;
        float* out = pic.data() + i * image_channels;
        if (d.c == 3 && color) std::copy(g, g + 3, out);
        else if (d.c == 3) out[0] = g[0] + g[1] + g[2];
        else if (color) for (std::size_t k = 0; k < 3; ++k) out[k] = luma[k] * g[0];
        else out[0] = g[0];
    }
    if (height == d.h && width == d.w) return pic;
    // Spatial step: resampled, scaled by the area ratio (see the header for why not the exact transpose).
    Tensor out = resize(pic, height, width, Interpolation::bilinear);
    const float area = static_cast<float>(static_cast<double>(d.h * d.w) / static_cast<double>(height * width));
    for (auto& v : out) v *= area;
    return out;
}

}  // namespace xvis
