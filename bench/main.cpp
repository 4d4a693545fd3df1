// xvis_bench: prints what the kernels were built for, then runs Google Benchmark.
//   --xvis_gemm_kernel=portable   the build's xsimd GEMM micro-kernel instead of AVX-512 (an A/B in one binary)
#include <xvis/tensor/gemm.hpp>
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const char* flag = "--xvis_gemm_kernel=";
        if (std::strncmp(argv[i], flag, std::strlen(flag)) != 0) {
            argv[kept++] = argv[i];
            continue;
        }
        const char* v = argv[i] + std::strlen(flag);
        if (std::strcmp(v, "portable") != 0 && std::strcmp(v, "automatic") != 0) {
            std::fprintf(stderr, "xvis_bench: --xvis_gemm_kernel takes automatic or portable, got '%s'\n", v);
            return 1;
        }
        xvis::kernels::set_gemm_kernel(std::strcmp(v, "portable") == 0 ? xvis::kernels::GemmKernel::portable
                                                                       : xvis::kernels::GemmKernel::automatic);
    }
    argc = kept;
    std::printf("xvis_bench: %s\n", xvis::build_info_string().c_str());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("xvis", xvis::build_info_string());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
