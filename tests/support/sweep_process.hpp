#pragma once
// The sweep tests' view of an output folder (manifest lines, items, byte-identical files); running the binary
// is tests/support/child_process.hpp.
#include "support/child_process.hpp"

#include <xvis/xvis.hpp>

#include <set>
#include <string>

namespace sweep_test {

using namespace xvis::testing;
namespace fs = std::filesystem;

inline std::size_t complete_lines(const fs::path& manifest) {
    const std::string text = read_file(manifest);
    std::size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
}

// Every item of the folder's manifests, each counted.
inline std::multiset<std::string> manifest_items(const fs::path& out) {
    std::multiset<std::string> ids;
    for (const auto& f : xvis::manifest_files(out.string()))
        for (const auto& r : xvis::read_manifest(f)) ids.insert(r.item);
    return ids;
}

// Every item occurs once in `out`'s manifests, its files are byte for byte those of the reference folder, and
// no final-name file is there that the reference lacks.
inline void expect_same_sweep(const fs::path& out, const fs::path& reference, std::size_t items) {
    const auto ids = manifest_items(out), want = manifest_items(reference);
    EXPECT_EQ(ids.size(), items);
    for (const auto& id : want) EXPECT_EQ(ids.count(id), 1u) << id;
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(reference / "items")) {
        EXPECT_EQ(read_file(entry.path()), read_file(out / "items" / entry.path().filename())) << entry.path().filename();
        ++files;
    }
    EXPECT_EQ(files, items * 4);
    for (const auto& entry : fs::directory_iterator(out / "items")) {
        const std::string name = entry.path().filename().string();
        if (name[0] == '.') continue;  // a temporary a SIGKILL left: never an output
        EXPECT_TRUE(fs::exists(reference / "items" / name)) << name;
    }
}

}  // namespace sweep_test
