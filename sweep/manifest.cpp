#include <xvis/sweep/manifest.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xvis {

namespace {
using json = nlohmann::ordered_json;

std::runtime_error sys_error(const std::string& what, const std::string& path) {
    return std::runtime_error("ManifestWriter: " + what + " '" + path + "': " + std::strerror(errno));
}
}  // namespace

std::string to_json_line(const ManifestRecord& r) {
    json j;
    j["item"] = r.item;
    j["input"] = r.input;
    j["class"] = r.class_index ? json(*r.class_index) : json(nullptr);
    j["class_name"] = r.class_name;
    j["score"] = r.score && std::isfinite(*r.score) ? json(*r.score) : json(nullptr);
    j["layer"] = r.layer;
    j["channel"] = r.channel ? json(*r.channel) : json(nullptr);
    j["method"] = r.method;
    j["status"] = r.ok ? "ok" : "error";
    j["error"] = r.error;
    json files = json::object();
    for (const auto& [role, path] : r.files) files[role] = path;
    j["files"] = files;
    j["seconds"] = r.seconds;
    j["rank"] = r.rank;
    // Invalid UTF-8 (an error message quoting a file name) is replaced rather than refused.
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

ManifestRecord parse_manifest_line(const std::string& line) {
    json j;
    try {
        j = json::parse(line);
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("parse_manifest_line: not JSON (") + e.what() + ")");
    }
    if (!j.is_object() || !j.contains("item") || !j["item"].is_string()) throw std::invalid_argument("parse_manifest_line: no string \"item\"");
    ManifestRecord r;
    try {
        auto str = [&](const char* k) { return j.contains(k) && !j[k].is_null() ? j[k].get<std::string>() : std::string(); };
        r.item = str("item");
        r.input = str("input");
        if (j.contains("class") && !j["class"].is_null()) r.class_index = j["class"].get<std::int64_t>();
        r.class_name = str("class_name");
        if (j.contains("score") && !j["score"].is_null()) r.score = j["score"].get<double>();
        r.layer = str("layer");
        if (j.contains("channel") && !j["channel"].is_null()) r.channel = j["channel"].get<std::int64_t>();
        r.method = str("method");
        r.ok = str("status") != "error";
        r.error = str("error");
        if (j.contains("files") && j["files"].is_object())
            for (const auto& [role, path] : j["files"].items()) r.files.emplace_back(role, path.get<std::string>());
        if (j.contains("seconds") && j["seconds"].is_number()) r.seconds = j["seconds"].get<double>();
        if (j.contains("rank") && j["rank"].is_number()) r.rank = j["rank"].get<int>();
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("parse_manifest_line: item '") + r.item + "': " + e.what());
    }
    return r;
}

std::vector<ManifestRecord> read_manifest(const std::string& path) {
    std::vector<ManifestRecord> out;
    std::ifstream in(path, std::ios::binary);
    if (!in) return out;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t start = 0, number = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
        ++number;
        if (nl == start) continue;
        try {
            out.push_back(parse_manifest_line(text.substr(start, nl - start)));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error("read_manifest: " + path + ":" + std::to_string(number) + ": " + e.what());
        }
    }
    return out;  // text after the last '\n': a torn line, ignored
}

std::vector<std::string> manifest_files(const std::string& folder) {
    namespace fs = std::filesystem;
    std::vector<std::string> out, shards;
    std::error_code ec;
    if (fs::exists(fs::path(folder) / "manifest.jsonl", ec)) out.push_back((fs::path(folder) / "manifest.jsonl").string());
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind("manifest-shard-", 0) == 0 && name.size() > 6 && name.compare(name.size() - 6, 6, ".jsonl") == 0)
            shards.push_back(it->path().string());
    }
    std::sort(shards.begin(), shards.end());
    out.insert(out.end(), shards.begin(), shards.end());
    return out;
}

std::vector<ManifestRecord> read_manifests(const std::string& folder) {
    std::vector<ManifestRecord> out;
    std::set<std::string> seen;
    for (const auto& file : manifest_files(folder))
        for (auto& r : read_manifest(file))
            if (seen.insert(r.item).second) out.push_back(std::move(r));
    return out;
}

ManifestWriter::ManifestWriter(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd_ < 0) throw sys_error("cannot open", path);
    // One writer per file: a second sweep started on the same folder (the same command run twice) would append
    // the same items again. flock is advisory, held until close, and on NFS v4 / Lustre mapped to POSIX locks.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        ::close(fd_);
        fd_ = -1;
        if (e == EWOULDBLOCK)
            throw std::runtime_error("ManifestWriter: '" + path + "' is locked by another process: another sweep is writing this output "
                                     "folder (run one sweep per folder; several machines share one through --shard or MPI)");
        errno = e;
        throw sys_error("cannot lock", path);
    }
    // Cut a torn last line (no '\n': the previous writer died mid-write) back to the last complete line. Only
    // the file's single writer does this, before its first append.
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw sys_error("cannot stat", path);
    off_t end = st.st_size;
    char c = '\n';
    if (end > 0 && (::pread(fd_, &c, 1, end - 1) != 1)) throw sys_error("cannot read", path);
    if (c != '\n') {
        off_t keep = end - 1;
        for (; keep > 0; --keep) {
            if (::pread(fd_, &c, 1, keep - 1) != 1) throw sys_error("cannot read", path);
            if (c == '\n') break;
        }
        if (::ftruncate(fd_, keep) != 0) throw sys_error("cannot truncate the torn last line of", path);
    }
}

ManifestWriter::~ManifestWriter() {
    if (fd_ >= 0) ::close(fd_);
}

void ManifestWriter::append(const ManifestRecord& record) { append_lines(to_json_line(record)); }

void ManifestWriter::append_lines(const std::string& lines) {
    if (lines.empty()) return;
    if (lines.back() != '\n') throw std::invalid_argument("ManifestWriter::append_lines: text does not end in '\\n'");
    // One write(2): a regular file's write is not interleaved with another process's; a short write (disk full)
    // is completed, and if that fails the torn line is cut by the next writer.
    std::size_t done = 0;
    while (done < lines.size()) {
        const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error("cannot append to", path_);
        done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd_) != 0) throw sys_error("cannot sync", path_);
}

}  // namespace xvis
