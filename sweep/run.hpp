#pragma once
// Running a sweep (job.hpp): every planned item not yet in the output folder's manifest is explained, its files
// written atomically, then its manifest line appended (manifest.hpp), so that a sweep stopped at any point -
// Ctrl-C, SIGKILL, a node lost - restarts with the same call and does exactly the items missing.
//
// Output folder:
//   sweep.json                  the job (describe_job): a rerun with a different job is refused
//   items/<stem>.input.png      the picture (attribution) or the synthesized image (activation)
//   items/<stem>.map.png        heat-map at the picture's size (colormap), attribution only
//   items/<stem>.overlay.png    heat-map over the picture, attribution only
//   items/<stem>.raw.npy        float32: the explainer's result for the item without the batch axis
//                               (attribution; e.g. [H, W] for saliency, [C, H, W] for Integrated Gradients),
//                               or the synthesized image [H, W, C] in the input range (activation)
//   manifest.jsonl              one line per finished item (manifest-shard-<i>-of-<n>.jsonl for shards)
//   index.html                  the gallery of every item of every manifest (io/gallery.hpp), when built in
// An item that fails (unreadable image, ...) gets a line with "status": "error" and its message; the sweep goes
// on, and a rerun does not retry it (delete its line to retry).
//
// Backends: local runs the items one after the other in this process (OpenMP threads inside each item, see
// set_num_threads); mpi (built with XVIS_USE_MPI, the process started by mpirun) splits them over the ranks of
// MPI_COMM_WORLD: rank 0 hands out chunks of items on request (dynamic load balancing: a rank asks again when
// done, so costly items do not hold others back), works on items itself, and alone writes the manifest from
// the records the ranks send it. Item ids and outputs do not depend on the number of ranks.
#include <xvis/sweep/job.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

enum class SweepBackend { local, mpi };

struct SweepProgress {
    std::size_t done = 0, failed = 0;  // items finished in this run (failed: of them, with an error)
    std::size_t total = 0;             // items this run has to do (the plan's shard minus the manifest)
    double seconds = 0, items_per_second = 0, seconds_left = 0;
};

struct SweepOptions {
    std::string output;  // the output folder (created)
    Shard shard;         // this process's part of the plan (job arrays)
    SweepBackend backend = SweepBackend::local;
    // Called after each finished item by the process that writes the manifest (rank 0 under MPI, with every
    // rank's items counted).
    std::function<void(const SweepProgress&)> on_progress;
    // Polled between items on every process / rank; true stops the run cleanly (finished items are in the
    // manifest; under MPI every rank stops once one does, at its next item).
    std::function<bool()> stop_requested;
    bool gallery = true;  // write index.html at the end (when the gallery is built in)
    std::vector<std::pair<std::string, std::string>> gallery_summary;  // extra key / value lines for the gallery
};

struct SweepSummary {
    std::size_t planned = 0;       // items of the plan's shard
    std::size_t already_done = 0;  // of them, found in the manifest before this run
    std::size_t done = 0, failed = 0;  // finished in this run (all ranks; failed ⊂ done)
    bool stopped = false;              // stop_requested ended the run early
    double seconds = 0;
    int rank = 0, ranks = 1;
    std::string manifest;  // the manifest file written
};

// Runs `job` on `model` (read only) into options.output. The process's thread count (set_num_threads) is used
// inside each item. Throws (std::invalid_argument / std::runtime_error naming the problem) for errors of the
// whole job: a plan that fails, an output folder holding another job, a manifest that cannot be written,
// backend mpi without MPI. Under MPI the call is collective: every rank of MPI_COMM_WORLD calls it with the
// same job; MPI is initialized if needed and finalized at exit.
SweepSummary run_sweep(const Model& model, const SweepJob& job, const SweepOptions& options);

// Whether this build has the MPI backend.
bool sweep_mpi_available();
// Whether the process looks started by an MPI launcher (mpirun / mpiexec / srun set OMPI_COMM_WORLD_SIZE,
// PMI_SIZE or PMIX_RANK), which is how the command line picks the mpi backend by itself.
bool launched_by_mpi();

}  // namespace xvis
