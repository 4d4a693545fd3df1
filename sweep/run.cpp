#include <xvis/image/atomic_file.hpp>
#include <xvis/sweep/detail/item_runner.hpp>
#include <xvis/sweep/run.hpp>

#include <xvis/io/gallery.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

namespace xvis {

namespace detail {

std::string manifest_path(const std::string& output, Shard shard) {
    if (shard.count <= 1) return output + "/manifest.jsonl";
    return output + "/manifest-shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) + ".jsonl";
}

void prepare_output(const std::string& output, const std::string& description) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(fs::path(output) / "items", ec);
    if (ec) throw std::runtime_error("run_sweep: cannot create '" + output + "/items': " + ec.message());
    const std::string path = output + "/sweep.json";
    std::ifstream in(path);
    if (in) {
        std::string existing;
        std::getline(in, existing);
        if (existing != description)
            throw std::invalid_argument("run_sweep: output folder '" + output + "' holds another sweep; its sweep.json:\n  " + existing +
                                        "\nthis job:\n  " + description + "\n(use another output folder, or remove that one to start over)");
        return;
    }
    // Several shards may get here at once: each writes the same text atomically, the last rename wins.
    AtomicFile file(path);
    const std::string text = description + "\n";
    file.write(text.data(), text.size());
    file.commit();
}

SweepProgress ProgressClock::count(bool ok) {
    ++p_.done;
    if (!ok) ++p_.failed;
    p_.total = total_;
    p_.seconds = seconds();
    p_.items_per_second = p_.seconds > 0 ? static_cast<double>(p_.done) / p_.seconds : 0;
    p_.seconds_left = p_.items_per_second > 0 ? static_cast<double>(total_ - std::min(total_, p_.done)) / p_.items_per_second : 0;
    return p_;
}

double ProgressClock::seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

void write_sweep_gallery(const std::string& output, const SweepJob& job, const SweepOptions& options) {
    if (!options.gallery) return;
    std::vector<GalleryItem> items;
    for (const ManifestRecord& r : read_manifests(output)) {
        GalleryItem g;
        g.id = r.item;
        for (const char* role : {"input", "overlay", "map"})
            for (const auto& [k, path] : r.files)
                if (k == role) g.images.push_back({k, path});
        if (r.class_index) g.class_index = static_cast<long>(*r.class_index);
        g.class_name = r.class_name;
        g.score = r.score;
        g.layer = r.layer;
        if (r.channel) g.channel = static_cast<long>(*r.channel);
        g.method = r.method;
        g.ok = r.ok;
        g.error = r.error;
        items.push_back(std::move(g));
    }
    GalleryOptions go;
    go.title = "xvis sweep: " + job.model;
    go.summary = {{"model", job.model}, {"job", describe_job(job)}};
    go.summary.insert(go.summary.end(), options.gallery_summary.begin(), options.gallery_summary.end());
    write_gallery(output, items, go);
}

#ifndef XVIS_HAVE_MPI
SweepSummary run_sweep_mpi(const Model&, const SweepJob&, const SweepOptions&) {
    throw std::runtime_error("run_sweep: backend mpi, but this xvis was built without MPI (XVIS_USE_MPI=OFF or no MPI found); "
                             "use --shard i/n job arrays, or rebuild with libopenmpi-dev installed");
}
#endif

}  // namespace detail

bool sweep_mpi_available() {
#ifdef XVIS_HAVE_MPI
    return true;
#else
    return false;
#endif
}

bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
        if (std::getenv(v)) return true;
    return false;
}

SweepSummary run_sweep(const Model& model, const SweepJob& job, const SweepOptions& options) {
    if (options.output.empty()) throw std::invalid_argument("run_sweep: SweepOptions.output is empty");
    if (options.backend == SweepBackend::mpi) return detail::run_sweep_mpi(model, job, options);

    SweepSummary s;
    const std::vector<SweepItem> items = shard_items(plan(model, job), options.shard);
    detail::prepare_output(options.output, describe_job(job));
    s.manifest = detail::manifest_path(options.output, options.shard);
    // The writer (and its lock) first, then what is finished: another sweep of this folder cannot add lines
    // between the two.
    ManifestWriter manifest(s.manifest);
    std::set<std::string> finished;
    for (const auto& r : read_manifests(options.output)) finished.insert(r.item);
    std::vector<const SweepItem*> todo;
    for (const auto& it : items)
        if (!finished.count(it.id)) todo.push_back(&it);
    s.planned = items.size();
    s.already_done = items.size() - todo.size();

    detail::ItemRunner runner(model, job, options.output, 0);
    detail::ProgressClock clock(todo.size());
    for (const SweepItem* it : todo) {
        if (options.stop_requested && options.stop_requested()) {
            s.stopped = true;
            break;
        }
        const ManifestRecord r = runner.run(*it);
        manifest.append(r);  // after the item's files are renamed into place
        const SweepProgress p = clock.count(r.ok);
        if (options.on_progress) options.on_progress(p);
    }
    s.done = clock.progress().done;
    s.failed = clock.progress().failed;
    s.seconds = clock.seconds();
    detail::write_sweep_gallery(options.output, job, options);
    return s;
}

}  // namespace xvis
