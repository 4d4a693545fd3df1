#include "inputs.hpp"

#include <sstream>
#include <stdexcept>

namespace xvis::cli {

Model load_model(const std::string& spec, std::uint64_t seed) {
    if (spec.rfind("arch:", 0) == 0) return make_architecture(spec.substr(5), seed);
    return load_onnx(spec);
}

std::int64_t resolve_layer(const Model& model, const std::string& spec) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(spec, &used);
        if (used == spec.size()) {
            model.layer(v);  // range check with a message naming the count
            return v;
        }
    } catch (const std::invalid_argument&) {
    } catch (const std::out_of_range&) {
    }
    return static_cast<std::int64_t>(model.find_layer_idx(spec));
}

std::optional<TokenGrid> parse_token_grid(const std::string& spec) {
    if (spec.empty()) return std::nullopt;
    const auto number = [&](const std::string& part) {
        if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
            throw std::invalid_argument("--tokens '" + spec + "': expected SKIP or SKIP:HxW with whole numbers (a ViT: 1, or 1:14x14)");
        return static_cast<std::size_t>(std::stoul(part));
    };
    TokenGrid g;
    const auto colon = spec.find(':');
    g.skip = number(spec.substr(0, colon));
    if (colon == std::string::npos) return g;
    const std::string grid = spec.substr(colon + 1);
    const auto x = grid.find('x');
    if (x == std::string::npos) number("");  // throws the message above
    g.height = number(grid.substr(0, x));
    g.width = number(grid.substr(x + 1));
    if (g.height == 0 || g.width == 0) throw std::invalid_argument("--tokens '" + spec + "': the grid's height and width must be at least 1");
    return g;
}

ModelInput load_input(const std::string& image_path, long dataset_index, const std::string& dataset_dir, const Preprocessing& p,
                      std::size_t channels) {
    ModelInput in;
    if (!image_path.empty()) {
        in.picture = read_image(image_path);  // [H, W, C] 0..255
    } else {
        if (dataset_index < 0) throw std::invalid_argument("give an input: --image FILE or --index N (a Fashion-MNIST test image)");
        if (channels != 1 || p.height != 28 || p.width != 28)
            throw std::invalid_argument("--index needs a model with 1×28×28 input (Fashion-MNIST); this one takes " + std::to_string(channels) + "×" +
                                        std::to_string(p.height) + "×" + std::to_string(p.width));
        const FashionMnist test = load_fashion_mnist(dataset_dir, DatasetSubset::test, static_cast<std::size_t>(dataset_index) + 1);
        if (static_cast<std::size_t>(dataset_index) >= test.size())
            throw std::out_of_range("--index " + std::to_string(dataset_index) + " is past the " + std::to_string(test.size()) + " test images");
        // The dataset holds pixels / 255; as a 0..255 picture it goes through the same preprocessing as a file.
        in.picture = Tensor({28, 28, 1});
        const float* src = test.images.data() + dataset_index * 784;
        for (std::size_t i = 0; i < 784; ++i) in.picture[i] = src[i] * 255.0f;
        in.label = test.labels[static_cast<std::size_t>(dataset_index)];
        in.from_dataset = true;
    }
    in.p = p;
    in.channels = channels;
    in.x = preprocess_image(in.picture, p, channels);
    return in;
}

std::vector<std::int64_t> parse_indices(const std::string& text) {
    std::vector<std::int64_t> out;
    if (text.empty() || text == "all") return out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            std::size_t used = 0;
            out.push_back(std::stoll(item, &used));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception&) {
            throw std::invalid_argument("'" + text + "' is not a comma-separated list of integers");
        }
    }
    return out;
}

}  // namespace xvis::cli
