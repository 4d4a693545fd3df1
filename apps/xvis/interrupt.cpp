#include "interrupt.hpp"

#include <csignal>
#include <cstdio>
#include <initializer_list>

#include <unistd.h>

namespace xvis::cli {

namespace {

// Written only by the handler (the first signal's number), read at step boundaries: sig_atomic_t is the type
// the C++ standard lets a signal handler write.
volatile std::sig_atomic_t received = 0;

extern "C" void on_signal(int sig) {
    if (received == 0) received = sig;
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: a read or write under way is not cut short with EINTR; SA_RESETHAND: a second Ctrl-C is not
    // deferred to a step boundary that may be far away, it ends the process at once.
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    for (int sig : {SIGINT, SIGTERM}) {
        struct sigaction old {};
        // A signal ignored by whoever started us (nohup, a shell's background job) stays ignored.
        if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sig, &sa, nullptr);
    }
}

void stop_if_interrupted() {
    if (const int sig = received) throw Interrupted{sig};
}

int report_interrupted(int signal) {
    std::fflush(stdout);
    // A progress bar on a terminal leaves the cursor mid-line.
    std::fprintf(stderr, "%sxvis: interrupted; outputs written so far are complete\n", isatty(2) ? "\n" : "");
    return 128 + signal;
}

}  // namespace xvis::cli
