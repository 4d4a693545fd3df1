// xvis activation, xvis saliency / cam / attribute.
#include "commands.hpp"
#include "inputs.hpp"
#include "interrupt.hpp"
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

DataFormat format_of(const Preprocessing& p) {
    return p.layout == TensorLayout::nhwc ? DataFormat::channels_last : DataFormat::channels_first;
}

// [1, h, w] (or [h, w]) → [h, w].
Tensor first_map(const Tensor& m) {
    Tensor out({m.shape()[m.rank() - 2], m.shape()[m.rank() - 1]});
    std::copy(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(out.size()), out.begin());
    return out;
}

// A model channel order of BGR is shown in the picture's RGB ([H, W, 3] in place).
void to_rgb(Tensor& hwc, const Preprocessing& p) {
    if (p.order != ChannelOrder::bgr || hwc.shape().back() != 3) return;
    for (std::size_t i = 0; i < hwc.size(); i += 3) std::swap(hwc[i], hwc[i + 2]);
}

// The class-score layer's names, when --labels is given; labels only make sense for [N, classes] outputs.
std::vector<std::string> labels_for(const Model& model, std::int64_t layer, const ImageOptions& o) {
    if (o.labels.empty()) return {};
    const Node& out = model.layer_output(layer);
    if (out.rank() != 2)
        throw std::invalid_argument("--labels: layer '" + model.layer(layer)->name() + "' outputs " + shape_to_string(out.shape()) +
                                    ", not class scores [N, classes]; pick the class layer with --layer");
    return load_labels(o.labels, out.shape()[1]);
}

}  // namespace

std::string attribute_methods() {
    std::string s;
    for (auto m : attribution_methods()) s += (s.empty() ? "" : ", ") + to_string(m);
    return s;
}

Tensor attribution_map(const Model& model, AttributionMethod method, std::int64_t layer, int target, const ModelInput& in,
                       BackpropModifier backprop, const std::string& penultimate, const std::string& tokens, std::uint64_t seed) {
    const DataFormat format = format_of(in.p);
    const std::size_t h = in.p.height, w = in.p.width;
    AttributionOptions o;
    o.backprop_modifier = backprop;
    o.data_format = format;
    o.seed = seed;
    if (!penultimate.empty()) o.penultimate_layer = resolve_layer(model, penultimate);
    o.token_grid = parse_token_grid(tokens);
    if (is_cam(method)) return first_map(attribute(method, model, layer, {target}, in.x, o));
    // Raw input gradients: through the preprocessing's chain rule onto the picture's values (scale / std per
    // channel, BGR and gray conversions undone) at the model's resolution, then |.| and the max over the
    // picture's channels, normalized: the saliency of the picture, not of the normalized tensor.
    if (method == AttributionMethod::saliency || method == AttributionMethod::smoothgrad) {
        o.grad_modifier = GradModifierKind::none;
        o.keepdims = true;
        o.normalize = false;
        const Tensor raw = attribute(method, model, layer, {target}, in.x, o);
        const std::size_t pc = in.picture.rank() == 3 ? in.picture.shape()[2] : 1;
        const Tensor g = gradient_to_image(raw, in.p, h, w, pc);
        Tensor m({h, w}, 0.0f);
        for (std::size_t i = 0; i < m.size(); ++i)
            for (std::size_t k = 0; k < pc; ++k) m[i] = std::max(m[i], std::fabs(g[i * pc + k]));
        normalize_inplace(m.data(), m.size());
        return m;
    }
    // Raw attributions (already "how much each input value contributed"): |a|, max over channels, normalized.
    Tensor a = attribute(method, model, layer, {target}, in.x, o);
    for (auto& v : a) v = std::fabs(v);
    return first_map(finish_saliency(a, false, true, format));
}

