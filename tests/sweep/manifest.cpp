// sweep/manifest.hpp: JSON lines, torn last lines, the writer's repair, several manifest files.
#include <xvis/sweep/manifest.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace xvis;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("xvis_manifest_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

ManifestRecord record(const std::string& id) {
    ManifestRecord r;
    r.item = id;
    r.input = "fashion-mnist:test:1";
    r.class_index = 3;
    r.class_name = "Dress \"quoted\"\n";
    r.score = 0.25;
    r.method = "saliency";
    r.files = {{"input", "items/a.input.png"}, {"raw", "items/a.raw.npy"}};
    r.seconds = 0.5;
    r.rank = 1;
    return r;
}

std::string text_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(Manifest, LineRoundTripsWithTheAgreedKeys) {
    const std::string line = to_json_line(record("x/class:3"));
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, even with a newline in a value
    for (const char* key : {"\"item\"", "\"input\"", "\"class\"", "\"class_name\"", "\"score\"", "\"layer\"", "\"channel\"", "\"method\"",
                            "\"status\":\"ok\"", "\"error\"", "\"files\":{\"input\"", "\"seconds\"", "\"rank\":1"})
        EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
    const ManifestRecord back = parse_manifest_line(line);
    EXPECT_EQ(back.item, "x/class:3");
    EXPECT_EQ(back.class_name, "Dress \"quoted\"\n");
    EXPECT_EQ(*back.class_index, 3);
    EXPECT_EQ(*back.score, 0.25);
    EXPECT_FALSE(back.channel);
    EXPECT_EQ(back.files, record("").files);
    EXPECT_TRUE(back.ok);
    ManifestRecord failed = record("bad");
    failed.ok = false;
    failed.error = "read_image: corrupt";
    failed.score = NAN;
    const ManifestRecord f = parse_manifest_line(to_json_line(failed));
    EXPECT_FALSE(f.ok);
    EXPECT_EQ(f.error, "read_image: corrupt");
    EXPECT_FALSE(f.score);  // NaN is written as null
    EXPECT_THROW(parse_manifest_line("{\"noitem\": 1}"), std::invalid_argument);
    EXPECT_THROW(parse_manifest_line("{\"item\": \"a\""), std::invalid_argument);
}

TEST(Manifest, TornLastLineIsIgnoredAndCutByTheNextWriter) {
    const fs::path dir = scratch("torn");
    const std::string path = (dir / "manifest.jsonl").string();
    {
        ManifestWriter w(path);
        w.append(record("a"));
        w.append(record("b"));
    }
    // A writer killed mid-line.
    std::ofstream(path, std::ios::app) << to_json_line(record("c")).substr(0, 30);
    EXPECT_EQ(read_manifest(path).size(), 2u);
    {
        ManifestWriter w(path);
        w.append(record("d"));
    }
    const auto records = read_manifest(path);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[2].item, "d");
    EXPECT_EQ(text_of(path), to_json_line(record("a")) + to_json_line(record("b")) + to_json_line(record("d")));
}

TEST(Manifest, CorruptCompleteLineNamesFileAndLine) {
    const fs::path dir = scratch("corrupt");
    std::ofstream(dir / "manifest.jsonl") << to_json_line(record("a")) << "garbage\n";
    try {
        read_manifest((dir / "manifest.jsonl").string());
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("manifest.jsonl:2"), std::string::npos) << e.what();
    }
}

TEST(Manifest, ReadsEveryManifestOfAFolderOncePerItem) {
    const fs::path dir = scratch("many");
    ManifestWriter((dir / "manifest.jsonl").string()).append(record("a"));
    ManifestWriter((dir / "manifest-shard-1-of-2.jsonl").string()).append(record("c"));
    {
        ManifestWriter w((dir / "manifest-shard-0-of-2.jsonl").string());
        w.append(record("b"));
        w.append(record("a"));
    }
    std::ofstream(dir / "other.jsonl") << to_json_line(record("z"));
    EXPECT_EQ(manifest_files(dir.string()).size(), 3u);
    const auto all = read_manifests(dir.string());
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].item, "a");
    EXPECT_EQ(all[1].item, "b");
    EXPECT_EQ(all[2].item, "c");
    EXPECT_THROW(ManifestWriter((dir / "missing" / "m.jsonl").string()), std::runtime_error);
}

// Two sweeps on one folder (the same command started twice) would append the same items twice: the second
// writer of a file is refused while the first holds it, and is accepted once the first is gone.
TEST(Manifest, OneWriterPerFile) {
    const fs::path dir = scratch("lock");
    const std::string path = (dir / "manifest.jsonl").string();
    {
        ManifestWriter first(path);
        try {
            ManifestWriter second(path);
            FAIL() << "a second writer of " << path << " was accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("another sweep is writing"), std::string::npos) << e.what();
        }
        ManifestWriter shard((dir / "manifest-shard-0-of-2.jsonl").string());  // another file: fine
        first.append(record("a"));
    }
    ManifestWriter again(path);
    again.append(record("b"));
    EXPECT_EQ(read_manifest(path).size(), 2u);
}
