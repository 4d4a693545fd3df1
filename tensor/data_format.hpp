#pragma once
// Data formats of image tensors. channels_first = NCHW (N, C, spatial...); channels_last = NHWC
// (N, spatial..., C). Ranks 2 to 5: dense [N, C], 1-D [N, C, W], 2-D, 3-D images.
#include <xvis/tensor/enum_names.hpp>
#include <xvis/tensor/shape.hpp>

#include <cstdint>
#include <string>

namespace xvis {

enum class DataFormat { channels_first, channels_last };

// Keras's image_data_format() names.
template <>
struct EnumNames<DataFormat> {
    static constexpr const char* type_name = "DataFormat";
    static constexpr const char* noun = "data format";
    static constexpr EnumName<DataFormat> table[] = {{"channels_first", DataFormat::channels_first},
                                                     {"channels_last", DataFormat::channels_last}};
};

// "channels_first" / "channels_last"; parse with from_string<DataFormat>.
inline std::string to_string(DataFormat f) { return enum_name(f); }

// Axis of the channels in a tensor of this rank (rank 2: axis 1 in both formats).
std::size_t channel_axis(std::size_t rank, DataFormat f);

// keras-vis get_img_shape: (batch, channels, spatial...) whatever the format.
Shape get_img_shape(const Shape& shape, DataFormat f);

// keras-vis slicer: an index written in channels_first order (batch, channel, spatial...) moved to the
// tensor's format (for channels_last the channel index goes last).
std::vector<std::int64_t> slicer(const std::vector<std::int64_t>& channels_first_index, DataFormat f);

}  // namespace xvis
