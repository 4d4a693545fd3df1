#pragma once
// Progress for long work: a redrawn bar when stderr is a terminal, a plain line every 10 % otherwise.
#include <xvis/training/trainer.hpp>

#include <string>

namespace xvis::cli {

class Progress {
public:
    Progress(std::string label, long total);
    // done in [0, total]; `detail` is appended (e.g. "loss 0.31").
    void update(long done, const std::string& detail = {});
    void finish(const std::string& detail = {});

private:
    std::string label_;
    long total_;
    int last_decile_ = -1;
    bool tty_;
    bool finished_ = false;
};

// Draws one bar per epoch and prints a summary line after each (with the test accuracy when validating). After
// a SIGINT / SIGTERM (interrupt.hpp) the next batch boundary throws Interrupted.
void attach_fit_progress(FitOptions& options, const std::string& label);

}  // namespace xvis::cli
