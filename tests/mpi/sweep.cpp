// xvis sweep under `mpirun -np 2` (ctest label mpi): the same files as one process, every item once, items on
// both ranks; a rank killed mid-sweep ends the job and the same command resumes it. Skipped only when the build
// has no MPI.
#include "support/sanitizers.hpp"
#include "support/sweep_process.hpp"

#include <cstdlib>

#include <dirent.h>

using namespace sweep_test;

namespace {

#ifdef XVIS_TEST_MPIEXEC
std::vector<std::string> mpi_sweep(const fs::path& out, const std::string& indices) {
    std::vector<std::string> a{XVIS_TEST_MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "2", XVIS_CLI_PATH, "--threads", "1",
                               "sweep", "arch:fashion_cnn", "--indices", indices, "-o", out.string()};
    if (XVIS_TEST_UNDER_ASAN) {
        // Open MPI (third-party) leaks at MPI_Finalize in the components it dlopens and unloads again, which
        // LeakSanitizer can neither name nor suppress by module. The ranks run without leak detection; the same
        // sweep code is leak-checked by the single-process tests (tests/sweep, tests/cli/sweep.cpp).
        const char* asan = std::getenv("ASAN_OPTIONS");
        a.insert(a.begin() + 1, {"-x", std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":detect_leaks=0"});
    }
    return a;
}
#endif

std::vector<std::string> local_sweep(const fs::path& out, const std::string& indices) {
    return {XVIS_CLI_PATH, "--threads", "1", "sweep", "arch:fashion_cnn", "--indices", indices, "-o", out.string()};
}

// The process of MPI rank `rank` among the descendants of nothing in particular: found by its environment.
pid_t rank_process(int rank, const fs::path& output) {
    DIR* proc = ::opendir("/proc");
    pid_t found = 0;
    for (dirent* e; proc && (e = ::readdir(proc)) && !found;) {
        const std::string name = e->d_name;
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string env = read_file("/proc/" + name + "/environ"), cmd = read_file("/proc/" + name + "/cmdline");
        if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos &&
            cmd.find(output.string()) != std::string::npos)
            found = static_cast<pid_t>(std::stol(name));
    }
    if (proc) ::closedir(proc);
    return found;
}

#define NEED_MPI_AND_DATA()                                                                                       \
    if (!xvis::sweep_mpi_available()) GTEST_SKIP() << "this build has no MPI (XVIS_USE_MPI=OFF): nothing to test"; \
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed"

}  // namespace

#ifdef XVIS_TEST_MPIEXEC

TEST(SweepMpi, TwoRanksGiveTheFilesOfOneProcess) {
    NEED_MPI_AND_DATA();
    const fs::path dir = scratch("xvis_sweep_mpi", "same"), mpi = dir / "mpi", one = dir / "one";
    ASSERT_EQ(run(local_sweep(one, "0-59"), dir / "one.log"), 0) << read_file(dir / "one.log");
    ASSERT_EQ(run(mpi_sweep(mpi, "0-59"), dir / "mpi.log"), 0) << read_file(dir / "mpi.log");
    EXPECT_NE(read_file(dir / "mpi.log").find("2 ranks"), std::string::npos) << read_file(dir / "mpi.log");
    expect_same_sweep(mpi, one, 60);
    std::set<int> ranks;
    for (const auto& r : xvis::read_manifests(mpi.string())) ranks.insert(r.rank);
    EXPECT_EQ(ranks, (std::set<int>{0, 1}));  // both ranks took items
    // Run again: nothing left to do.
    ASSERT_EQ(run(mpi_sweep(mpi, "0-59"), dir / "again.log"), 0) << read_file(dir / "again.log");
    EXPECT_NE(read_file(dir / "again.log").find("60 already done, 0 done now"), std::string::npos) << read_file(dir / "again.log");
}

TEST(SweepMpi, RankKilledThenRerunResumes) {
    NEED_MPI_AND_DATA();
    const fs::path dir = scratch("xvis_sweep_mpi", "kill"), out = dir / "out", one = dir / "one";
    ASSERT_EQ(run(local_sweep(one, "0-199"), dir / "one.log"), 0) << read_file(dir / "one.log");
    const pid_t mpirun = start(mpi_sweep(out, "0-199"), dir / "killed.log");
    ASSERT_TRUE(wait_until([&] { return complete_lines(out / "manifest.jsonl") >= 10; }, 60)) << read_file(dir / "killed.log");
    const pid_t victim = rank_process(1, out);
    ASSERT_GT(victim, 0) << "rank 1's process was not found";
    ::kill(victim, SIGKILL);
    const int status = finish(mpirun, 60);  // mpirun ends the job when a rank dies
    EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(dir / "killed.log");
    EXPECT_LT(complete_lines(out / "manifest.jsonl"), 200u);
    ASSERT_EQ(run(mpi_sweep(out, "0-199"), dir / "resumed.log"), 0) << read_file(dir / "resumed.log");
    expect_same_sweep(out, one, 200);
}

#else

TEST(SweepMpi, Skipped) { GTEST_SKIP() << "this build has no MPI (XVIS_USE_MPI=OFF): the mpirun tests do not run"; }

#endif
