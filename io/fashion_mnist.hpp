#pragma once
// Fashion-MNIST (Zalando): 28×28 grey images of 10 clothing classes, 60000 for training and 10000 for testing,
// as shipped by the Debian package dataset-fashion-mnist (gzipped IDX files).
#include <xvis/tensor/tensor.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

// Where dataset-fashion-mnist installs the files.
inline constexpr const char* fashion_mnist_default_dir = "/usr/share/datasets/fashion-mnist";

enum class DatasetSubset { train, test };

struct FashionMnist {
    Tensor images;                     // [N, 1, 28, 28] (channels_first), pixel / 255 in [0, 1]
    std::vector<std::uint8_t> labels;  // N class indices in 0..9

    std::size_t size() const { return labels.size(); }
};

// Class names by label: "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
// "Bag", "Ankle boot".
const std::array<std::string, 10>& fashion_mnist_class_names();

// "<dir>/train-images-idx3-ubyte.gz" (train) or "<dir>/t10k-images-idx3-ubyte.gz" (test); labels likewise.
// When the .gz file is missing but the uncompressed one exists, that one is used.
std::string fashion_mnist_images_path(const std::string& dir, DatasetSubset subset);
std::string fashion_mnist_labels_path(const std::string& dir, DatasetSubset subset);

// True when both files of `subset` can be opened (tests skip themselves otherwise).
bool fashion_mnist_available(const std::string& dir = fashion_mnist_default_dir, DatasetSubset subset = DatasetSubset::test);

// Loads `subset` (the first max_items samples when max_items > 0). Throws std::runtime_error naming the path and
// the problem: missing file, bad magic, truncated data, images not [N, H, W], labels not [N], image and label
// counts that differ (checked on the headers, so also when reading a prefix), labels > 9.
FashionMnist load_fashion_mnist(const std::string& dir = fashion_mnist_default_dir, DatasetSubset subset = DatasetSubset::train,
                                std::size_t max_items = 0);

}  // namespace xvis
