#pragma once
// Running the real `xvis` binary (or mpirun) from sweep tests: start, wait, kill, and reading the output folder.
// (The same fork + exec approach as tests/cli/interrupt.cpp.)
#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sweep_test {

namespace fs = std::filesystem;

inline fs::path scratch(const std::string& group, const std::string& name) {
    const fs::path d = fs::temp_directory_path() / (group + "_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Starts argv[0] (a path) with stdout and stderr in `log`; SIGINT / SIGTERM at their default.
inline pid_t start(std::vector<std::string> args, const fs::path& log) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);  // its own group: a test can end mpirun and every rank at once
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

inline bool wait_until(const std::function<bool()>& ready, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

// The wait status after `seconds` at most (then the process group is killed and the test fails).
inline int finish(pid_t pid, double seconds) {
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, seconds)) {
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "the process did not end within " << seconds << " s";
    }
    return status;
}

// Runs to the end; the exit code (-1 when killed by a signal).
inline int run(std::vector<std::string> args, const fs::path& log, double seconds = 120) {
    const int status = finish(start(std::move(args), log), seconds);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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
