#include <xvis/image/file_name.hpp>
#include <xvis/sweep/job.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace xvis {

namespace {

namespace fs = std::filesystem;

std::string subset_name(DatasetSubset s) { return s == DatasetSubset::test ? "test" : "train"; }

// Classes (or channels) of a layer's output: dim 1 of [N, classes], else the channel axis.
std::size_t output_channels(const Model& model, std::int64_t layer, DataFormat format) {
    const Node& out = model.layer_output(layer);
    if (out.rank() < 2) return 1;
    return out.shape()[out.rank() == 2 ? 1 : channel_axis(out.rank(), format)];
}

std::uint32_t fnv1a(const std::string& s) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) h = (h ^ c) * 16777619u;
    return h;
}

// Stems: safe_file_name of the id; ids that meet after sanitizing ("a/b" and "a_b") get a hash of the id
// appended, all of them, so a stem never depends on which item came first.
void assign_stems(std::vector<SweepItem>& items) {
    std::map<std::string, std::size_t> count;
    for (auto& it : items) ++count[it.stem = safe_file_name(it.id, 90)];
    for (auto& it : items)
        if (count[it.stem] > 1) {
            char hex[9];
            std::snprintf(hex, sizeof hex, "%08x", fnv1a(it.id));
            it.stem += std::string("-") + hex;
        }
}

}  // namespace

std::vector<std::string> list_images(const ImageSource& source) {
    std::vector<std::string> out;
    if (source.kind == ImageSourceKind::folder) {
        std::error_code ec;
        fs::directory_iterator it(source.path, ec);
        if (ec) throw std::invalid_argument("list_images: cannot read folder '" + source.path + "': " + ec.message());
        for (const auto& entry : it) {
            std::string ext = entry.path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            const std::string name = entry.path().filename().string();
            if (name.empty() || name[0] == '.') continue;  // hidden files, AtomicFile temporaries
            if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") out.push_back(name);
        }
        std::sort(out.begin(), out.end());
        if (out.empty()) throw std::invalid_argument("list_images: folder '" + source.path + "' holds no .png / .jpg / .jpeg files");
    } else if (source.kind == ImageSourceKind::list) {
        std::ifstream in(source.path);
        if (!in) throw std::invalid_argument("list_images: cannot open list file '" + source.path + "'");
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty() || line[0] == '#') continue;
            out.push_back(line);
        }
        if (out.empty()) throw std::invalid_argument("list_images: list file '" + source.path + "' names no images");
    }
    return out;
}

