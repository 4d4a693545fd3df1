#pragma once
// keras-vis utils.stitch_images: lays images out on a grid, e.g. the filters of one layer.
#include <xvis/tensor/tensor.hpp>

#include <cstddef>
#include <vector>

namespace xvis {

// n images of one shape [H, W, C] (or [H, W]) into a grid of rows = ceil(n / cols) rows and cols' = min(cols, n)
// columns, filled row by row; image k lands at top-left (row · (H + margin), col · (W + margin)) with
// row = k / cols, col = k % cols. Output [rows·H + (rows − 1)·margin, cols'·W + (cols' − 1)·margin, C],
// `background` (0 as in keras-vis) between and after the images.
// Differences from keras-vis: an empty list throws std::invalid_argument (keras-vis returns None); cols = 0 throws
// std::invalid_argument; images of differing shapes (or a rank other than 2 or 3) throw ShapeError naming the index.
Tensor stitch_images(const std::vector<Tensor>& images, std::size_t margin = 5, std::size_t cols = 5, float background = 0.0f);

}  // namespace xvis
