// xvis sweep through the real binary: SIGKILL mid-sweep then the same command again gives every item exactly once
// and the files of an uninterrupted run; SIGTERM stops at the next item; --shard runs cover the items once.
#include "support/chromium.hpp"
#include "support/sweep_process.hpp"

#include <regex>
#include <utility>

using namespace sweep_test;

namespace {

std::vector<std::string> sweep_args(const fs::path& out, const std::string& indices, std::vector<std::string> more = {}) {
    std::vector<std::string> a{XVIS_CLI_PATH, "--threads", "1", "sweep", "arch:fashion_cnn", "--indices", indices, "-o", out.string()};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

#define NEED_FASHION_MNIST() \
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed"

}  // namespace

TEST(SweepCli, KilledMidSweepResumesToTheSameOutputs) {
    NEED_FASHION_MNIST();
    const fs::path dir = scratch("xvis_sweep_cli", "kill"), whole = dir / "whole", killed = dir / "killed";
    ASSERT_EQ(run(sweep_args(whole, "0-149"), dir / "whole.log"), 0) << read_file(dir / "whole.log");
    const pid_t pid = start(sweep_args(killed, "0-149"), dir / "killed.log");
    ASSERT_TRUE(wait_until([&] { return complete_lines(killed / "manifest.jsonl") >= 5; }, 60)) << read_file(dir / "killed.log");
    ::kill(pid, SIGKILL);
    const int status = finish(pid, 30);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep ended before the kill: " << read_file(dir / "killed.log");
    const std::size_t before = complete_lines(killed / "manifest.jsonl");
    EXPECT_LT(before, 150u);
    EXPECT_NO_THROW(xvis::read_manifest((killed / "manifest.jsonl").string()));  // complete lines parse
    ASSERT_EQ(run(sweep_args(killed, "0-149"), dir / "resumed.log"), 0) << read_file(dir / "resumed.log");
    EXPECT_NE(read_file(dir / "resumed.log").find(std::to_string(150 - before) + " done now"), std::string::npos) << read_file(dir / "resumed.log");
    expect_same_sweep(killed, whole, 150);
}

TEST(SweepCli, SigtermStopsAtTheNextItem) {
    NEED_FASHION_MNIST();
    const fs::path dir = scratch("xvis_sweep_cli", "term"), out = dir / "out";
    const pid_t pid = start(sweep_args(out, "0-299"), dir / "log");
    ASSERT_TRUE(wait_until([&] { return complete_lines(out / "manifest.jsonl") >= 3; }, 60)) << read_file(dir / "log");
    ::kill(pid, SIGTERM);
    const int status = finish(pid, 30);
    ASSERT_TRUE(WIFEXITED(status)) << read_file(dir / "log");
    EXPECT_EQ(WEXITSTATUS(status), 143) << read_file(dir / "log");
    EXPECT_NE(read_file(dir / "log").find("xvis: interrupted"), std::string::npos) << read_file(dir / "log");
    const std::string text = read_file(out / "manifest.jsonl");
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');  // a clean stop leaves no torn line
    for (const auto& entry : fs::directory_iterator(out / "items")) EXPECT_NE(entry.path().filename().string()[0], '.') << entry.path();
}

TEST(SweepCli, ShardsCoverEveryItemOnce) {
    NEED_FASHION_MNIST();
    const fs::path dir = scratch("xvis_sweep_cli", "shard"), out = dir / "out", whole = dir / "whole";
    ASSERT_EQ(run(sweep_args(whole, "0-9", {"--classes", "1,2"}), dir / "whole.log"), 0) << read_file(dir / "whole.log");
    for (const char* shard : {"2/3", "0/3", "1/3"})
        ASSERT_EQ(run(sweep_args(out, "0-9", {"--classes", "1,2", "--shard", shard}), dir / "log"), 0) << read_file(dir / "log");
    EXPECT_EQ(xvis::manifest_files(out.string()).size(), 3u);
    expect_same_sweep(out, whole, 20);
    for (const char* bad : {"3/3", "1", "-1/2"}) {
        EXPECT_EQ(run(sweep_args(out, "0-9", {"--shard", bad}), dir / "bad.log"), 105) << bad;  // CLI11's validation error
        EXPECT_NE(read_file(dir / "bad.log").find("0 <= i < n"), std::string::npos) << read_file(dir / "bad.log");
    }
}

// The sweep's gallery (index.html through write_gallery) shows every item of the manifest, with its input, map
// and overlay loaded, and a failed item as an error card, rendered by headless chromium.
TEST(SweepCli, GalleryShowsEveryItemAndTheFailedOne) {
    NEED_FASHION_MNIST();
    const fs::path dir = scratch("xvis_sweep_cli", "gallery"), out = dir / "out", pictures = dir / "pictures";
    fs::create_directories(pictures);
    const xvis::FashionMnist test = xvis::load_fashion_mnist(xvis::fashion_mnist_default_dir, xvis::DatasetSubset::test, 3);
    std::ofstream list(dir / "list.txt");
    for (std::size_t i = 0; i < 3; ++i) {
        xvis::Tensor image({28, 28});
        for (std::size_t k = 0; k < image.size(); ++k) image[k] = test.images[i * 784 + k] * 255.0f;
        xvis::write_png((pictures / ("p" + std::to_string(i) + ".png")).string(), image);
        list << "pictures/p" << i << ".png\n";
    }
    std::ofstream(pictures / "broken.png") << "not a picture";
    list << "pictures/broken.png\n";
    list.close();
    const std::vector<std::string> args{XVIS_CLI_PATH, "--threads", "1", "sweep", "arch:fashion_cnn", "--image-list",
                                        (dir / "list.txt").string(), "-o", out.string()};
    ASSERT_EQ(run(args, dir / "log"), 0) << read_file(dir / "log");
    ASSERT_TRUE(fs::exists(out / "index.html")) << read_file(dir / "log");

    REQUIRE_CHROMIUM();
    const auto cards = [](const std::string& dom) {
        std::vector<std::string> ids;
        const std::regex re(R"re(<article class="card[^"]*" data-id="([^"]*)")re");
        for (std::sregex_iterator it(dom.begin(), dom.end(), re), end; it != end; ++it) ids.push_back((*it)[1].str());
        return ids;
    };
    const auto loaded = [](const std::string& dom) {
        std::size_t yes = 0, other = 0;
        const std::regex re(R"re(<img [^>]*data-loaded="([a-z]*)")re");
        for (std::sregex_iterator it(dom.begin(), dom.end(), re), end; it != end; ++it) ((*it)[1].str() == "yes" ? yes : other)++;
        return std::make_pair(yes, other);
    };
    std::string dom = xvis::testing::run_chromium(out / "index.html", "sort=id", "--dump-dom");
    EXPECT_EQ(cards(dom).size(), 4u) << dom;
    EXPECT_EQ(loaded(dom), std::make_pair(std::size_t(9), std::size_t(0)));  // input, overlay, map of the 3 good items
    dom = xvis::testing::run_chromium(out / "index.html", "status=error", "--dump-dom");
    ASSERT_EQ(cards(dom).size(), 1u) << dom;
    EXPECT_NE(cards(dom)[0].find("broken.png"), std::string::npos) << cards(dom)[0];
    EXPECT_NE(dom.find("not a PNG or JPEG file"), std::string::npos);
}