std::vector<SweepItem> plan(const Model& model, const SweepJob& job) {
    std::vector<SweepItem> items;
    if (const auto* a = std::get_if<AttributionJob>(&job.task)) {
        const std::int64_t layer = a->layer.index(model);
        const DataFormat format = a->options.data_format.value_or(a->preprocessing.layout == TensorLayout::nhwc ? DataFormat::channels_last
                                                                                                               : DataFormat::channels_first);
        const std::size_t classes = output_channels(model, layer, format);
        const ClassChoice& c = a->classes;
        std::vector<std::string> suffixes;  // one per item of an image
        if (c.selection == ClassSelection::given) {
            if (c.classes.empty()) throw std::invalid_argument("plan: ClassSelection::given with no classes");
            for (auto k : c.classes) {
                if (k < 0 || static_cast<std::size_t>(k) >= classes)
                    throw std::invalid_argument("plan: class " + std::to_string(k) + " is outside layer '" + model.layer(layer)->name() + "''s " +
                                                std::to_string(classes) + " classes (0.." + std::to_string(classes - 1) + ")");
                suffixes.push_back("/class:" + std::to_string(k));
            }
        } else if (c.selection == ClassSelection::top_k) {
            if (c.k == 0 || c.k > classes)
                throw std::invalid_argument("plan: top " + std::to_string(c.k) + " of layer '" + model.layer(layer)->name() + "''s " +
                                            std::to_string(classes) + " classes; expected 1.." + std::to_string(classes));
            for (std::size_t r = 1; r <= c.k; ++r) suffixes.push_back("/top:" + std::to_string(r));
        } else {
            if (a->images.kind != ImageSourceKind::fashion_mnist)
                throw std::invalid_argument("plan: ClassSelection::label needs a dataset source (image files carry no label)");
            suffixes.push_back("/label");
        }
        std::vector<std::string> inputs;
        if (a->images.kind == ImageSourceKind::fashion_mnist) {
            std::vector<std::size_t> indices = a->images.indices;
            if (indices.empty()) {
                // The whole subset: its size from the label file's header only (load_fashion_mnist reads a prefix).
                const std::size_t n = load_fashion_mnist(a->images.path, a->images.subset).size();
                for (std::size_t i = 0; i < n; ++i) indices.push_back(i);
            }
            for (auto i : indices) inputs.push_back("fashion-mnist:" + subset_name(a->images.subset) + ":" + std::to_string(i));
        } else {
            inputs = list_images(a->images);
        }
        std::set<std::string> seen;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (!seen.insert(inputs[i]).second) throw std::invalid_argument("plan: image '" + inputs[i] + "' is listed twice");
            for (std::size_t s = 0; s < suffixes.size(); ++s) {
                SweepItem it;
                it.id = inputs[i] + suffixes[s];
                it.input = inputs[i];
                it.image = i;
                if (c.selection == ClassSelection::given) it.class_index = c.classes[s];
                if (c.selection == ClassSelection::top_k) it.top = s + 1;
                items.push_back(std::move(it));
            }
        }
    } else {
        const auto& am = std::get<ActivationJob>(job.task);
        if (!am.options.input_modifiers.empty())
            throw std::invalid_argument("plan: ActivationJob.options.input_modifiers must be empty (a modifier's state would carry from item to "
                                        "item); set ActivationJob.jitter");
        if (am.layers.empty()) throw std::invalid_argument("plan: ActivationJob has no layers");
        const DataFormat format = am.options.data_format.value_or(model_data_format(model));
        std::set<std::int64_t> seen_layers;
        for (const LayerId& id : am.layers) {
            const std::int64_t layer = id.index(model);
            const std::string name = model.layer(layer)->name();
            const std::size_t channels = output_channels(model, layer, format);
            if (!seen_layers.insert(static_cast<std::int64_t>(model.find_layer_idx(name))).second)
                throw std::invalid_argument("plan: layer '" + name + "' is listed twice");
            std::vector<std::int64_t> chans = am.channels;
            if (chans.empty())
                for (std::size_t k = 0; k < channels; ++k) chans.push_back(static_cast<std::int64_t>(k));
            for (auto k : chans) {
                if (k < 0 || static_cast<std::size_t>(k) >= channels)
                    throw std::invalid_argument("plan: channel " + std::to_string(k) + " is outside layer '" + name + "''s " + std::to_string(channels) +
                                                " channels (0.." + std::to_string(channels - 1) + ")");
                SweepItem it;
                it.id = name + "/channel:" + std::to_string(k);
                it.layer = layer;
                it.channel = k;
                items.push_back(std::move(it));
            }
        }
    }
    std::set<std::string> ids;
    for (const auto& it : items)
        if (!ids.insert(it.id).second) throw std::invalid_argument("plan: item id '" + it.id + "' occurs twice");
    assign_stems(items);
    return items;
}

Shard shard_from_string(const std::string& text) {
    const std::size_t slash = text.find('/');
    auto fail = [&] {
        throw std::invalid_argument("shard '" + text + "': expected i/n with 0 <= i < n (0-based, e.g. 0/4 .. 3/4; Slurm: $SLURM_ARRAY_TASK_ID/n with --array=0-(n-1))");
    };
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) fail();
    for (std::size_t i = 0; i < text.size(); ++i)
        if (i != slash && !std::isdigit(static_cast<unsigned char>(text[i]))) fail();
    Shard s;
    try {
        s.index = std::stoul(text.substr(0, slash));
        s.count = std::stoul(text.substr(slash + 1));
    } catch (const std::exception&) {
        fail();
    }
    if (s.count == 0 || s.index >= s.count) fail();
    return s;
}