namespace {

int activation(const ActivationArgs& a) {
    Model model = load_model(a.model, 1);
    const std::int64_t layer = resolve_layer(model, a.layer);
    std::size_t channels = 0;
    const Preprocessing p = resolve_preprocessing(a.prep, model.input().shape(), channels);
    const DataFormat format = format_of(p);
    const std::vector<std::string> labels = labels_for(model, layer, a.prep);
    std::vector<std::int64_t> filters = parse_indices(a.filters);
    if (filters.empty()) {
        const Node& out = model.layer_output(layer);
        for (std::size_t k = 0; k < out.shape()[channel_axis(out.rank(), format)]; ++k) filters.push_back(static_cast<std::int64_t>(k));
    }
    VisualizeActivationOptions o;
    o.max_iter = a.iterations;
    std::vector<double> range = a.range;
    if (!a.range_given && a.prep.sets_values()) {
        // The inputs pictures can produce: each channel's (0 · scale − mean) / std .. (255 · scale − mean) / std,
        // united (keras-vis's input_range is one interval for all channels).
        range = {INFINITY, -INFINITY};
        for (std::size_t c = 0; c < channels; ++c) {
            const double m = p.mean.empty() ? 0 : p.mean[c], sd = p.std.empty() ? 1 : p.std[c];
            range[0] = std::min(range[0], (0 - m) / sd);
            range[1] = std::max(range[1], (255.0 * p.scale - m) / sd);
        }
    }
    if (range.size() != 2 || !(range[0] < range[1])) throw std::invalid_argument("--range needs LO HI with LO < HI");
    o.input_range = {range[0], range[1]};
    o.act_max_weight = a.am_weight;
    o.lp_norm_weight = a.lp_weight;
    o.tv_weight = a.tv_weight;
    o.use_logits = a.use_logits;
    o.backprop_modifier = from_string<BackpropModifier>(a.backprop);
    o.data_format = format;
    if (a.jitter > 0) o.input_modifiers = {std::make_shared<Jitter>(a.jitter, format, a.seed)};
    std::vector<Tensor> images;
    Progress bar("activation", static_cast<long>(filters.size()) * a.iterations);
    for (std::size_t i = 0; i < filters.size(); ++i) {
        o.seed = a.seed + i;
        const long base = static_cast<long>(i) * a.iterations;
        // First among the callbacks: an interruption stops before the GIF gets the frame, and the GIF writer,
        // destroyed while Interrupted unwinds, discards its recording.
        o.callbacks = {std::make_shared<xvis::Progress>(a.iterations, [&, base](int done, int, double loss, bool finished) {
            if (!finished) stop_if_interrupted();
            bar.update(base + done, "filter " + std::to_string(filters[i]) + " loss " + std::to_string(loss));
        })};
        if (i == 0 && !a.gif.empty()) o.callbacks.push_back(std::make_shared<GifGenerator>(a.gif));
        MinimizeResult r = visualize_activation(model, layer, {filters[i]}, o);
        Tensor img;
        if (a.display == "clip" && a.prep.sets_values()) {
            // The optimized input as the picture that would produce it: preprocessing inverted per channel.
            img = input_to_image(clip_to_range(r.best_input, o.input_range), p);
        } else {
            if (a.display == "clip") r.image = to_channels_last(clip_to_range(r.best_input, o.input_range), format);
            img = r.image;
            img.reshape(Shape(img.shape().begin() + 1, img.shape().end()));
            const float to_byte = 255.0f / static_cast<float>(range[1] - range[0]);  // PNGs hold 0..255
            for (auto& v : img) v = (v - static_cast<float>(range[0])) * to_byte;
            to_rgb(img, p);
        }
        images.push_back(enlarge(img));
    }
    bar.finish();
    write_png(a.output, stitch_images(images, 5, std::min<std::size_t>(images.size(), 5)));
    std::string names;
    for (std::size_t i = 0; i < filters.size() && !labels.empty(); ++i)
        names += (i ? ", " : ": ") + class_name(static_cast<std::size_t>(filters[i]), labels);
    std::printf("wrote %s (%zu filters of layer '%s'%s)\n", a.output.c_str(), filters.size(), model.layer(layer)->name().c_str(), names.c_str());
    return 0;
}

}  // namespace

int run_activation(const ActivationArgs& a) {
    return run_interruptible([&] { return activation(a); });
}

int run_attribute(const AttributeArgs& a) {
    Model model = load_model(a.model, 1);
    const std::int64_t layer = resolve_layer(model, a.layer);
    std::size_t channels = 0;
    const Preprocessing p = resolve_preprocessing(a.prep, model.input().shape(), channels);
    const std::vector<std::string> labels = labels_for(model, layer, a.prep);
    const ModelInput in = load_input(a.image, a.index, a.dataset, p, channels);

    // The prediction: the top 5 classes of a class-score layer; for other layers the most active channel.
    const Node& scores = model.layer_output(layer);
    Function forward = compile({scores}, {model.input()});
    const Tensor& s = forward(in.x)[0];
    std::size_t predicted = 0, classes = 0;
    if (scores.rank() == 2) {
        predicted = print_top_classes(s.data(), classes = s.shape()[1], labels, 5);
    } else {
        const std::size_t ca = channel_axis(s.rank(), format_of(p)), k = classes = s.shape()[ca], inner = s.size() / (s.shape()[0] * k);
        std::vector<double> act(k, 0.0);
        for (std::size_t i = 0; i < s.size(); ++i) act[ca == 1 ? (i / inner) % k : i % k] += s[i];
        predicted = static_cast<std::size_t>(std::max_element(act.begin(), act.end()) - act.begin());
    }
    if (a.target_given && (a.target < 0 || static_cast<std::size_t>(a.target) >= classes))
        throw std::invalid_argument("--class " + std::to_string(a.target) + ": layer '" + model.layer(layer)->name() + "' has " +
                                    std::to_string(classes) + " classes / channels, valid: 0.." + std::to_string(classes - 1) +
                                    " (omit --class for the predicted class)");
    const int target = a.target_given ? a.target : static_cast<int>(predicted);
    const Colormap cmap = colormap_from_string(a.colormap);
    const Tensor map = attribution_map(model, from_string<AttributionMethod>(a.method), layer, target, in, from_string<BackpropModifier>(a.backprop),
                                       a.penultimate, a.tokens, a.seed);

    // The heat-map goes onto the picture as given, at its own size (Fashion-MNIST test images, which have no
    // file, are enlarged 8x so they can be seen).
    Tensor shown = in.picture;
    if (shown.shape()[2] == 2) {  // gray + alpha: overlay_heatmap takes gray, RGB or RGBA
        Tensor gray({shown.shape()[0], shown.shape()[1], 1});
        for (std::size_t i = 0; i < gray.size(); ++i) gray[i] = shown[2 * i];
        shown = gray;
    }
    if (in.from_dataset) shown = enlarge(shown);
    const Tensor heat = map_to_image(map, shown.shape()[0], shown.shape()[1]);
    std::filesystem::create_directories(a.output);
    const std::string heat_file = a.output + "/heatmap.png", over_file = a.output + "/overlay.png";
    write_png(heat_file, apply_colormap(heat, cmap));
    write_png(over_file, overlay_heatmap(shown, heat, a.alpha, cmap));
    std::printf("%s for %s%s: wrote %s and %s (%zux%zu)\n", a.method.c_str(), class_name(static_cast<std::size_t>(target), labels).c_str(),
                in.label >= 0 ? (" (true label " + std::to_string(in.label) + ")").c_str() : "", heat_file.c_str(), over_file.c_str(),
                shown.shape()[1], shown.shape()[0]);
    return 0;
}

}  // namespace xvis::cli
