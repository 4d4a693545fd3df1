// xvis sweep: many items (images × classes, or layers × channels) into one output folder, resumable, sharded, on
// MPI (sweep/run.hpp). This file only turns flags into a typed SweepJob and draws the progress line.
#include "commands.hpp"
#include "inputs.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

#include <xvis/sweep/run.hpp>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>

namespace xvis::cli {

namespace {

// "0-99,120,130-139" → the indices, in the order written.
std::vector<std::size_t> parse_ranges(const std::string& text) {
    std::vector<std::size_t> out;
    if (text.empty() || text == "all") return out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string part = text.substr(start, comma - start);
        const std::size_t dash = part.find('-');
        try {
            std::size_t used = 0;
            const unsigned long a = std::stoul(part.substr(0, dash), &used);
            if (used != (dash == std::string::npos ? part.size() : dash) || part[0] == '-') throw std::invalid_argument(part);
            unsigned long b = a;
            if (dash != std::string::npos) {
                b = std::stoul(part.substr(dash + 1), &used);
                if (used != part.size() - dash - 1 || part[dash + 1] == '-' || b < a) throw std::invalid_argument(part);
            }
            if (b - a > 100'000'000) throw std::invalid_argument(part);
            for (unsigned long i = a; i <= b; ++i) out.push_back(i);
        } catch (const std::exception&) {
            throw std::invalid_argument("--indices '" + text + "': expected comma-separated indices or ranges A-B (A <= B), e.g. 0-99,120");
        }
        start = comma + 1;
    }
    return out;
}

std::string duration(double s) {
    char buf[32];
    if (s < 90) std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 5400) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
    else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    return buf;
}

SweepJob make_job(const SweepArgs& a, const Model& model) {
    SweepJob job;
    job.model = a.model;
    std::size_t channels = 0;
    const Preprocessing p = resolve_preprocessing(a.prep, model.input().shape(), channels);
    if (a.method == "activation") {
        ActivationJob am;
        for (const auto& name : split_list(a.layers)) am.layers.push_back(resolve_layer(model, name));
        for (auto k : parse_indices(a.channels)) am.channels.push_back(k);
        VisualizeActivationOptions& o = am.options;
        o.max_iter = a.iterations;
        if (a.range.size() != 2 || !(a.range[0] < a.range[1])) throw std::invalid_argument("--range needs LO HI with LO < HI");
        o.input_range = {a.range[0], a.range[1]};
        o.use_logits = a.use_logits;
        o.backprop_modifier = from_string<BackpropModifier>(a.backprop);
        o.data_format = p.layout == TensorLayout::nhwc ? DataFormat::channels_last : DataFormat::channels_first;
        o.seed = a.seed;
        am.jitter = a.jitter;
        job.task = am;
        return job;
    }
    AttributionJob at;
    at.method = from_string<AttributionMethod>(a.method);
    at.layer = resolve_layer(model, a.layer);
    at.preprocessing = p;
    at.options.backprop_modifier = from_string<BackpropModifier>(a.backprop);
    at.options.seed = a.seed;
    if (!a.penultimate.empty()) at.options.penultimate_layer = resolve_layer(model, a.penultimate);
    at.options.token_grid = parse_token_grid(a.tokens);
    at.colormap = colormap_from_string(a.colormap);
    at.alpha = a.alpha;
    if (!a.images.empty()) {
        at.images.kind = ImageSourceKind::folder;
        at.images.path = a.images;
    } else if (!a.image_list.empty()) {
        at.images.kind = ImageSourceKind::list;
        at.images.path = a.image_list;
    } else {
        at.images.kind = ImageSourceKind::fashion_mnist;
        at.images.path = a.dataset;
        at.images.subset = a.split == "train" ? DatasetSubset::train : DatasetSubset::test;
        at.images.indices = parse_ranges(a.indices);
    }
    if (a.classes == "label") {
        at.classes.selection = ClassSelection::label;
    } else if (!a.classes.empty()) {
        at.classes.selection = ClassSelection::given;
        at.classes.classes = parse_indices(a.classes);
    } else {
        at.classes.selection = ClassSelection::top_k;
        at.classes.k = static_cast<std::size_t>(a.top_k);
    }
    if (!a.prep.labels.empty()) {
        const Node& out = model.layer_output(resolve_layer(model, a.layer));
        if (out.rank() == 2) at.labels = load_labels(a.prep.labels, out.shape()[1]);
    }
    job.task = at;
    return job;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

int run_sweep_command(const SweepArgs& a) {
    const bool mpi = a.backend == "mpi" || (a.backend == "auto" && launched_by_mpi());
    if (mpi && !sweep_mpi_available())
        throw std::invalid_argument(std::string(a.backend == "mpi" ? "--backend mpi" : "started by an MPI launcher") +
                                    ", but this xvis was built without MPI: every process would run the whole sweep. Use --shard i/n "
                                    "per process, or rebuild with libopenmpi-dev (XVIS_USE_MPI=ON)");
    const Model model = load_model(a.model, 1);  // once per process (per rank)
    const SweepJob job = make_job(a, model);

    SweepOptions o;
    o.output = a.output;
    if (!a.shard.empty()) o.shard = shard_from_string(a.shard);
    o.backend = mpi ? SweepBackend::mpi : SweepBackend::local;
    o.gallery_summary = {{"command", a.command}};
    install_interrupt_handlers();
    volatile std::sig_atomic_t signal_seen = 0;
    o.stop_requested = [&signal_seen] {
        try {
            stop_if_interrupted();
            return false;
        } catch (const Interrupted& i) {
            signal_seen = i.signal;
            return true;
        }
    };
    std::unique_ptr<Progress> bar;
    o.on_progress = [&bar](const SweepProgress& p) {
        if (!bar) bar = std::make_unique<Progress>("sweep", static_cast<long>(p.total));
        char detail[160];
        std::snprintf(detail, sizeof detail, "%zu/%zu items, %.1f items/s, %s left%s", p.done, p.total, p.items_per_second,
                      duration(p.seconds_left).c_str(), p.failed ? (", " + std::to_string(p.failed) + " failed").c_str() : "");
        bar->update(static_cast<long>(p.done), detail);
    };
    const SweepSummary s = run_sweep(model, job, o);
    if (bar) bar->finish();
    if (s.stopped) return s.rank == 0 || signal_seen ? report_interrupted(signal_seen ? static_cast<int>(signal_seen) : SIGTERM) : 128 + SIGTERM;
    if (s.rank == 0) {
        std::printf("sweep: %zu items planned, %zu already done, %zu done now (%zu failed) in %.1f s (%.2f items/s, %d rank%s × %d thread%s); manifest %s\n",
                    s.planned, s.already_done, s.done, s.failed, s.seconds, s.seconds > 0 ? static_cast<double>(s.done) / s.seconds : 0.0, s.ranks,
                    s.ranks > 1 ? "s" : "", num_threads(), num_threads() > 1 ? "s" : "", s.manifest.c_str());
        if (s.failed) std::printf("sweep: %zu items failed: their manifest lines have \"status\": \"error\" and the message\n", s.failed);
    }
    return 0;
}

}  // namespace xvis::cli
