#include "image_options.hpp"

#include <xvis/io/labels.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace xvis::cli {

namespace {

// strtod over the whole text; false when anything is left over or nothing is a number.
bool to_number(const std::string& text, double& v) {
    char* end = nullptr;
    v = std::strtod(text.c_str(), &end);
    return !text.empty() && end != text.c_str() && *end == '\0' && std::isfinite(v);
}

bool to_size(const std::string& text, std::size_t& v) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    v = std::strtoul(text.c_str(), nullptr, 10);
    return v > 0 && v < 100000;
}

std::vector<float> parse_list(const std::string& text) {
    std::vector<float> out;
    std::stringstream ss(text);
    std::string item;
    double v = 0;
    while (std::getline(ss, item, ','))
        if (to_number(item, v)) out.push_back(static_cast<float>(v));
    return out;
}

std::string dims(std::size_t h, std::size_t w) { return std::to_string(h) + "x" + std::to_string(w); }

}  // namespace

std::string check_number_list(const std::string& text, bool positive) {
    std::stringstream ss(text);
    std::string item;
    double v = 0;
    std::size_t n = 0;
    while (std::getline(ss, item, ',')) {
        ++n;
        if (!to_number(item, v)) return "expected comma-separated numbers (e.g. 0.485,0.456,0.406), got '" + text + "'";
        if (positive && !(v > 0)) return "values must be > 0, got " + item + " in '" + text + "'";
    }
    // getline yields nothing for "" and drops one trailing empty field: "1,2," would pass as two values.
    if (n == 0 || text.back() == ',') return "expected comma-separated numbers (e.g. 0.485,0.456,0.406), got '" + text + "'";
    return {};
}

std::string check_size(const std::string& text) {
    const std::size_t x = text.find_first_of("xX");
    std::size_t h = 0, w = 0;
    const bool ok = x == std::string::npos ? to_size(text, h) : to_size(text.substr(0, x), h) && to_size(text.substr(x + 1), w);
    return ok ? std::string() : "expected H or HxW with positive integers (e.g. 224 or 224x224), got '" + text + "'";
}

std::string check_scale(const std::string& text) {
    const std::size_t slash = text.find('/');
    double a = 0, b = 1;
    const bool ok = slash == std::string::npos ? to_number(text, a) : to_number(text.substr(0, slash), a) && to_number(text.substr(slash + 1), b);
    if (!ok || b == 0) return "expected a number or a fraction (e.g. 1/255), got '" + text + "'";
    if (!(a / b > 0)) return "must be > 0, got " + text;
    return {};
}

TensorLayout guess_layout(const Shape& in) {
    const auto image_channels = [](std::size_t c) { return c == 1 || c == 3; };
    return in.size() == 4 && image_channels(in[3]) && !image_channels(in[1]) ? TensorLayout::nhwc : TensorLayout::nchw;
}

