#pragma once
// Colormaps that turn a heat-map [H, W] with values in [0, 1] into an RGB image [H, W, 3] in [0, 255], as
// matplotlib draws them (keras-vis colors its saliency and Grad-CAM maps with matplotlib's jet).
//   jet:     matplotlib's LinearSegmentedColormap "jet" as a 256-entry table: entry i samples the piecewise linear
//            segments at x = i / 255; value v picks entry min(floor(v · 256), 255) (matplotlib's lookup). Segments
//            (x, value): red (0, 0) (0.35, 0) (0.66, 1) (0.89, 1) (1, 0.5); green (0, 0) (0.125, 0) (0.375, 1)
//            (0.64, 1) (0.91, 0) (1, 0); blue (0, 0.5) (0.11, 1) (0.34, 1) (0.65, 0) (1, 0).
//   viridis: matplotlib's 256-entry viridis table (CC0, van der Walt & Smith), same lookup as jet.
//   gray:    (v, v, v) · 255, continuous (no table).
// Each channel is the table value · 255 as a float (not rounded: keras-vis truncates with np.uint8, write_png
// rounds). Values outside [0, 1] are clipped; NaN counts as 0.
#include <xvis/tensor/enum_names.hpp>
#include <xvis/tensor/tensor.hpp>

#include <array>
#include <string>

namespace xvis {

enum class Colormap { jet, viridis, gray };

// matplotlib's names.
template <>
struct EnumNames<Colormap> {
    static constexpr const char* type_name = "Colormap";
    static constexpr const char* noun = "colormap";
    static constexpr EnumName<Colormap> table[] = {{"jet", Colormap::jet}, {"viridis", Colormap::viridis}, {"gray", Colormap::gray}};
};

// "jet", "viridis", "gray".
inline std::string to_string(Colormap colormap) { return enum_name(colormap); }
// Same as from_string<Colormap> (the command line's --colormap): unknown → std::invalid_argument listing the names.
inline Colormap colormap_from_string(const std::string& name) { return from_string<Colormap>(name); }

// RGB in [0, 255] of one value v (clipped to [0, 1], NaN → 0).
std::array<float, 3> colormap_color(double v, Colormap colormap);

// heatmap [H, W] (or [H, W, 1]) → [H, W, 3]: out(y, x, :) = colormap_color(heatmap(y, x)). Other shapes → ShapeError.
Tensor apply_colormap(const Tensor& heatmap, Colormap colormap = Colormap::jet);

}  // namespace xvis
