#include "progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace xvis::cli {

Progress::Progress(std::string label, long total) : label_(std::move(label)), total_(total > 0 ? total : 1), tty_(isatty(2)) {}

void Progress::update(long done, const std::string& detail) {
    const double f = static_cast<double>(done) / static_cast<double>(total_);
    if (tty_) {
        const int width = 30, fill = static_cast<int>(f * width + 0.5);
        std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %s\033[K", label_.c_str(), fill, "##############################", width - fill, "",
                     static_cast<int>(f * 100 + 0.5), detail.c_str());
        std::fflush(stderr);
        return;
    }
    const int decile = static_cast<int>(f * 10);
    if (decile > last_decile_) {
        last_decile_ = decile;
        std::fprintf(stderr, "%s: %d%% %s\n", label_.c_str(), decile * 10, detail.c_str());
    }
}

void Progress::finish(const std::string& detail) {
    if (finished_) return;
    finished_ = true;
    if (tty_) {
        update(total_, detail);
        std::fprintf(stderr, "\n");
    } else if (last_decile_ < 10) {
        std::fprintf(stderr, "%s: 100%% %s\n", label_.c_str(), detail.c_str());
    }
}

}  // namespace xvis::cli
