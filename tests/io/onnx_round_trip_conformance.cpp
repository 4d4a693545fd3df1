// save_onnx round trip on ONNX's own conformance models (Debian libonnx-testdata): every model whose ops xvis
// claims is imported (as tests/io/onnx_conformance.cpp imports it), saved, read back and saved again; the two
// files must be identical and the reloaded model must compute the same bits on the test's inputs. One test per
// model; the few whose import still fails (variants xvis does not implement) are skipped with import_onnx's
// reason. Models with ops xvis does not claim are left out when the tests are listed (a quick scan of the file),
// so ctest does not start a process for each of them.
#include "io/onnx_round_trip_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>

namespace fs = std::filesystem;
using namespace xvis;
using namespace xvis::test;

namespace {

fs::path data_root() {
    const char* env = std::getenv("XVIS_ONNX_TESTDATA");
    return env ? env : "/usr/share/libonnx-testdata/data";
}

struct Case {
    std::string suite, name;
    fs::path dir() const { return data_root() / suite / name; }
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.suite << "/" << c.name; }

// The (domain, op type) of every node of a model file's main graph, by a minimal protobuf walk (ModelProto 7
// graph → GraphProto 1 node → NodeProto 4 op_type, 7 domain); nothing when the bytes do not parse.
struct PbScan {
    const char *p, *end;
    bool varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; p < end && shift < 64; shift += 7) {
            const auto b = static_cast<unsigned char>(*p++);
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    }
    // The next field: its number, and its bytes when length-delimited (wire type 2).
    bool next(std::uint64_t& number, std::string& bytes) {
        std::uint64_t tag = 0, v = 0;
        if (!varint(tag)) return false;
        number = tag >> 3;
        bytes.clear();
        switch (tag & 7) {
            case 0: return varint(v);
            case 1: return (p += 8) <= end;
            case 5: return (p += 4) <= end;
            case 2:
                if (!varint(v) || v > std::uint64_t(end - p)) return false;
                bytes.assign(p, p + v);
                p += v;
                return true;
            default: return false;
        }
    }
};

std::optional<std::vector<std::pair<std::string, std::string>>> op_types(const fs::path& model) {
    std::ifstream in(model, std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::pair<std::string, std::string>> ops;
    std::uint64_t f = 0;
    std::string graph, node, value;
    for (PbScan m{file.data(), file.data() + file.size()}; m.p < m.end;) {
        if (!m.next(f, graph)) return std::nullopt;
        if (f != 7) continue;
        for (PbScan g{graph.data(), graph.data() + graph.size()}; g.p < g.end;) {
            if (!g.next(f, node)) return std::nullopt;
            if (f != 1) continue;
            std::pair<std::string, std::string> op;
            for (PbScan n{node.data(), node.data() + node.size()}; n.p < n.end;) {
                if (!n.next(f, value)) return std::nullopt;
                if (f == 4) op.second = value;
                if (f == 7) op.first = value;
            }
            ops.push_back(op);
        }
    }
    return ops;
}

// Every op of the model is one import_onnx claims (default domain).
bool claimed(const fs::path& model) {
    static const auto supported = [] {
        const auto ops = onnx_supported_ops();
        return std::set<std::string>(ops.begin(), ops.end());
    }();
    const auto ops = op_types(model);
    if (!ops) return false;
    for (const auto& [domain, op] : *ops)
        if ((!domain.empty() && domain != "ai.onnx") || !supported.count(op)) return false;
    return true;
}

std::vector<Case> cases() {
    std::vector<Case> out;
    for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
        const fs::path root = data_root() / suite;
        if (!fs::is_directory(root)) continue;
        for (const auto& e : fs::directory_iterator(root))
            if (fs::exists(e.path() / "model.onnx") && claimed(e.path() / "model.onnx")) out.push_back({suite, e.path().filename().string()});
    }
    std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.suite != b.suite ? a.suite < b.suite : a.name < b.name; });
    return out;
}

std::vector<fs::path> input_files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (std::size_t i = 0; fs::exists(dir / ("input_" + std::to_string(i) + ".pb")); ++i) files.push_back(dir / ("input_" + std::to_string(i) + ".pb"));
    return files;
}

// As the conformance test imports: with every input at run time, or with all but the first fed as constants
// when the import needs them known (`fed` then becomes 1). Nothing when the model does not import (`why`).
std::optional<Model> import_case(const std::string& path, const std::vector<fs::path>& inputs, std::size_t& fed, std::string& why) {
    try {
        try {
            return import_onnx(path);
        } catch (const std::exception& e) {
            if (std::string(e.what()).find("must be known when the model is imported") == std::string::npos || inputs.empty()) throw;
        }
        OnnxImportOptions options;
        for (std::size_t i = 1; i < inputs.size(); ++i) {
            std::string name;
            TensorD v = load_onnx_tensor(inputs[i].string(), nullptr, &name);
            options.constant_inputs[name] = std::move(v);
        }
        fed = 1;
        return import_onnx(path, options);
    } catch (const std::exception& e) {
        why = e.what();
        return std::nullopt;
    }
}

class ConformanceRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(ConformanceRoundTrip, WriteReadWriteIsByteIdenticalAndBitExact) {
    const Case& c = GetParam();
    const auto inputs = input_files(c.dir() / "test_data_set_0");
    const std::string path = (c.dir() / "model.onnx").string();
    std::size_t fed = inputs.size();
    std::string why;
    const std::optional<Model> imported = import_case(path, inputs, fed, why);
    if (!imported) GTEST_SKIP() << "not imported: " << why;
    const Model& m = *imported;
    std::vector<Tensor> feeds;
    try {  // the test's own inputs when they fit the model, else random ones
        for (std::size_t i = 0; i < fed && fed == m.num_inputs(); ++i) {
            feeds.push_back(load_onnx_tensor(inputs[i].string()).cast<float>());
            if (feeds.back().shape() != m.input(i).shape()) throw std::invalid_argument("another shape");
        }
    } catch (const std::exception&) {  // e.g. a string tensor
        feeds.clear();
    }
    ScratchDir dir;
    expect_write_read_write(m, dir, feeds);
}

// Most of ONNX's node tests use ops xvis claims: a scan that found none would make this suite pass empty.
TEST(ConformanceRoundTripCoverage, MostModelsAreClaimed) { EXPECT_GT(cases().size(), 550u); }

INSTANTIATE_TEST_SUITE_P(Onnx, ConformanceRoundTrip, ::testing::ValuesIn(cases()), [](const ::testing::TestParamInfo<Case>& p) {
    std::string name = p.param.suite + "_" + p.param.name;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
});

}  // namespace
