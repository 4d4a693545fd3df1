#!/usr/bin/python3
"""Export the full-size torchvision models that xvis_bench's BM_onnx_* rows read (see docs/onnx-performance.md).

Run with Debian's interpreter (torch 1.13, torchvision 0.14, onnx 1.12; no internet, no downloaded weights):

    /usr/bin/python3 scripts/export_bench_models.py DIR                  # resnet18, mobilenet_v2, efficientnet_b0, vit_b_16
    /usr/bin/python3 scripts/export_bench_models.py DIR --with-resnet50  # also resnet50.onnx (BM_onnx_import)
    /usr/bin/python3 scripts/export_bench_models.py DIR --only resnet18  # some models only
    XVIS_BENCH_ONNX_DIR=DIR build/bench/xvis_bench --benchmark_filter=BM_onnx

Writes DIR/<model>.onnx: torchvision's own constructors with random weights from fixed seeds (crc32 of the model
name), eval mode, batch 1 (no dynamic axes; xvis rebuilds the graph for other batch sizes), input 1x3x224x224
named 'input', output named 'logits', opset 13 for the CNNs and 17 for ViT-B/16 (LayerNormalization), constant
folding on (the exporter folds every BatchNorm that follows a Conv into that Conv). Nothing else is written:
these files are for timing, not for checking values (the files with float64 references are made by
scripts/make_onnx_fixtures.py --full).

Randomisation keeps activations of order 1 so that no kernel runs on denormals, infinities or all-zero data: Linear
layers get N(0, 1/fan_in) weights (torchvision zero-initialises the ViT head), zero biases N(0, 0.05), norm affine
parameters U(0.5, 1.5) / N(0, 0.2), BatchNorm running statistics measured on a random batch in train mode, and
ViT's class token N(0, 0.5). Two runs write byte-identical files.
"""

import argparse
import contextlib
import importlib
import io
import math
import os
import sys
import time
import warnings
import zlib

import torch
import torch.nn as nn
import onnx

# name -> (torchvision submodule, constructor, opset)
MODELS = {
    'resnet18': ('resnet', 'resnet18', 13),
    'mobilenet_v2': ('mobilenetv2', 'mobilenet_v2', 13),
    'efficientnet_b0': ('efficientnet', 'efficientnet_b0', 13),
    'vit_b_16': ('vision_transformer', 'vit_b_16', 17),
    'resnet50': ('resnet', 'resnet50', 13),
}
DEFAULT = ['resnet18', 'mobilenet_v2', 'efficientnet_b0', 'vit_b_16']
SHAPE = (1, 3, 224, 224)


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7fffffff


def randomise(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 1.0 / math.sqrt(m.in_features))
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None and not m.bias.any():
                m.bias.normal_(0.0, 0.05)
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)) and m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
        if hasattr(model, 'class_token'):
            model.class_token.normal_(0.0, 0.5)
        bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if bns:
            for m in bns:
                m.reset_running_stats()
                m.momentum = None          # cumulative average over the calibration batch
            model.train()
            model(torch.randn((2,) + SHAPE[1:]))
            for m in bns:
                m.momentum = 0.1           # the exporter needs a number here
    return model.eval()


def export(name, out_dir):
    module, ctor, opset = MODELS[name]
    torch.manual_seed(seed_of(name))
    model = randomise(getattr(importlib.import_module('torchvision.models.' + module), ctor)())
    x = torch.randn(SHAPE)
    path = os.path.join(out_dir, name + '.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        # Not under no_grad: ViT's eval-mode fast path (aten::_native_multi_head_attention) has no ONNX form.
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(model, x, path, opset_version=opset, input_names=['input'], output_names=['logits'],
                              do_constant_folding=True)
    onnx.checker.check_model(path)   # by path: works for files over 2 GB too
    with torch.no_grad():
        y = model(x)
    assert y.shape == (1, 1000) and torch.isfinite(y).all(), name
    return path, opset, float(y.std()), sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('dir', help='output directory (created if missing)')
    ap.add_argument('--with-resnet50', action='store_true', help='also export resnet50.onnx (about 100 MB)')
    ap.add_argument('--only', nargs='+', choices=sorted(MODELS), metavar='NAME',
                    help='export only these models (' + ', '.join(sorted(MODELS)) + ')')
    args = ap.parse_args()
    names = args.only or DEFAULT + (['resnet50'] if args.with_resnet50 else [])
    os.makedirs(args.dir, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name in names:
        t = time.time()
        path, opset, std, params = export(name, args.dir)
        print(f'{name:16s} opset {opset}  {os.path.getsize(path) / 2**20:7.1f} MiB  params {params:>9d}  '
              f'logit std {std:6.3f}  {time.time() - t:5.1f} s  -> {path}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
