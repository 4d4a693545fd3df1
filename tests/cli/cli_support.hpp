#pragma once
// Running the `xvis` binary from the command-line tests: a shell line's exit code and output, scratch folders,
// pictures to explain.
#include <xvis/xvis.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace cli_test {

namespace fs = std::filesystem;

struct CliRun {
    int code;
    std::string out;  // stdout and stderr
};

// Runs a shell command line, capturing stdout and stderr.
inline CliRun run_shell(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline CliRun xvis_cli(const std::string& args) { return run_shell(std::string(XVIS_CLI_PATH) + " " + args + " 2>&1"); }

inline fs::path scratch(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("xvis_cli_test_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A picture whose size differs from every model's input, so outputs at the model's size would show.
inline std::string write_picture(const fs::path& dir, std::size_t h, std::size_t w, std::size_t c) {
    xvis::Tensor img({h, w, c});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>((i * 37) % 256);
    const std::string path = (dir / ("picture" + std::to_string(c) + ".png")).string();
    xvis::write_png(path, img);
    return path;
}

inline xvis::Shape png_shape(const fs::path& file) { return xvis::read_image(file.string()).shape(); }

}  // namespace cli_test
