// The command line stopped mid-run, as a user or a batch system stops it: SIGINT / SIGTERM end at the next step
// with a message and code 128 + signal, leaving earlier outputs intact and no temporary; SIGKILL, which cannot be
// caught, still leaves no partial file under a final name (only hidden ".<name>.tmp-<pid>-<n>" temporaries).
#include <xvis/xvis.hpp>

#include "image/gif_reader.hpp"
#include "support/child_process.hpp"
#include "support/sanitizers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

using xvis::testing::finish;
using xvis::testing::read_file;
using xvis::testing::wait_until;

fs::path scratch(const std::string& name) { return xvis::testing::scratch("xvis_interrupt_test", name); }

// Starts the real binary with stdout and stderr in `log` (tests/support/child_process.hpp).
pid_t start_xvis(const std::vector<std::string>& args, const fs::path& log) {
    std::vector<std::string> all{XVIS_CLI_PATH};
    all.insert(all.end(), args.begin(), args.end());
    return xvis::testing::start(std::move(all), log);
}

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) names.push_back(it->path().filename().string());
    return names;
}

bool has_entry_starting(const fs::path& dir, const std::string& prefix) {
    for (const auto& n : entries(dir))
        if (n.compare(0, prefix.size(), prefix) == 0) return true;
    return false;
}

// A PNG is complete when stb decodes it and its last chunk is IEND (stb may accept some truncated streams).
void expect_complete_png(const fs::path& p) {
    const std::string bytes = read_file(p);
    const std::string iend("\0\0\0\0IEND\xae\x42\x60\x82", 12);
    EXPECT_TRUE(bytes.size() > 12 && bytes.compare(bytes.size() - 12, 12, iend) == 0) << p << " is cut short (" << bytes.size() << " bytes)";
    EXPECT_NO_THROW(xvis::read_image(p.string())) << p;
}

// An untrained Fashion-MNIST CNN as the demo's model cache: the demo then skips training.
std::string demo_model(const fs::path& dir) {
    const std::string path = (dir / "model.onnx").string();
    xvis::save_onnx(xvis::fashion_cnn(1), path);
    return path;
}

// Puts this thread and the thread `tid` on the first processor this thread may use, `tid` at SCHED_IDLE, for
// the object's lifetime (this thread's affinity is restored).
class OneProcessor {
public:
    explicit OneProcessor(pid_t tid) {
        ::sched_getaffinity(0, sizeof saved_, &saved_);
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &saved_)) {
                CPU_SET(c, &one);
                break;
            }
        ::sched_setaffinity(0, sizeof one, &one);
        ::sched_setaffinity(tid, sizeof one, &one);
        sched_param idle{};
        ::sched_setscheduler(tid, SCHED_IDLE, &idle);
    }
    ~OneProcessor() { ::sched_setaffinity(0, sizeof saved_, &saved_); }
    OneProcessor(const OneProcessor&) = delete;
    OneProcessor& operator=(const OneProcessor&) = delete;

private:
    cpu_set_t saved_;
};

const char* const interrupted = "xvis: interrupted; outputs written so far are complete";

}  // namespace

// SIGINT and SIGTERM during activation maximization with a GIF recording: code 130 / 143, the message, the previous
// output untouched, the GIF cut short discarded, no temporary left.
TEST(Interrupt, ActivationStopsAtTheNextIteration) {
    for (const int sig : {SIGINT, SIGTERM}) {
        SCOPED_TRACE(sig == SIGINT ? "SIGINT" : "SIGTERM");
        const fs::path d = scratch(sig == SIGINT ? "activation_int" : "activation_term"), out = d / "out", log = d / "log";
        fs::create_directories(out);
        xvis::write_png((out / "grid.png").string(), xvis::Tensor({5, 7, 3}, 77.0f));  // an earlier run's result
        const std::string before = read_file(out / "grid.png");
        const pid_t pid = start_xvis({"activation", "arch:fashion_cnn", "--filters", "0,1,2", "--iterations", "1000000", "--gif",
                                      (out / "anim.gif").string(), "-o", (out / "grid.png").string()},
                                     log);
        // Interrupted while the GIF is being recorded: its temporary exists.
        ASSERT_TRUE(wait_until([&] { return has_entry_starting(out, ".anim.gif.tmp-"); }, 30)) << read_file(log);
        ::kill(pid, sig);
        const int status = finish(pid, 30);
        ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << "\n" << read_file(log);
        EXPECT_EQ(WEXITSTATUS(status), 128 + sig);
        EXPECT_NE(read_file(log).find(interrupted), std::string::npos) << read_file(log);
        EXPECT_EQ(read_file(out / "grid.png"), before);
        EXPECT_EQ(entries(out), std::vector<std::string>{"grid.png"});  // no anim.gif, no temporary
    }
}