std::vector<SweepItem> shard_items(const std::vector<SweepItem>& items, Shard shard) {
    if (shard.count == 0 || shard.index >= shard.count)
        throw std::invalid_argument("shard_items: shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) + "; expected 0 <= i < n");
    std::vector<SweepItem> out;
    for (std::size_t p = shard.index; p < items.size(); p += shard.count) out.push_back(items[p]);
    return out;
}

std::string describe_job(const SweepJob& job) {
    nlohmann::ordered_json j;
    j["model"] = job.model;
    if (const auto* a = std::get_if<AttributionJob>(&job.task)) {
        const AttributionOptions& o = a->options;
        j["method"] = to_string(a->method);
        j["layer"] = a->layer.to_string();
        j["images"] = {{"kind", a->images.kind == ImageSourceKind::folder ? "folder" : a->images.kind == ImageSourceKind::list ? "list" : "fashion-mnist"},
                       {"path", a->images.path},
                       {"subset", subset_name(a->images.subset)}};
        j["classes"] = a->classes.selection == ClassSelection::given ? "given" : a->classes.selection == ClassSelection::top_k ? "top-k" : "label";
        const Preprocessing& p = a->preprocessing;
        j["preprocessing"] = {{"height", p.height}, {"width", p.width}, {"mean", p.mean}, {"std", p.std}, {"scale", p.scale},
                              {"order", p.order == ChannelOrder::bgr ? "bgr" : "rgb"}, {"layout", p.layout == TensorLayout::nhwc ? "nhwc" : "nchw"}};
        j["options"] = {{"backprop_modifier", to_string(o.backprop_modifier)},
                        {"grad_modifier", o.grad_modifier ? enum_name(*o.grad_modifier) : "default"},
                        {"keepdims", o.keepdims},
                        {"normalize", o.normalize},
                        {"data_format", o.data_format ? to_string(*o.data_format) : "default"},
                        {"samples", o.samples},
                        {"noise", o.noise},
                        {"seed", o.seed},
                        {"steps", o.steps},
                        {"integration", static_cast<int>(o.integration)},
                        {"baseline", o.baseline ? "given" : "zero"},
                        {"penultimate_layer", o.penultimate_layer ? std::to_string(*o.penultimate_layer) : "auto"},
                        {"interpolation", enum_name(o.interpolation)},
                        {"use_logits", o.use_logits},
                        {"max_channels", o.max_channels}};
        if (o.token_grid)  // only when set: the jobs of earlier sweeps keep their identity
            j["options"]["token_grid"] = {{"skip", o.token_grid->skip}, {"height", o.token_grid->height}, {"width", o.token_grid->width}};
        j["colormap"] = to_string(a->colormap);
        j["alpha"] = a->alpha;
    } else {
        const auto& am = std::get<ActivationJob>(job.task);
        const VisualizeActivationOptions& o = am.options;
        j["method"] = "activation";
        j["options"] = {{"max_iter", o.max_iter}, {"seed", o.seed}, {"input_range", {o.input_range.first, o.input_range.second}},
                        {"act_max_weight", o.act_max_weight}, {"lp_norm_weight", o.lp_norm_weight}, {"tv_weight", o.tv_weight},
                        {"use_logits", o.use_logits}, {"data_format", o.data_format ? to_string(*o.data_format) : "default"},
                        {"backprop_modifier", to_string(o.backprop_modifier)}, {"jitter", am.jitter}};
    }
    return j.dump();
}

}  // namespace xvis
