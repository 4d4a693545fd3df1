#pragma once
// xvis: activation maximization, saliency and Grad-CAM on a symbolic reverse-mode autodiff engine.
// This header includes the whole public API.
#include <xvis/tensor/aligned_allocator.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>
#include <xvis/tensor/shape.hpp>
#include <xvis/tensor/tensor.hpp>
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/pooling.hpp>
#include <xvis/autodiff/node.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/op_support.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/autodiff/dot.hpp>
#include <xvis/tensor/data_format.hpp>
#include <xvis/losses/loss.hpp>
#include <xvis/losses/activation_maximization.hpp>
#include <xvis/losses/lp_norm.hpp>
#include <xvis/losses/total_variation.hpp>
