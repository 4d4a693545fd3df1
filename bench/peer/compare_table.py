"""Workload list, statistics and the markdown table of scripts/compare.sh (standard library only)."""

import statistics

FLOP_CONV = 2 * 64 * 56 * 56 * 64 * 9  # conv 3x3 64->64 on 56x56, pad 1, batch 1

# name, label, group, target ratio at (1, 2) threads or a text, what each side times (the same on both sides)
SALIENCY = ('forward, d logit₃/d input, |g|, max over channels, per-sample normalization; xvis: a reused Saliency '
            '(compiled before timing); PyTorch: frozen weights (no weight gradients), autograd.grad')
GRADCAM = ('forward, d logit₃/d A (nothing below A), channel weights, relu(Σ w·A), bilinear upsampling to 224², '
           'normalization; xvis: a reused GradCam (compiled before timing); PyTorch: a forward hook makes A the graph\'s '
           'leaf; A = the input of the head\'s global average pool')
GRADCAM_TOKENS = ('as the Grad-CAM rows, with A = the tokens entering the last block\'s attention (encoder_layer_11 '
                  'ln_1 output, [1, 197, 768]), class token dropped and the 196 patch tokens read as 14×14 '
                  '(pytorch-grad-cam\'s reshape_transform; xvis: CamOptions::token_grid)')
LOSS = 'loss value and its input gradient (xvis: one compiled function; PyTorch: autograd.grad)'
WORKLOADS = [
    ('conv_fwd', 'conv 3×3 64→64 on 56², forward', 'conv', '≥ 80 % of FMA peak',
     'the kernel on preallocated buffers (xvis conv2d_forward; PyTorch F.conv2d under no_grad: oneDNN, allocates its output)'),
    ('conv_bwd_data', 'conv 3×3 64→64 on 56², backward-data', 'conv', '≥ 80 % of FMA peak',
     'input gradient only (xvis conv2d_backward_data; PyTorch aten.convolution_backward, output mask (input))'),
    ('w1_saliency_b1', 'W1 Fashion-MNIST CNN saliency, batch 1', 'w1', (1.2, 1.5), SALIENCY),
    ('w1_saliency_b64', 'W1 Fashion-MNIST CNN saliency, batch 64', 'w1', (1.2, 1.5), SALIENCY),
    ('w2_am_step', 'W2 VGG-mini activation-maximization step', 'w2', (1.2, 1.5),
     'per iteration (calls of 10 iterations from a fresh random image): jitter, forward to b3c1 ReLU, AM(7) + '
     '1e-4·LP(6) + 10·TV(2), d/d input, L2 normalization, RMSprop, best input; per call the deprocessed image'),
    ('resnet18_saliency_b1', 'W3 ResNet-18 saliency (torchvision → ONNX → xvis)', 'w3', (1.2, 1.5), SALIENCY),
    ('resnet18_gradcam_b1', 'W3 ResNet-18 Grad-CAM on layer4, compiled', 'w3', (1.2, 1.5), GRADCAM),
    ('loss_tv', 'W4 TotalVariation(β 2) loss + gradient, 3×224×224', 'w4', (1.2, 1.5), LOSS),
    ('loss_lp', 'W4 LPNorm(p 6) loss + gradient, 3×224×224', 'w4', (1.2, 1.5), LOSS),
    ('loss_am', 'W4 ActivationMaximization loss + gradient, 512×14×14', 'w4', (1.2, 1.5), LOSS),
    ('loss_am_64x112x112', 'ActivationMaximization loss + gradient, 64×112×112', 'w4', (1.2, 1.5), LOSS),
]
for _m, _label in [('resnet50', 'ResNet-50'), ('mobilenet_v2', 'MobileNetV2'), ('efficientnet_b0', 'EfficientNet-B0'),
                   ('convnext_tiny', 'ConvNeXt-T'), ('vit_b_16', 'ViT-B/16')]:
    WORKLOADS.append((_m + '_saliency_b1', _label + ' saliency, batch 1', 'models', (1.2, 1.5), SALIENCY))
    WORKLOADS.append((_m + '_gradcam_b1', _label + ' Grad-CAM, batch 1, compiled', 'models', (1.2, 1.5),
                      GRADCAM_TOKENS if _m == 'vit_b_16' else GRADCAM))
