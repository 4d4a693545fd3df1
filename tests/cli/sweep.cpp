// xvis sweep through the real binary: SIGKILL mid-sweep then the same command again gives every item exactly once
// and the files of an uninterrupted run; SIGTERM stops at the next item; --shard runs cover the items once.
#include "support/sweep_process.hpp"

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
