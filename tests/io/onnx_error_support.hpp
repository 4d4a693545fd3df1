#pragma once
// Shared by the ONNX import error tests: messages of failed imports, a memory-growth guard, hand-encoded
// models with external data.
#include <xvis/autodiff/function.hpp>
#include <xvis/io/onnx.hpp>

#include "image/temp_dir.hpp"
#include "io/onnx_pb_writer.hpp"
#include "support/error_message.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>

#include <sys/resource.h>

namespace xvis::test {

inline std::string import_error(const std::string& path, const OnnxImportOptions& options = {}) {
    return xvis::testing::message_of([&] { import_onnx(path, options); });
}
inline std::string load_error(const std::string& path) {
    return xvis::testing::message_of([&] { load_onnx(path); });
}

// Every piece appears in the message.
inline void expect_mentions(const std::string& message, std::initializer_list<std::string> pieces) {
    for (const auto& p : pieces) EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' missing from: " << message;
}
inline std::string prefix(const std::string& call, const std::string& path) { return call + ": '" + path + "': "; }

// Peak resident memory (MB) above the memory held before `f` ran. The peak is reset first through
// /proc/self/clear_refs ("5" resets VmHWM, Linux >= 4.0); where that is not allowed, the process's lifetime
// peak (getrusage) is returned instead, which is still an upper bound of the call's own.
inline long kb_from_status(const char* key) {
    std::ifstream s("/proc/self/status");
    std::string line;
    while (std::getline(s, line))
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
    return -1;
}
inline long peak_growth_mb(const std::function<void()>& f) {
    bool reset = false;
    {
        std::ofstream c("/proc/self/clear_refs");
        if (c) {
            c << "5";
            c.flush();
            reset = static_cast<bool>(c);
        }
    }
    const long before = reset ? kb_from_status("VmRSS:") : 0;
    f();
    long peak = reset ? kb_from_status("VmHWM:") : -1;
    if (peak < 0) {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        peak = ru.ru_maxrss;
    }
    return (peak - before) / 1024;
}

// Imports `path` expecting a failure that allocates nothing large; returns the message.
inline std::string fails_small(const std::string& path) {
    std::string e;
    const long mb = peak_growth_mb([&] { e = import_error(path); });
    EXPECT_LT(mb, 100) << "import_onnx grew the resident memory by " << mb << " MB on " << path;
    EXPECT_LE(std::filesystem::file_size(path), 1024u) << "the hostile file should be tiny";
    return e;
}

// A float tensor stored in a file beside the model: data_location EXTERNAL (14 = 1), external_data entries.
inline Pb external_tensor(const std::string& name, std::vector<std::int64_t> dims, const std::vector<std::pair<std::string, std::string>>& entries) {
    Pb t;
    for (auto d : dims) t.i64(1, d);
    t.i64(2, 1).str(8, name);
    for (const auto& [k, v] : entries) t.msg(13, Pb().str(1, k).str(2, v));
    return t.i64(14, 1);
}

// y = x + w with the given initializer for w ([4] floats), x of shape [N, 4].
inline std::string add_model(const Pb& w) {
    return model_bytes({node("Add", "add", {"x", "w"}, {"y"})}, {w}, {value_info("x", {4})}, {value_info("y", {4})});
}

inline Tensor run(Model& m, const Tensor& x) {
    m.build(x.dim(0));
    Function f = compile({m.output()}, {m.input()});
    return f(x)[0];
}

// Sample i of a batch tensor, as a batch of one.
inline Tensor sample(const Tensor& x, std::size_t i) {
    Shape s = x.shape();
    s[0] = 1;
    Tensor one(s);
    const std::size_t n = one.size();
    std::copy(x.data() + i * n, x.data() + (i + 1) * n, one.data());
    return one;
}

struct ExternalFixture {
    xvis::testing::TempDir root;
    std::string folder = root.file("model");
    std::string model = folder + "/m.onnx";
    Tensor w = Tensor({4}, {1.5f, -2.0f, 0.25f, 8.0f});
    ExternalFixture() {
        std::filesystem::create_directories(folder + "/data");
        // 8 bytes of something else, then the weights.
        write(folder + "/w.bin", "HEADER!!" + float_bytes(w));
        write(folder + "/data/w.bin", float_bytes(w));
        write(root.file("outside.bin"), float_bytes(w));
        write(folder + "/short.bin", float_bytes(Tensor({2}, 1.0f)));
    }
    std::string canonical_folder() const { return std::filesystem::weakly_canonical(folder).string(); }
    std::string error(const std::vector<std::pair<std::string, std::string>>& entries) {
        write(model, add_model(external_tensor("w", {4}, entries)));
        return import_error(model);
    }
};

}  // namespace xvis::test
