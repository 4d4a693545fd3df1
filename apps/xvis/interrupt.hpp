#pragma once
// Ctrl-C (SIGINT) and SIGTERM on a long run: the signal handler only records the signal; the run notices it at its
// next step boundary (an optimizer iteration, a training batch, a demo image) through stop_if_interrupted(),
// which throws Interrupted. The throw unwinds through every open AtomicFile / GifWriter (their destructors remove
// the temporaries), so only outputs already renamed into place remain, each complete. A second signal gets the
// default action (SA_RESETHAND): it ends a step that takes too long, and the atomic renames still guarantee that
// no final-name file is partial.
namespace xvis::cli {

// Thrown at a step boundary after a signal. Deliberately not a std::exception: library code that turns
// std::exception into a message (catch, add context, rethrow) must let it through untouched.
struct Interrupted {
    int signal;
};

// Installs the SIGINT and SIGTERM handlers. Called by the commands that check for interruption (activation,
// train, demo); the others keep the default action, which is safe because every write is atomic.
void install_interrupt_handlers();

// Throws Interrupted if a handled signal arrived. Cheap: one load of a std::sig_atomic_t.
void stop_if_interrupted();

// Prints "xvis: interrupted; outputs written so far are complete" and returns the exit code 128 + signal
// (130 for SIGINT, 143 for SIGTERM: the shell's convention for a process a signal ended).
int report_interrupted(int signal);

// Runs a command body with the handlers installed. The catch is here, not in main(), so the stack (and every
// open temporary file) is unwound before the message; main() only knows std::exception.
template <class Body>
int run_interruptible(Body&& body) {
    install_interrupt_handlers();
    try {
        return body();
    } catch (const Interrupted& i) {
        return report_interrupted(i.signal);
    }
}

}  // namespace xvis::cli
