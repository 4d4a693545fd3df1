// xvis_bench: prints what the kernels were built for, then runs Google Benchmark.
#include <xvis/tensor/runtime.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>

int main(int argc, char** argv) {
    std::printf("xvis_bench: %s\n", xvis::build_info_string().c_str());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("xvis", xvis::build_info_string());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
