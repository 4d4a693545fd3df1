#pragma once
// The round-trip check of save_onnx: save(model) → load_onnx → save gives identical bytes, and the reloaded model
// computes exactly (bit for bit) what the model does.
#include <xvis/autodiff/function.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/tensor/random.hpp>

#include "image/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>
#include <string>
#include <vector>

namespace xvis::test {

// A fresh directory, removed at scope exit, on a memory file system when there is one: save_onnx fsyncs each
// file (about 10 ms on a disk), and the conformance round trips save a thousand models.
class ScratchDir {
public:
    ScratchDir() {
        std::error_code ec;
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                                               ? std::filesystem::path("/dev/shm")
                                               : std::filesystem::temp_directory_path();
        std::string pattern = (base / "xvis-onnx-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed in " + base.string());
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline std::string file_bytes(const std::string& path) {
    const auto b = xvis::testing::read_bytes(path);
    return std::string(b.begin(), b.end());
}

// Same shape and the same bits in every element (NaN payloads included).
inline ::testing::AssertionResult same_bits(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return ::testing::AssertionFailure() << "shape " << shape_to_string(b.shape()) << ", expected " << shape_to_string(a.shape());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a.data()[i], &b.data()[i], sizeof(float)) != 0)
            return ::testing::AssertionFailure() << "element " << i << ": " << b.data()[i] << ", expected " << a.data()[i];
    return ::testing::AssertionSuccess();
}

// Every output of `m` built for `batch` on `feeds`.
inline std::vector<Tensor> run_outputs(const Model& m, std::size_t batch, const std::vector<Tensor>& feeds) {
    const ModelGraph g = m.graph(batch);
    Function f = compile(g.outputs(), g.inputs());
    for (std::size_t i = 0; i < feeds.size(); ++i) f.set_input(i, feeds[i]);
    return f.run();
}

// Random inputs in [-1, 1) of each input's shape for a batch of `batch`.
inline std::vector<Tensor> random_feeds(const Model& m, std::size_t batch, std::uint64_t seed) {
    const ModelGraph g = m.graph(batch);
    std::vector<Tensor> feeds;
    for (std::size_t i = 0; i < g.num_inputs(); ++i) feeds.push_back(random_uniform<float>(g.input(i).shape(), -1.0, 1.0, seed + i));
    return feeds;
}

struct RoundTrip {
    std::string first, second;  // the bytes of both saves
    Model reloaded;
};

// save_onnx(model) → load_onnx → save_onnx in `dir`; expects identical bytes and identical outputs on `feeds`
// for the model's batch (when empty: random inputs for a batch of `batch`, or of the model's own batch when its
// graph cannot follow another). Returns what it saved and read, for further checks.
inline RoundTrip expect_write_read_write(const Model& model, const ScratchDir& dir, std::vector<Tensor> feeds = {}, std::size_t batch = 2) {
    const std::string a = dir.file("first.onnx"), b = dir.file("second.onnx");
    save_onnx(model, a);
    Model back = load_onnx(a);
    save_onnx(back, b);
    RoundTrip r{file_bytes(a), file_bytes(b), back};
    EXPECT_FALSE(r.first.empty());
    EXPECT_TRUE(r.first == r.second) << "write → read → write changed the file: " << r.first.size() << " then " << r.second.size() << " bytes";
    EXPECT_EQ(back.name(), model.name());
    EXPECT_EQ(back.num_inputs(), model.num_inputs());
    EXPECT_EQ(back.num_outputs(), model.num_outputs());
    if (back.num_inputs() != model.num_inputs() || back.num_outputs() != model.num_outputs()) return r;
    if (!feeds.empty()) {
        batch = model.batch_size();
    } else {
        try {
            feeds = random_feeds(model, batch, 77);
        } catch (const std::exception&) {  // an export whose fixed shapes bake its batch in
            batch = model.batch_size();
            feeds = random_feeds(model, batch, 77);
        }
    }
    const auto ya = run_outputs(model, batch, feeds), yb = run_outputs(back, batch, feeds);
    for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_TRUE(same_bits(ya[i], yb[i])) << "output " << i;
    return r;
}

}  // namespace xvis::test