WORKLOADS += [
    ('resnet18_saliency_b64', 'ResNet-18 saliency, batch 64', 'batch64', (1.2, 1.5), SALIENCY),
    ('train_epoch', 'Fashion-MNIST training epoch (W1 CNN, batch 64, Adam)', 'train', (1.2, 1.5),
     'one epoch (shuffle, forward, cross-entropy, all weight gradients, Adam, running loss / accuracy), data in '
     'memory; xvis: fit() including its graph compilation'),
]
BY_NAME = {w[0]: w for w in WORKLOADS}
GROUPS = sorted({w[2] for w in WORKLOADS}) + ['busy', 'rss']
QUICK = ['conv_fwd', 'w1_saliency_b1', 'w2_am_step', 'resnet18_saliency_b1', 'resnet18_gradcam_b1', 'loss_am',
         'loss_am_64x112x112', 'resnet50_saliency_b1', 'train_epoch']
BUSY = ['w1_saliency_b1', 'resnet18_saliency_b1']  # 1 and 2 threads while another process keeps a core busy
RSS = 'resnet50_saliency_b1'                       # its 1-thread runs give the peak RSS rows
# Issue 13's 2-thread speed-up targets (xvis's 1-thread median / its 2-thread median): conv-heavy work, and the
# batch-1 CNN.
SPEEDUP_TARGETS = [(['conv_fwd', 'conv_bwd_data', 'w2_am_step', 'resnet18_saliency_b1', 'resnet18_gradcam_b1',
                     'resnet50_saliency_b1', 'resnet50_gradcam_b1', 'resnet18_saliency_b64'], 'conv-heavy', 1.8),
                   (['w1_saliency_b1'], 'batch-1 CNN', 1.5)]

# (warmup, reps, min_time s) per run; quick mode uses QUICK_TIMING unless the workload is heavier.
TIMING = {'default': (2, 5, 0.5), 'w2_am_step': (1, 5, 1.0), 'train_epoch': (0, 1, 0.0),
          'resnet18_saliency_b64': (1, 2, 0.0), 'vit_b_16_saliency_b1': (1, 5, 1.0), 'vit_b_16_gradcam_b1': (1, 5, 1.0), 'convnext_tiny_saliency_b1': (1, 5, 1.0),
          'resnet50_saliency_b1': (1, 5, 1.0)}
QUICK_TIMING = {'default': (1, 3, 0.2), 'train_epoch': (0, 1, 0.0), 'resnet18_saliency_b64': (1, 1, 0.0)}


def timing(name, quick):
    table = QUICK_TIMING if quick else TIMING
    return table.get(name, table['default'])


def median(v):
    return statistics.median(v) if v else None


def fmt_time(ms):
    if ms is None:
        return '—'
    if ms < 1:
        return f'{ms * 1e3:.3g} µs'
    if ms < 1000:
        return f'{ms:.3g} ms'
    return f'{ms / 1e3:.3g} s'


def summary(rounds):
    """rounds: per-round lists of samples (ms). Median of the round medians, and the spread: min–max of the
    round medians with 2+ rounds, else min–max of the one round's samples."""
    meds = [median(r) for r in rounds if r]
    if not meds:
        return None, '—'
    lo, hi = (min(meds), max(meds)) if len(meds) > 1 else (min(rounds[0]), max(rounds[0]))
    return median(meds), f'{fmt_time(lo)}–{fmt_time(hi)}'


def ratio_cell(x_rounds, t_rounds):
    xm, tm = summary(x_rounds)[0], summary(t_rounds)[0]
    if xm is None or tm is None:
        return '—'
    per_round = [median(t) / median(x) for x, t in zip(x_rounds, t_rounds) if x and t]
    rng = f' ({min(per_round):.2f}–{max(per_round):.2f})' if len(per_round) > 1 else ''
    return f'**{tm / xm:.2f}**{rng}'


def target_cell(target, threads):
    if isinstance(target, str):
        return target
    if threads == '1+busy':
        return 'reference'
    return f'≥ {target[0 if threads == "1" else 1]}' if threads in ('1', '2') else '≤ 1.2× own 1-thread'


