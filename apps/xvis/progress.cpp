#include "progress.hpp"

#include "interrupt.hpp"

#include <cstdio>
#include <memory>
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

void attach_fit_progress(FitOptions& options, const std::string& label) {
    auto bar = std::make_shared<std::unique_ptr<Progress>>();
    options.on_batch = [bar, label](const FitProgress& p) {
        stop_if_interrupted();  // a batch boundary: nothing half-done (fit() restores the model's batch size)
        if (p.batch == 0)
            *bar = std::make_unique<Progress>(label + ", epoch " + std::to_string(p.epoch + 1) + "/" + std::to_string(p.epochs),
                                              static_cast<long>(p.batches));
        char detail[64];
        std::snprintf(detail, sizeof detail, "loss %.4f acc %.4f", p.loss, p.accuracy);
        (*bar)->update(static_cast<long>(p.batch + 1), detail);
    };
    options.on_epoch_end = [bar](const EpochStats& e) {
        if (*bar) (*bar)->finish();
        std::printf("epoch %zu: loss %.4f, train accuracy %.4f", e.epoch + 1, e.loss, e.accuracy);
        if (e.val_accuracy >= 0) std::printf(", test accuracy %.4f", e.val_accuracy);
        std::printf(", %.1f s\n", e.seconds);
        std::fflush(stdout);
    };
}

}  // namespace xvis::cli
