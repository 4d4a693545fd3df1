#pragma once
// Running a real program (the `xvis` binary, or mpirun) from a test: start it with its output in a log, wait
// for a condition, end it, read what it wrote. fork + exec rather than popen or system(), so a signal goes to
// the program itself (not a shell) and SIGINT is not ignored, as it is for a non-interactive shell's
// background job. Used by tests/cli (interrupt, sweep) and tests/mpi.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xvis::testing {

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

}  // namespace xvis::testing