def note_cell(name, threads, xm, tm, results):
    if name in ('conv_fwd', 'conv_bwd_data') and xm and tm:
        peak = results.get('peak', {}).get(threads)
        share = f' ({FLOP_CONV / xm / 1e6 / peak:.0%} of peak)' if peak else ''
        # Direct-convolution FLOPs for both sides: Winograd (xvis) does 2.25× fewer multiply-adds, so it can
        # read above 100 % (docs/performance.md, "Convolution algorithms").
        return f'{FLOP_CONV / xm / 1e6:.0f}{share} / {FLOP_CONV / tm / 1e6:.0f} GFLOP/s (direct-conv FLOPs)'
    if name == 'train_epoch' and xm and tm:
        n = results.get('train_images', 60000)
        return f'{n / xm * 1e3:,.0f} / {n / tm * 1e3:,.0f} images/s'
    if threads == '2+busy':
        # Against the idle 1-thread run, and against the 1-thread run with the same core busy (the issue's "the
        # 1-thread run in that situation": on these VMs a busy core slows a lone thread on the other one too).
        cells = []
        for ref, what in (('1', 'vs own 1-thread'), ('1+busy', 'vs own 1-thread with a core busy')):
            one_x = summary(results['runs'].get(f'{name}|{ref}|xvis', []))[0]
            one_t = summary(results['runs'].get(f'{name}|{ref}|torch', []))[0]
            parts = []
            if xm and one_x:
                parts.append(f'xvis {xm / one_x:.2f}×')
            if tm and one_t:
                parts.append(f'PyTorch {tm / one_t:.2f}×')
            if parts:
                cells.append(what + ': ' + ', '.join(parts))
        return '; '.join(cells)
    return ''


def table(results):
    """The markdown table: one row per workload and thread count (ratios first), then the peak-RSS row."""
    runs = results['runs']
    lines = ['| workload | threads | PyTorch / xvis (per-round range) | xvis median | xvis spread | PyTorch median '
             '| PyTorch spread | target ratio | note (xvis / PyTorch) |', '|---|---|---|---|---|---|---|---|---|']
    for name, label, _group, target, _what in WORKLOADS:
        for threads in ('1', '2', '1+busy', '2+busy'):
            x, t = runs.get(f'{name}|{threads}|xvis'), runs.get(f'{name}|{threads}|torch')
            if x is None and t is None:
                continue
            x, t = x or [], t or []
            (xm, xs), (tm, ts) = summary(x), summary(t)
            shown = {'1+busy': '1, a core busy', '2+busy': '2, a core busy'}.get(threads, threads)
            lines.append(f'| {label} | {shown} | {ratio_cell(x, t)} | {fmt_time(xm)} | {xs} | {fmt_time(tm)} | {ts} | '
                         f'{target_cell(target, threads)} | {note_cell(name, threads, xm, tm, results)} |')
    rss = results.get('rss', {})
    if rss:
        xr, tr = max(rss.get('xvis', [0])), max(rss.get('torch', [0]))
        ratio = f'**{tr / xr:.2f}**' if xr and tr else '—'
        lines.append(f'| peak RSS, ResNet-50 saliency (whole process) | 1 | {ratio} | {xr / 1024:.0f} MiB | | '
                     f'{tr / 1024:.0f} MiB | | ≥ 1 (≤ PyTorch\'s) | max over rounds (getrusage) |')
    return '\n'.join(lines)


def speedups(results):
    """xvis's 2-thread speed-ups on the workloads the targets name, one line per target."""
    runs, label = results['runs'], {w[0]: w[1] for w in WORKLOADS}
    lines = []
    for names, what, target in SPEEDUP_TARGETS:
        cells = []
        for name in names:
            one, two = summary(runs.get(f'{name}|1|xvis', []))[0], summary(runs.get(f'{name}|2|xvis', []))[0]
            if one and two:
                cells.append(f'{label[name]} {one / two:.2f}×' + ('' if one / two >= target else ' (below)'))
        if cells:
            lines.append(f'xvis 2-thread speed-up, {what} (1-thread / 2-thread median; target ≥ {target}×): ' + '; '.join(cells) + '.')
    return '\n'.join(lines)


def notes(results):
    """What each side times, per workload present in the run."""
    present = {k.split('|')[0] for k in results['runs']}
    out = []
    for name, label, _g, _t, what in WORKLOADS:
        if name in present:
            out.append(f'- {label}: {what}.')
    return '\n'.join(out)
