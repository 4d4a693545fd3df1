#pragma once
// The manifest of a sweep: <output>/manifest.jsonl, one JSON object per line per finished item (done or failed),
// appended only after the item's files are complete, so a line exists only for a whole item. Keys:
//   "item" (the unique id), "input" (its source), "class", "class_name", "score", "layer", "channel", "method",
//   "status" ("ok" or "error"), "error", "files" (role → path relative to the output folder: "input", "map",
//   "overlay", "raw"), "seconds", "rank".
// Absent values are JSON null ("class" of an activation item) or "" (strings).
//
// One writer per manifest file: rank 0 under MPI, each process of a --shard job array its own file
// (manifest-shard-<i>-of-<n>.jsonl). Appends from several hosts to one file are not atomic on NFS (O_APPEND is
// emulated by the client), hence no shared file between processes. A line is written with one write(2) and
// fsync'ed; a line cut short by a crash (no final '\n') is ignored by readers and removed by the next writer.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

struct ManifestRecord {
    std::string item, input;
    std::optional<std::int64_t> class_index;
    std::string class_name;
    std::optional<double> score;
    std::string layer;
    std::optional<std::int64_t> channel;
    std::string method;
    bool ok = true;
    std::string error;
    std::vector<std::pair<std::string, std::string>> files;  // role → path relative to the output folder
    double seconds = 0;
    int rank = 0;
};

// One JSON object and '\n'. A non-finite score is written as null (JSON has no NaN).
std::string to_json_line(const ManifestRecord& record);
// The inverse of to_json_line (the line with or without '\n'). Throws std::invalid_argument naming what is
// wrong (not JSON, no "item", a key of the wrong type).
ManifestRecord parse_manifest_line(const std::string& line);

// Every complete line of one manifest file, in order; a missing file is empty; a last line without '\n' is
// skipped (a write cut short). A complete line that does not parse throws std::runtime_error naming the file and
// line number.
std::vector<ManifestRecord> read_manifest(const std::string& path);
// The manifest files of an output folder: manifest.jsonl, then manifest-shard-*.jsonl sorted by name.
std::vector<std::string> manifest_files(const std::string& folder);
// Every record of every manifest file of `folder`, the first record of an item kept (there is one per item
// unless files were concatenated by hand).
std::vector<ManifestRecord> read_manifests(const std::string& folder);

// Appends records to one manifest file. Opening creates the file (and no folders); a torn last line (a crash
// mid-write) is cut off first. Each append is one write(2) of whole lines followed by fdatasync. The writer
// holds an exclusive lock (flock) on the file: a second writer of the same file, in this process or another,
// throws std::runtime_error saying another sweep is writing the folder.
class ManifestWriter {
public:
    explicit ManifestWriter(const std::string& path);  // throws std::runtime_error naming the path and the reason
    ~ManifestWriter();
    ManifestWriter(const ManifestWriter&) = delete;
    ManifestWriter& operator=(const ManifestWriter&) = delete;
    void append(const ManifestRecord& record);
    // `lines`: whole lines, each ending in '\n' (as to_json_line gives them).
    void append_lines(const std::string& lines);
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace xvis
