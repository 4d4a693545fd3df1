#pragma once
// Proof that a loader refuses an absurd declared size *before* allocating it: the call runs in a forked child
// whose address space may grow by only `headroom` bytes (RLIMIT_AS), so an attempted allocation of the claimed
// size ends in std::bad_alloc there instead of the expected message. The child reports back through a pipe.
// AddressSanitizer reserves terabytes of address space for its shadow memory and treats an allocation past
// RLIMIT_AS as a fatal error of its own, not std::bad_alloc: under it, the child runs without the limit. The
// tests then still check each message and that nothing else goes wrong (ASan ends the child on an allocation
// above its own maximum); the plain build is the one that proves "before allocating".
#include "support/sanitizers.hpp"

#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xvis::test {

// This process's virtual size in bytes (VmSize), or 0 when /proc is not readable.
inline std::size_t virtual_size() {
    std::ifstream s("/proc/self/status");
    std::string line;
    while (std::getline(s, line))
        if (line.rfind("VmSize:", 0) == 0) return static_cast<std::size_t>(std::stoull(line.substr(7))) * 1024;
    return 0;
}

// "error: <what>" when f throws a std::exception other than bad_alloc, "bad_alloc" when it runs out of the
// allowed memory, "ok" when it returns, "child: ..." when the child dies or cannot be started.
inline std::string outcome_with_memory_limit(const std::function<void()>& f, std::size_t headroom = std::size_t(256) << 20) {
    int fds[2];
    if (::pipe(fds) != 0) return "child: pipe failed";
    const pid_t pid = ::fork();
    if (pid < 0) return "child: fork failed";
    if (pid == 0) {
        ::close(fds[0]);
        std::string result;
        const std::size_t base = virtual_size();
        const rlimit lim{base + headroom, base + headroom};
        if (!XVIS_TEST_UNDER_ASAN && (base == 0 || ::setrlimit(RLIMIT_AS, &lim) != 0)) {
            result = "child: cannot limit the address space";
        } else {
            ::alarm(120);  // a hang (e.g. OpenMP after fork) fails the test instead of blocking the suite
            try {
                f();
                result = "ok";
            } catch (const std::bad_alloc&) {
                result = "bad_alloc";
            } catch (const std::exception& e) {
                result = std::string("error: ") + e.what();
            }
        }
        for (std::size_t done = 0; done < result.size();) {
            const ssize_t n = ::write(fds[1], result.data() + done, result.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);  // no destructors or atexit handlers of the parent's state
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status)) return "child: died with signal " + std::to_string(WTERMSIG(status)) + " after '" + out + "'";
    return out;
}

}  // namespace xvis::test