// SIGINT during training: stops at the next batch, saves no model (a half-trained one is not what was asked
// for), and an earlier model under the same name stays as it was.
TEST(Interrupt, TrainStopsAtTheNextBatch) {
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const fs::path d = scratch("train_int"), out = d / "out", log = d / "log";
    fs::create_directories(out);
    std::ofstream(out / "model.onnx") << "an earlier model";
    const pid_t pid = start_xvis({"train", "--epochs", "50", "-o", (out / "model.onnx").string()}, log);
    ASSERT_TRUE(wait_until([&] { return read_file(log).find("training, epoch 1/50") != std::string::npos; }, 60)) << read_file(log);
    ::kill(pid, SIGINT);
    const int status = finish(pid, 30);
    ASSERT_TRUE(WIFEXITED(status)) << read_file(log);
    EXPECT_EQ(WEXITSTATUS(status), 130);
    EXPECT_NE(read_file(log).find(interrupted), std::string::npos) << read_file(log);
    EXPECT_EQ(read_file(out / "model.onnx"), "an earlier model");
    EXPECT_EQ(entries(out), std::vector<std::string>{"model.onnx"});
}

// SIGINT during the demo's activation maximization: the class images written so far are complete, nothing
// later (the composite, the overlays, the index.html gallery) exists, no temporary remains, the model cache is intact.
// The demo evaluates the 10,000 test images before its first output: minutes under AddressSanitizer. The
// activation and train kills run there; DemoGallery runs the whole demo under it.
constexpr const char* demo_under_asan = "AddressSanitizer build: the demo's evaluation before its outputs takes minutes";

TEST(Interrupt, DemoKeepsTheImagesWrittenBefore) {
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    if (XVIS_TEST_UNDER_ASAN) GTEST_SKIP() << demo_under_asan;
    const fs::path d = scratch("demo_int"), out = d / "out", log = d / "log";
    const std::string model = demo_model(d), model_bytes = read_file(model);
    const pid_t pid = start_xvis({"demo", "--model-cache", model, "--iterations", "2000", "--per-class", "1", "-o", out.string()}, log);
    ASSERT_TRUE(wait_until([&] { return has_entry_starting(out, "am_2_"); }, 60)) << read_file(log);
    ::kill(pid, SIGINT);
    const int status = finish(pid, 30);
    ASSERT_TRUE(WIFEXITED(status)) << read_file(log);
    EXPECT_EQ(WEXITSTATUS(status), 130);
    EXPECT_NE(read_file(log).find(interrupted), std::string::npos) << read_file(log);
    std::set<std::string> names;
    for (const auto& n : entries(out)) names.insert(n);
    EXPECT_TRUE(names.count("am_0_t-shirt_top.png") && names.count("am_1_trouser.png") && names.count("am_2_pullover.png"));
    EXPECT_FALSE(names.count("am_9_ankle_boot.png"));  // stopped at the next iteration, not at the end
    EXPECT_FALSE(names.count("activation_maximization.png"));
    EXPECT_FALSE(names.count("index.html"));
    for (const auto& n : names) {
        EXPECT_EQ(n.rfind("am_", 0), 0u) << "unexpected " << n;
        expect_complete_png(out / n);
    }
    EXPECT_EQ(read_file(model), model_bytes);
}

// What a SIGKILL may leave in `out`: outputs, each complete, and hidden ".<name>.tmp-<pid>-<n>" temporaries.
// Returns the number of temporaries.
int expect_only_complete_outputs(const fs::path& out) {
    static const std::regex temporary(R"(\.(.+)\.tmp-[0-9]+-[0-9]+)");
    int temporaries = 0;
    for (const auto& name : entries(out)) {
        const fs::path p = out / name;
        if (name.front() == '.') {
            EXPECT_TRUE(std::regex_match(name, temporary)) << "unexpected hidden file " << name;
            ++temporaries;
        } else if (p.extension() == ".png") {
            expect_complete_png(p);
        } else if (p.extension() == ".gif") {
            const std::string gif = read_file(p);
            EXPECT_TRUE(!gif.empty() && gif.back() == '\x3b') << p << " has no trailer: cut short (" << gif.size() << " bytes)";
            EXPECT_NO_THROW(xvis::testing::read_gif_first_frame(p.string())) << p;  // xvis reads no GIF: the test-only decoder
        } else if (name == "index.html") {
            // The demo's gallery: complete, and the data file it names is there (written before it).
            const std::string html = read_file(p);
            EXPECT_TRUE(html.size() > 8 && html.compare(html.size() - 8, 8, "</html>\n") == 0) << "index.html is cut short";
            std::smatch data;
            if (!std::regex_search(html, data, std::regex("<script src=\"(gallery-data-[0-9a-f]{16}\\.js)\">")))
                ADD_FAILURE() << "index.html names no data file:\n" << html;
            else
                EXPECT_TRUE(fs::exists(out / data[1].str())) << "index.html names " << data[1] << ", which is not there";
        } else if (name.rfind("gallery-data-", 0) == 0 && p.extension() == ".js") {
            const std::string js = read_file(p);
            EXPECT_TRUE(js.size() > 4 && js.compare(js.size() - 4, 4, "]};\n") == 0) << name << " is cut short";
            EXPECT_NE(js.find("\"class_name\":\"Ankle boot\""), std::string::npos) << name << " lacks the last class";
        } else {
            ADD_FAILURE() << "unexpected file " << name;
        }
    }
    return temporaries;
}