Preprocessing resolve_preprocessing(const ImageOptions& o, const Shape& in, std::size_t& channels) {
    if (in.size() != 4)
        throw std::invalid_argument("the model input " + shape_to_string(in) + " is not an image batch [N, C, H, W] or [N, H, W, C]");
    const bool guessed = o.layout.empty();
    const TensorLayout layout = guessed ? guess_layout(in) : o.layout == "nhwc" ? TensorLayout::nhwc : TensorLayout::nchw;
    const bool nchw = layout == TensorLayout::nchw;
    channels = nchw ? in[1] : in[3];
    const std::size_t h = nchw ? in[2] : in[1], w = nchw ? in[3] : in[2];
    if (channels != 1 && channels != 3)
        throw std::invalid_argument((guessed ? std::string("the model input ") : "--layout " + o.layout + ": the model input ") + shape_to_string(in) +
                                    " read as " + (nchw ? "NCHW" : "NHWC") + " takes " + std::to_string(channels) +
                                    " channels; pictures give 1 or 3" + (guessed ? " (set --layout nchw or nhwc)" : ""));

    Preprocessing p = o.preset == "imagenet" ? imagenet_preprocessing()
                      : o.preset == "caffe"  ? caffe_preprocessing()
                      : o.preset == "tf"     ? tf_preprocessing()
                                             : Preprocessing{};
    if (o.bgr || !o.order.empty()) p = with_channel_order(p, o.bgr || o.order == "bgr" ? ChannelOrder::bgr : ChannelOrder::rgb);
    if (!o.mean.empty()) p.mean = parse_list(o.mean);
    if (!o.std.empty()) p.std = parse_list(o.std);
    if (!o.scale.empty()) {
        const std::size_t slash = o.scale.find('/');
        p.scale = static_cast<float>(slash == std::string::npos ? std::strtod(o.scale.c_str(), nullptr)
                                                                : std::strtod(o.scale.substr(0, slash).c_str(), nullptr) /
                                                                      std::strtod(o.scale.substr(slash + 1).c_str(), nullptr));
    }
    for (const auto* v : {&p.mean, &p.std}) {
        if (v->empty() || v->size() == channels) continue;
        const std::string flag = v == &p.mean ? (o.mean.empty() ? "--preset " + o.preset : "--mean")
                                              : (o.std.empty() ? "--preset " + o.preset : "--std");
        throw std::invalid_argument(flag + ": " + std::to_string(v->size()) + (v == &p.mean ? " mean" : " std") + " values for the model's " +
                                    std::to_string(channels) + " input channel" + (channels == 1 ? "" : "s") + " (input " + shape_to_string(in) +
                                    ")");
    }
    // Models are built for one input size, so the picture is always resized to it; --size only confirms it.
    if (!o.size.empty()) {
        const std::size_t x = o.size.find_first_of("xX");
        const std::size_t sh = std::strtoul(o.size.c_str(), nullptr, 10);
        const std::size_t sw = x == std::string::npos ? sh : std::strtoul(o.size.c_str() + x + 1, nullptr, 10);
        if (sh != h || sw != w)
            throw std::invalid_argument("--size " + dims(sh, sw) + ": the model takes " + dims(h, w) + " inputs (" + shape_to_string(in) +
                                        "); xvis builds a model for one input size");
    }
    p.height = h;
    p.width = w;
    p.layout = layout;
    return p;
}

std::vector<std::string> load_labels(const std::string& path, std::size_t classes) {
    std::vector<std::string> names;
    try {
        names = read_labels(path, classes);
    } catch (const std::runtime_error& e) {
        throw std::invalid_argument(std::string("--labels: ") + e.what());
    }
    if (names.size() > classes)
        std::fprintf(stderr, "xvis: warning: --labels %s has %zu names for %zu classes: class k is named by line k + 1\n", path.c_str(),
                     names.size(), classes);
    return names;
}

std::string class_name(std::size_t k, const std::vector<std::string>& labels) {
    std::string s = "class " + std::to_string(k);
    if (k < labels.size()) s += " (" + labels[k] + ")";
    return s;
}

std::size_t print_top_classes(const float* scores, std::size_t classes, const std::vector<std::string>& labels, std::size_t k) {
    std::vector<std::size_t> order(classes);
    std::iota(order.begin(), order.end(), std::size_t(0));
    k = std::min(k, classes);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::size_t a, std::size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
    // Scores that already are a distribution (a softmax output) are shown as they are; logits get a softmax.
    double total = 0;
    bool in_unit = true;
    for (std::size_t i = 0; i < classes; ++i) total += scores[i], in_unit = in_unit && scores[i] >= 0 && scores[i] <= 1;
    const bool probabilities = in_unit && std::fabs(total - 1) < 1e-3;
    double z = 0;
    const double top = scores[order[0]];
    for (std::size_t i = 0; i < classes && !probabilities; ++i) z += std::exp(double(scores[i]) - top);
    std::printf("top %zu of %zu classes:\n", k, classes);
    for (std::size_t r = 0; r < k; ++r) {
        const std::size_t c = order[r];
        const double prob = probabilities ? scores[c] : std::exp(double(scores[c]) - top) / z;
        std::printf("  %zu. %-40s score %9.4f  p %.4f\n", r + 1, class_name(c, labels).c_str(), double(scores[c]), prob);
    }
    return order[0];
}

}  // namespace xvis::cli
