#include <xvis/tensor/data_format.hpp>

namespace xvis {

std::size_t channel_axis(std::size_t rank, DataFormat f) {
    if (rank < 2)
        throw ShapeError(std::string("channel_axis: rank ") + std::to_string(rank) +
                         " has no channel axis (expected rank >= 2: batch and channels)");
    return f == DataFormat::channels_first ? 1 : rank - 1;
}

Shape get_img_shape(const Shape& shape, DataFormat f) {
    const std::size_t c = channel_axis(shape.size(), f);
    Shape out{shape[0], shape[c]};
    for (std::size_t i = 1; i < shape.size(); ++i)
        if (i != c) out.push_back(shape[i]);
    return out;
}

std::vector<std::int64_t> slicer(const std::vector<std::int64_t>& index, DataFormat f) {
    if (f == DataFormat::channels_first || index.size() < 2) return index;
    std::vector<std::int64_t> out{index[0]};
    out.insert(out.end(), index.begin() + 2, index.end());
    out.push_back(index[1]);
    return out;
}

}  // namespace xvis
