#pragma once
// Headless chromium for the tests of pages xvis writes (tests/io/gallery_browser.cpp, tests/cli/demo_gallery.cpp):
// Debian's `chromium` loads a page from file:// at a state given in the URL hash, runs it, and dumps the DOM
// (--dump-dom) or paints it (--screenshot). Tests skip, with REQUIRE_CHROMIUM(), only when no chromium is found
// (scripts/setup-debian.sh installs it; XVIS_CHROMIUM names another binary).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xvis::testing {

// XVIS_CHROMIUM, else chromium, chromium-browser or google-chrome on the PATH; "" when there is none.
inline std::string find_chromium() {
    if (const char* given = std::getenv("XVIS_CHROMIUM")) return given;
    const char* path = std::getenv("PATH");
    const std::string dirs = path ? path : "/usr/bin:/bin";
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        for (std::size_t start = 0; start <= dirs.size();) {
            const std::size_t end = std::min(dirs.find(':', start), dirs.size());
            const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
            start = end + 1;
        }
    }
    return "";
}

#define REQUIRE_CHROMIUM()                                                                                              \
    if (::xvis::testing::find_chromium().empty())                                                                       \
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/setup-debian.sh installs it): "     \
                    "the browser tests are skipped"

inline std::string read_whole_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs headless chromium on `page`#hash with a fresh profile (removed after); `mode` is "--dump-dom" (the DOM is
// returned) or "--screenshot=<file>". Root needs --no-sandbox. The virtual time budget lets the page's scripts
// and image loads finish without waiting for them in real time. Fails the test after 60 s or on a non-zero exit.
inline std::string run_chromium(const std::filesystem::path& page, const std::string& hash, const std::string& mode,
                                const std::string& window = "1200,3000") {
    std::string pattern = (std::filesystem::temp_directory_path() / "xvis-chromium-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    const std::filesystem::path profile = pattern, out = profile / "stdout", err = profile / "stderr";
    std::vector<std::string> args = {find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--user-data-dir=" + (profile / "profile").string(), "--virtual-time-budget=5000",
                                     "--window-size=" + window, "--hide-scrollbars", mode,
                                     "file://" + std::filesystem::absolute(page).string() + (hash.empty() ? "" : "#" + hash)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (::waitpid(pid, &status, WNOHANG) != pid) {
        if (std::chrono::steady_clock::now() > end) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ADD_FAILURE() << "chromium did not finish within 60 s";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "chromium failed:\n" << read_whole_file(err);
    std::string dom = read_whole_file(out);
    std::error_code ec;
    std::filesystem::remove_all(profile, ec);
    return dom;
}

// Undoes the DOM serializer's escaping of text and attribute values.
inline std::string unescape_html(const std::string& s) {
    static const std::pair<const char*, const char*> entities[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                                                                   {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        bool matched = false;
        for (const auto& [from, to] : entities)
            if (s.compare(i, std::strlen(from), from) == 0) {
                out += to, i += std::strlen(from), matched = true;
                break;
            }
        if (!matched) out += s[i++];
    }
    return out;
}

}  // namespace xvis::testing
