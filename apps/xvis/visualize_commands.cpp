// xvis activation, xvis saliency / cam / attribute.
#include "commands.hpp"
#include "inputs.hpp"
#include "progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace xvis::cli {

namespace {

// Small images (Fashion-MNIST's 28×28) are enlarged with nearest neighbours so the PNGs are readable.
Tensor enlarge(const Tensor& hwc) {
    const std::size_t h = hwc.shape()[0];
    if (h >= 128) return hwc;
    const std::size_t k = (224 + h - 1) / h;
    return resize(hwc, h * k, hwc.shape()[1] * k, Interpolation::nearest);
}

int predicted_class(const Model& model, const Node& scores, const Tensor& x) {
    Function f = compile({scores}, {model.input()});
    const Tensor& s = f(x)[0];
    const std::size_t per = s.size() / s.shape()[0];
    return static_cast<int>(std::max_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(per)) - s.begin());
}

// [N, ...] attributions → one [H, W] heat-map in [0, 1] for sample 0.
Tensor first_map(const Tensor& m) {
    Tensor out({m.shape()[1], m.shape()[2]});
    std::copy(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(out.size()), out.begin());
    return out;
}

}  // namespace

const char* attribute_methods() {
    return "saliency, smoothgrad, integrated-gradients, input-x-gradient, gradcam, gradcam++, layercam, scorecam, guided-gradcam";
}

Tensor attribution_map(Model& model, const std::string& method, std::int64_t layer, int target, const Tensor& x,
                       const std::string& backprop, const std::string& penultimate, std::uint64_t seed) {
    const std::vector<std::int64_t> filters{target};
    CamOptions co;
    co.backprop_modifier = backprop;
    if (!penultimate.empty()) co.penultimate_layer = resolve_layer(model, penultimate);
    // Raw input attributions: |a|, max over channels, normalized (as saliency maps are shown).
    auto as_map = [](const Tensor& raw) {
        Tensor a = raw;
        for (auto& v : a) v = std::fabs(v);
        return finish_saliency(a, false, true, DataFormat::channels_first);
    };
    if (method == "saliency") {
        SaliencyOptions so;
        so.backprop_modifier = backprop;
        return visualize_saliency(model, layer, filters, x, so);
    }
    if (method == "smoothgrad") {
        SmoothGradOptions so;
        so.backprop_modifier = backprop;
        so.seed = seed;
        return smoothgrad(model, layer, filters, x, so);
    }
    if (method == "integrated-gradients") {
        IntegratedGradientsOptions io;
        io.backprop_modifier = backprop;
        return as_map(integrated_gradients(model, layer, filters, x, io));
    }
    if (method == "input-x-gradient") return as_map(input_x_gradient(model, layer, filters, x, backprop));
    if (method == "gradcam") return visualize_cam(model, layer, filters, x, co);
    if (method == "gradcam++") return gradcam_plus_plus(model, layer, filters, x, co);
    if (method == "layercam") return layercam(model, layer, filters, x, co);
    if (method == "scorecam") {
        ScoreCamOptions so;
        static_cast<CamOptions&>(so) = co;
        return score_cam(model, layer, filters, x, so);
    }
    if (method == "guided-gradcam") return as_map(guided_gradcam(model, layer, filters, x, co));
    throw std::invalid_argument("unknown method '" + method + "' (choices: " + attribute_methods() + ")");
}

int run_activation(const ActivationArgs& a) {
    Model model = load_model(a.model, 1);
    const std::int64_t layer = resolve_layer(model, a.layer);
    std::vector<std::int64_t> filters = parse_indices(a.filters);
    if (filters.empty()) {
        const Node& out = model.layer_output(layer);
        for (std::size_t k = 0; k < out.shape()[1]; ++k) filters.push_back(static_cast<std::int64_t>(k));
    }
    VisualizeActivationOptions o;
    o.max_iter = a.iterations;
    if (a.range.size() != 2 || !(a.range[0] < a.range[1])) throw std::invalid_argument("--range needs LO HI with LO < HI");
    o.input_range = {a.range[0], a.range[1]};
    o.act_max_weight = a.am_weight;
    o.lp_norm_weight = a.lp_weight;
    o.tv_weight = a.tv_weight;
    o.use_logits = a.use_logits;
    o.backprop_modifier = a.backprop;
    if (a.jitter > 0) o.input_modifiers = {std::make_shared<Jitter>(a.jitter, DataFormat::channels_first, a.seed)};
    std::vector<Tensor> images;
    Progress bar("activation", static_cast<long>(filters.size()) * a.iterations);
    for (std::size_t i = 0; i < filters.size(); ++i) {
        o.seed = a.seed + i;
        const long base = static_cast<long>(i) * a.iterations;
        o.callbacks = {std::make_shared<xvis::Progress>(a.iterations, [&, base](int done, int, double loss, bool) {
            bar.update(base + done, "filter " + std::to_string(filters[i]) + " loss " + std::to_string(loss));
        })};
        if (i == 0 && !a.gif.empty()) o.callbacks.push_back(std::make_shared<GifGenerator>(a.gif));
        MinimizeResult r = visualize_activation(model, layer, {filters[i]}, o);
        if (a.display == "clip") r.image = to_channels_last(clip_to_range(r.best_input, o.input_range), DataFormat::channels_first);
        r.image.reshape(Shape(r.image.shape().begin() + 1, r.image.shape().end()));
        const float to_byte = 255.0f / static_cast<float>(a.range[1] - a.range[0]);  // PNGs hold 0..255
        for (auto& v : r.image) v = (v - static_cast<float>(a.range[0])) * to_byte;
        images.push_back(enlarge(r.image));
    }
    bar.finish();
    write_png(a.output, stitch_images(images, 5, std::min<std::size_t>(images.size(), 5)));
    std::printf("wrote %s (%zu filters of layer '%s')\n", a.output.c_str(), filters.size(), model.layer(layer)->name().c_str());
    return 0;
}

int run_attribute(const AttributeArgs& a) {
    Model model = load_model(a.model, 1);
    const std::int64_t layer = resolve_layer(model, a.layer);
    Tensor display;
    int label = -1;
    const Tensor x = load_input(model, a.image, a.index, a.dataset, display, &label);
    const int target = a.target >= 0 ? a.target : predicted_class(model, model.layer_output(layer), x);
    const Colormap cmap = colormap_from_string(a.colormap);
    const Tensor map = first_map(attribution_map(model, a.method, layer, target, x, a.backprop, a.penultimate, a.seed));
    std::filesystem::create_directories(a.output);
    const std::string heat = a.output + "/heatmap.png", over = a.output + "/overlay.png";
    write_png(heat, enlarge(apply_colormap(map, cmap)));
    write_png(over, enlarge(overlay_heatmap(display, map, a.alpha, cmap)));
    std::printf("%s for class %d%s: wrote %s and %s\n", a.method.c_str(), target,
                label >= 0 ? (" (true label " + std::to_string(label) + ")").c_str() : "", heat.c_str(), over.c_str());
    return 0;
}

}  // namespace xvis::cli
