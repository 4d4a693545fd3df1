#include <xvis/image/normalize.hpp>
#include <xvis/image/overlay.hpp>
#include <xvis/image/png.hpp>
#include <xvis/io/npy.hpp>
#include <xvis/optimizer/input_modifiers.hpp>
#include <xvis/sweep/detail/item_runner.hpp>
#include <xvis/visualization/saliency.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <stdexcept>

namespace xvis::detail {

namespace {

namespace fs = std::filesystem;
constexpr std::size_t max_explainers = 16;

DataFormat format_of(const Preprocessing& p) { return p.layout == TensorLayout::nhwc ? DataFormat::channels_last : DataFormat::channels_first; }

// A tensor without its leading batch axis of 1.
Tensor drop_batch(const Tensor& t) {
    Tensor out(Shape(t.shape().begin() + 1, t.shape().end()));
    std::copy(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(out.size()), out.begin());
    return out;
}

// One value per class / channel of one sample's layer output: [1, K] as is, else the channel means.
std::vector<double> channel_scores(const Tensor& s, DataFormat format) {
    if (s.rank() == 2) return std::vector<double>(s.begin(), s.end());
    const std::size_t ca = channel_axis(s.rank(), format), k = s.shape()[ca], inner = s.size() / k;
    std::size_t after = 1;
    for (std::size_t a = ca + 1; a < s.rank(); ++a) after *= s.shape()[a];
    std::vector<double> out(k, 0.0);
    for (std::size_t i = 0; i < s.size(); ++i) out[(i / after) % k] += s[i];
    for (auto& v : out) v /= static_cast<double>(inner);
    return out;
}

}  // namespace

ItemRunner::ItemRunner(const Model& model, const SweepJob& job, std::string output, int rank)
    : model_(model), job_(job), output_(std::move(output)), rank_(rank), graph_(model.graph(1)) {
    if (const auto* a = std::get_if<AttributionJob>(&job.task)) {
        layer_ = a->layer.index(model);
        const Shape in = graph_.input().shape();
        if (in.size() != 4)
            throw std::invalid_argument("run_sweep: attribution items need an image model, input [N, C, H, W] or [N, H, W, C]; this one takes " +
                                        shape_to_string(in));
        prep_ = a->preprocessing;
        const bool nhwc = prep_.layout == TensorLayout::nhwc;
        channels_ = nhwc ? in[3] : in[1];
        const std::size_t h = nhwc ? in[1] : in[2], w = nhwc ? in[2] : in[3];
        if (prep_.height == 0 && prep_.width == 0) prep_.height = h, prep_.width = w;
        if (prep_.height != h || prep_.width != w)
            throw std::invalid_argument("run_sweep: preprocessing size " + std::to_string(prep_.height) + "x" + std::to_string(prep_.width) +
                                        " is not the model's input size " + std::to_string(h) + "x" + std::to_string(w));
        format_ = a->options.data_format.value_or(format_of(prep_));
        scores_ = compile({graph_.layer_output(layer_)}, {graph_.input()});
        labels_ = a->labels;
        if (a->images.kind == ImageSourceKind::fashion_mnist) {
            dataset_ = std::make_unique<FashionMnist>(load_fashion_mnist(a->images.path, a->images.subset));
            const Node& out = graph_.layer_output(layer_);
            if (labels_.empty() && out.rank() == 2 && out.shape()[1] == 10) {
                const auto& names = fashion_mnist_class_names();
                labels_.assign(names.begin(), names.end());
            }
        } else {
            images_ = list_images(a->images);
            image_dir_ = a->images.kind == ImageSourceKind::folder ? a->images.path : fs::path(a->images.path).parent_path().string();
        }
    }
}

ItemRunner::~ItemRunner() = default;

ManifestRecord ItemRunner::run(const SweepItem& item) {
    const auto start = std::chrono::steady_clock::now();
    ManifestRecord r;
    try {
        r = std::holds_alternative<AttributionJob>(job_.task) ? attribution(item) : activation(item);
    } catch (const std::exception& e) {
        r.ok = false;
        r.error = e.what();
        r.files.clear();
    }
    r.item = item.id;
    r.input = item.input;
    r.method = std::holds_alternative<AttributionJob>(job_.task) ? to_string(std::get<AttributionJob>(job_.task).method) : "activation";
    if (item.channel >= 0) {
        r.layer = model_.layer(item.layer)->name();
        r.channel = item.channel;
    }
    r.rank = rank_;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

Explainer& ItemRunner::explainer_for(std::int64_t cls) {
    ++clock_;
    for (auto& c : explainers_)
        if (c.cls == cls) {
            c.used = clock_;
            return *c.explainer;
        }
    const auto& a = std::get<AttributionJob>(job_.task);
    AttributionOptions o = a.options;
    o.data_format = format_;
    Shape shape = graph_.input().shape();
    shape[0] = 1;
    auto made = make_explainer(a.method, model_, layer_, {cls}, shape, o);
    if (explainers_.size() >= max_explainers) {
        auto oldest = std::min_element(explainers_.begin(), explainers_.end(), [](const Cached& x, const Cached& y) { return x.used < y.used; });
        explainers_.erase(oldest);
    }
    explainers_.push_back({cls, std::move(made), clock_});
    return *explainers_.back().explainer;
}

ManifestRecord ItemRunner::attribution(const SweepItem& item) {
    const auto& a = std::get<AttributionJob>(job_.task);
    ManifestRecord r;
    // The picture as given, [H, W, C] 0..255 (a dataset image: [28, 28, 1]).
    Tensor picture;
    int label = -1;
    if (dataset_) {
        const std::size_t i = a.images.indices.empty() ? item.image : a.images.indices[item.image];
        if (i >= dataset_->size())
            throw std::out_of_range("image index " + std::to_string(i) + " is past the dataset's " + std::to_string(dataset_->size()) + " images");
        picture = Tensor({28, 28, 1});
        const float* src = dataset_->images.data() + i * 784;
        for (std::size_t k = 0; k < 784; ++k) picture[k] = src[k] * 255.0f;
        label = dataset_->labels[i];
    } else {
        const fs::path p(images_[item.image]);
        picture = read_image(p.is_absolute() || image_dir_.empty() ? p.string() : (fs::path(image_dir_) / p).string());
    }
    const Tensor x = preprocess_image(picture, prep_, channels_);

    const std::vector<double> scores = channel_scores((*scores_)(x)[0], format_);
    std::int64_t cls = item.class_index;
    if (a.classes.selection == ClassSelection::label) cls = label;
    if (a.classes.selection == ClassSelection::top_k) {
        std::vector<std::size_t> order(scores.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t p, std::size_t q) { return scores[p] > scores[q]; });
        cls = static_cast<std::int64_t>(order.at(item.top - 1));
    }
    r.class_index = cls;
    if (static_cast<std::size_t>(cls) < labels_.size()) r.class_name = labels_[static_cast<std::size_t>(cls)];
    r.score = scores.at(static_cast<std::size_t>(cls));

    const Tensor raw = drop_batch(explainer_for(cls)(x));
    // The display map [h, w]: CAMs and saliency already are one; per-value attributions (and keepdims
    // saliency) become |a| maximized over channels. Normalized to [0, 1] for the colormap.
    Tensor map;
    if (raw.rank() == 2) {
        map = raw;
    } else {
        Tensor abs = raw;
        for (auto& v : abs) v = std::fabs(v);
        abs.reshape([&] { Shape s{1}; s.insert(s.end(), raw.shape().begin(), raw.shape().end()); return s; }());
        map = drop_batch(finish_saliency(abs, false, false, format_));
    }
    normalize_inplace(map.data(), map.size());

    Tensor shown = picture;
    if (shown.shape()[2] == 2) {  // gray + alpha: the overlay takes gray, RGB or RGBA
        Tensor gray({shown.shape()[0], shown.shape()[1], 1});
        for (std::size_t i = 0; i < gray.size(); ++i) gray[i] = shown[2 * i];
        shown = gray;
    }
    const Tensor heat = map_to_image(map, shown.shape()[0], shown.shape()[1]);
    const std::string base = "items/" + item.stem;
    write_png(output_ + "/" + base + ".input.png", picture);
    write_png(output_ + "/" + base + ".map.png", apply_colormap(heat, a.colormap));
    write_png(output_ + "/" + base + ".overlay.png", overlay_heatmap(shown, heat, a.alpha, a.colormap));
    write_npy(output_ + "/" + base + ".raw.npy", raw);
    r.files = {{"input", base + ".input.png"}, {"map", base + ".map.png"}, {"overlay", base + ".overlay.png"}, {"raw", base + ".raw.npy"}};
    return r;
}

ManifestRecord ItemRunner::activation(const SweepItem& item) {
    const auto& am = std::get<ActivationJob>(job_.task);
    ManifestRecord r;
    VisualizeActivationOptions o = am.options;
    const DataFormat format = o.data_format.value_or(model_data_format(model_));
    o.data_format = format;
    o.seed = am.options.seed + static_cast<std::uint64_t>(item.channel);
    if (am.jitter > 0) o.input_modifiers = {std::make_shared<Jitter>(am.jitter, format, o.seed)};
    Shape shape = graph_.input().shape();
    shape[0] = 1;
    // The filter is part of the compiled loss, so each item builds its own maximizer (a graph build, a few
    // milliseconds against the optimizer's hundreds of iterations).
    ActivationMaximizer maximize(model_, item.layer, {item.channel}, shape, o);
    const MinimizeResult& result = maximize();

    auto found = activations_.find(item.layer);
    if (found == activations_.end())
        found = activations_.emplace(item.layer, compile({o.use_logits ? graph_.pre_activation(item.layer) : graph_.layer_output(item.layer)},
                                                          {graph_.input()})).first;
    r.score = channel_scores(found->second(result.best_input)[0], format).at(static_cast<std::size_t>(item.channel));

    Tensor image = drop_batch(result.image);  // [spatial..., C] in the input range
    Tensor png = image;
    const auto [lo, hi] = o.input_range;
    const float to_byte = static_cast<float>(255.0 / (hi - lo));
    for (auto& v : png) v = (v - static_cast<float>(lo)) * to_byte;
    const std::string base = "items/" + item.stem;
    write_png(output_ + "/" + base + ".input.png", png);
    write_npy(output_ + "/" + base + ".raw.npy", image);
    r.files = {{"input", base + ".input.png"}, {"raw", base + ".raw.npy"}};
    return r;
}

}  // namespace xvis::detail
