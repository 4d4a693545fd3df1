#pragma once
// xvis: activation maximization, saliency and Grad-CAM on a symbolic reverse-mode autodiff engine.
// This header includes the whole public API.
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>
#include <xvis/tensor/shape.hpp>
#include <xvis/tensor/tensor.hpp>
