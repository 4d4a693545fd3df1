#pragma once
// What run_sweep does with one item, and the plumbing shared by the local and the MPI runs. Internal.
#include <xvis/autodiff/function.hpp>
#include <xvis/layers/model_graph.hpp>
#include <xvis/sweep/job.hpp>
#include <xvis/sweep/manifest.hpp>
#include <xvis/sweep/run.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xvis::detail {

// Built once per process (rank): the model's graph for the scores, the dataset (read once), and the explainers
// (one per class, built on first use and kept, at most 16, least recently used dropped). run() explains one
// item, writes its files atomically under <output>/items/ and returns its record; an item's own error (an
// unreadable image, a failing method) is caught and returned as a record with ok = false.
class ItemRunner {
public:
    ItemRunner(const Model& model, const SweepJob& job, std::string output, int rank);
    ~ItemRunner();
    ManifestRecord run(const SweepItem& item);

private:
    ManifestRecord attribution(const SweepItem& item);
    ManifestRecord activation(const SweepItem& item);
    Explainer& explainer_for(std::int64_t cls);

    const Model& model_;
    const SweepJob& job_;
    std::string output_;
    int rank_;
    ModelGraph graph_;  // batch 1: the scores' forward pass (its own graph, so the model is only read)
    std::optional<Function> scores_;  // attribution jobs
    std::int64_t layer_ = -1;
    Preprocessing prep_;
    std::size_t channels_ = 0;
    DataFormat format_ = DataFormat::channels_first;
    std::vector<std::string> images_, labels_;
    std::string image_dir_;  // relative list entries and folder entries are joined to it
    std::unique_ptr<FashionMnist> dataset_;
    struct Cached {
        std::int64_t cls;
        std::unique_ptr<Explainer> explainer;
        std::uint64_t used;
    };
    std::vector<Cached> explainers_;
    std::uint64_t clock_ = 0;
    std::map<std::int64_t, Function> activations_;  // activation items: the layer's output, for the score
};

// <output>/manifest.jsonl, or manifest-shard-<i>-of-<n>.jsonl for a shard of n > 1.
std::string manifest_path(const std::string& output, Shard shard);
// Creates <output>/items and checks <output>/sweep.json against `description` (writes it when absent). A
// different job there → std::invalid_argument naming the folder and both descriptions.
void prepare_output(const std::string& output, const std::string& description);
// Writes <output>/index.html from every manifest of the folder (when the gallery is built in).
void write_sweep_gallery(const std::string& output, const SweepJob& job, const SweepOptions& options);

// Rate and time left for the progress callback.
class ProgressClock {
public:
    explicit ProgressClock(std::size_t total) : total_(total), start_(std::chrono::steady_clock::now()) {}
    SweepProgress count(bool ok);  // one more item finished
    double seconds() const;
    SweepProgress progress() const { return p_; }

private:
    std::size_t total_;
    std::chrono::steady_clock::time_point start_;
    SweepProgress p_;
};

// The MPI run (sweep/mpi.cpp); without MPI it throws std::runtime_error saying so.
SweepSummary run_sweep_mpi(const Model& model, const SweepJob& job, const SweepOptions& options);

}  // namespace xvis::detail