// SIGKILL cannot be caught: what protects the outputs is that each is renamed into place complete.
// `activation` records a GIF frame by frame for half of its run: killed at a random progress step, a GIF written
// in place would be cut short. The demo writes 43 small files: two runs are killed the moment the k-th new name
// shows up in its folder (k random): with AtomicFile a hidden temporary being written or an output just renamed
// into place; with a plain ofstream, a final name being written. A third is killed at a random moment.
TEST(Interrupt, SigkillLeavesNoPartialFileUnderAFinalName) {
    const unsigned seed = std::random_device{}();
    std::mt19937 rng(seed);
    int temporaries = 0;
    const fs::path d = scratch("kill");
    for (int run = 0; run < 3; ++run) {
        const int decile = std::uniform_int_distribution<int>(0, 9)(rng);
        SCOPED_TRACE("seed " + std::to_string(seed) + ", activation run " + std::to_string(run) + " killed at " + std::to_string(decile * 10) + "%");
        const fs::path out = d / ("act" + std::to_string(run)), log = d / ("act_log" + std::to_string(run));
        fs::create_directories(out);
        const pid_t pid = start_xvis({"activation", "arch:fashion_cnn", "--filters", "0,1", "--iterations", "1000", "--gif",
                                      (out / "anim.gif").string(), "-o", (out / "grid.png").string()},
                                     log);
        const std::string mark = "activation: " + std::to_string(decile * 10) + "%";
        wait_until([&] { return read_file(log).find(mark) != std::string::npos; }, 60);
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        temporaries += expect_only_complete_outputs(out);
    }
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed: the demo runs are skipped";
    if (XVIS_TEST_UNDER_ASAN) GTEST_SKIP() << demo_under_asan << ": the demo runs are skipped";
    const std::string model = demo_model(d);
    for (int run = 0; run < 3; ++run) {
        const bool mid_write = run < 2;
        const int k = std::uniform_int_distribution<int>(1, 80)(rng);  // ~86 names appear: 43 temporaries, 43 outputs
        const double delay = std::uniform_real_distribution<double>(0, 0.4)(rng);  // the output phase lasts ~0.5 s
        SCOPED_TRACE("seed " + std::to_string(seed) + ", demo run " + std::to_string(run) +
                     (mid_write ? ", killed at new name " + std::to_string(k) : ", killed after " + std::to_string(delay) + " s"));
        const fs::path out = d / ("demo" + std::to_string(run)), log = d / ("demo_log" + std::to_string(run));
        const pid_t pid = start_xvis({"demo", "--model-cache", model, "--iterations", "30", "--per-class", "1", "-o", out.string()}, log);
        // Outputs start after the evaluation of the test set (stderr, unbuffered, shows the next step); polling only
        // then leaves the processors to xvis.
        ASSERT_TRUE(wait_until([&] { return read_file(log).find("activation maximization:") != std::string::npos; }, 60)) << read_file(log);
        int status = 0;
        bool exited = false;
        if (mid_write) {
            // A small PNG is written in microseconds, less than it takes to see it and send the signal. So xvis's
            // main thread (which writes) shares one processor with this poller at the idle priority: it runs only
            // while the poller sleeps, in short slices, and the poller looks between them.
            const OneProcessor pinned(pid);
            std::set<std::string> names;
            while (static_cast<int>(names.size()) < k && !(exited = ::waitpid(pid, &status, WNOHANG) == pid)) {
                for (const auto& name : entries(out)) names.insert(name);
                if (static_cast<int>(names.size()) < k) std::this_thread::sleep_for(std::chrono::microseconds(20));
            }
            if (!exited) ::kill(pid, SIGKILL);
        } else {
            exited = wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, delay);
        }
        if (!exited) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        temporaries += expect_only_complete_outputs(out);
    }
    std::printf("[ info     ] seed %u: %d of the 6 kills left a temporary (killed mid-write)\n", seed, temporaries);
}
