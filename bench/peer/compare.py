#!/usr/bin/env python3
"""xvis against PyTorch, side by side in one run (issue 13). Called by scripts/compare.sh; standard library only.

For each workload (bench/peer/compare_table.py) and round, xvis_peer and torch_peer.py run in turn (the order
alternates between rounds), each in a fresh process at 1 and 2 threads, after waiting for the machine to be
idle. Each process sets its workload up untimed and times calls one by one; a round's value is the median of its
calls, the result the median of the rounds. The busy-machine rows run 2 threads, and 1 thread for reference, while another
process keeps one core busy. Peak RSS comes from getrusage of the ResNet-50 saliency processes. Weights are checked to be the same
on both sides (logits of one input) before anything is timed.
"""

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_table as ct  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread'
OWN = {'fashion_cnn', 'vgg_mini'}


def cpu_times():
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]  # total, idle + iowait (jiffies)


def busy_cores(seconds=1.0):
    """Average number of cores busy over `seconds` (all processes)."""
    t0, i0 = cpu_times()
    time.sleep(seconds)
    t1, i1 = cpu_times()
    return (os.cpu_count() or 1) * (1 - (i1 - i0) / max(1, t1 - t0))


def wait_idle(max_wait, threshold, log):
    """Waits (up to max_wait s) until under `threshold` cores are busy; returns what was seen last."""
    start = time.time()
    while True:
        busy, load = busy_cores(), os.getloadavg()[0]
        if busy < threshold or time.time() - start >= max_wait:
            if busy >= threshold:
                log(f'compare: WARNING machine not idle after {max_wait:.0f} s ({busy:.2f} cores busy, load {load:.2f}); '
                    'measuring anyway, ratios are less reliable')
            return {'busy_cores': round(busy, 2), 'load1': round(load, 2), 'waited_s': round(time.time() - start, 1)}
        time.sleep(5)


def run_child(cmd, env, log):
    """Runs cmd; returns (parsed JSON of its last stdout line or None, rusage, others' busy cores during the run)."""
    t0, i0 = cpu_times()
    w0 = time.monotonic()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = p.stdout.read().decode()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        p.stdout.close()
        wall = time.monotonic() - w0
        t1, i1 = cpu_times()
        if p.returncode != 0:
            err.seek(0)
            log(f'compare: FAILED ({p.returncode}): {shlex.join(cmd)}\n{err.read().decode()[-2000:]}')
            return None, ru, 0.0
    hz = os.sysconf('SC_CLK_TCK')
    others = ((t1 - t0) - (i1 - i0)) / hz - (ru.ru_utime + ru.ru_stime)
    lines = [ln for ln in out.splitlines() if ln.startswith('{')]
    return (json.loads(lines[-1]) if lines else None), ru, max(0.0, others / wall)


class Sides:
    def __init__(self, a, log):
        self.a, self.log = a, log
        self.xvis = [a.xvis_peer]
        self.torch = [a.torch_python, os.path.join(HERE, 'torch_peer.py')]

    def env(self, side, threads):
        e = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        if side == 'torch' and self.a.blas == 'openblas' and os.path.isdir(OPENBLAS):
            e['LD_LIBRARY_PATH'] = OPENBLAS + (':' + e['LD_LIBRARY_PATH'] if e.get('LD_LIBRARY_PATH') else '')
        return e

    def cmd(self, side, *args):
        return (self.xvis if side == 'xvis' else self.torch) + list(args)

    def run(self, side, workload, threads):
        warmup, reps, min_time = ct.timing(workload, self.a.quick)
        args = ['run', workload, '--threads', str(threads), '--warmup', str(warmup), '--reps', str(reps),
                '--min-time', str(min_time), '--onnx-dir', self.a.cache, '--fashion-dir', self.a.fashion_dir]
        if self.a.train_images:
            args += ['--train-images', str(self.a.train_images)]
        if self.a.dry_run:
            print('would run:', shlex.join(self.cmd(side, *args)))
            return None, None, 0.0
        return run_child(self.cmd(side, *args), self.env(side, threads), self.log)


def models_needed(workloads):
    need = set()
    for w in workloads:
        for kind in ('_saliency_b', '_gradcam_b'):
            if kind in w:
                m = w.split(kind)[0]
                need.add('fashion_cnn' if m == 'w1' else m)
    if 'w2_am_step' in workloads:
        need.add('vgg_mini')
    if 'train_epoch' in workloads:
        need.add('fashion_cnn')
    return sorted(need)


def prepare(sides, workloads, use_torch, log):
    """Exports the models into the cache and checks that both sides compute the same logits."""
    a, need = sides.a, models_needed(workloads)
    os.makedirs(a.cache, exist_ok=True)
    checks = {}
    if a.dry_run or not need:
        return checks
    subprocess.run(sides.cmd('xvis', 'export-own', a.cache), check=True)
    tv = [m for m in need if m not in OWN]
    if use_torch and tv:
        subprocess.run(sides.cmd('torch', 'prepare', a.cache, *tv), check=True, env=sides.env('torch', 2))
    for m in need:
        if not os.path.isfile(os.path.join(a.cache, m + '.onnx')):
            raise SystemExit(f'compare: {a.cache}/{m}.onnx is missing (made by torch_peer.py prepare: PyTorch needed)')
        if not use_torch:
            continue
        got = {}
        for side in ('xvis', 'torch'):
            r = subprocess.run(sides.cmd(side, 'logits', m, '--onnx-dir', a.cache), check=True, capture_output=True,
                               text=True, env=sides.env(side, 2))
            got[side] = json.loads(r.stdout.strip().splitlines()[-1])['logits']
        scale = max(abs(v) for v in got['torch']) or 1.0
        diff = max(abs(p - q) for p, q in zip(got['xvis'], got['torch'])) / scale
        checks[m] = diff
        if len(got['xvis']) != len(got['torch']) or diff > 1e-3:
            raise SystemExit(f'compare: {m}: xvis and PyTorch logits differ (max |Δ| / max |logit| = {diff:.2e}): '
                             f'not the same weights; remove {a.cache}/{m}.onnx and run again')
    return checks


def pick_workloads(a):
    if a.workloads:
        names = a.workloads.split(',')
    elif a.only:
        groups = set(a.only.split(','))
        names = [w[0] for w in ct.WORKLOADS if w[2] in groups]
        if 'busy' in groups:
            names += [b for b in ct.BUSY if b not in names]
        if 'rss' in groups and ct.RSS not in names:
            names.append(ct.RSS)
    else:
        names = ct.QUICK if a.quick else [w[0] for w in ct.WORKLOADS]
    unknown = [n for n in names if n not in ct.BY_NAME]
    if unknown:
        raise SystemExit(f'compare: unknown workload(s) {unknown}; known: {", ".join(ct.BY_NAME)}')
    skip = set(a.skip.split(',')) if a.skip else set()
    return [n for n in names if n not in skip and ct.BY_NAME[n][2] not in skip]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true', help='1 round, few calls, a subset, 6,400 training images')
    ap.add_argument('--rounds', type=int, help='rounds (default 3, quick 1)')
    ap.add_argument('--threads', default='1,2', help='thread counts (default 1,2)')
    ap.add_argument('--workloads', help='comma-separated names (see --list)')
    ap.add_argument('--only', help='comma-separated groups: ' + ','.join(ct.GROUPS))
    ap.add_argument('--skip', help='comma-separated workloads or groups to leave out')
    ap.add_argument('--no-busy', action='store_true', help='leave out the busy-machine rows')
    ap.add_argument('--list', action='store_true', help='print the workloads and groups, then exit')
    ap.add_argument('--xvis-only', action='store_true', help='run only the xvis side (no PyTorch needed; models must be cached)')
    ap.add_argument('--dry-run', action='store_true', help='print the commands instead of running them')
    ap.add_argument('--xvis-peer', default=os.environ.get('XVIS_PEER', os.path.join(REPO, 'build', 'bench', 'xvis_peer')))
    ap.add_argument('--torch-python', default=os.environ.get('XVIS_TORCH_PYTHON', '/usr/bin/python3'))
    ap.add_argument('--blas', choices=['openblas', 'default'], default='openblas',
                    help="PyTorch's BLAS: OpenBLAS from libopenblas0-pthread when installed (default), or the system's")
    ap.add_argument('--cache', default=os.environ.get('XVIS_COMPARE_CACHE') or os.path.expanduser('~/.cache/xvis-compare'))
    ap.add_argument('--fashion-dir', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--train-images', type=int, help='training images per epoch (default 60,000; quick 6,400)')
    ap.add_argument('--max-wait', type=float, help='seconds to wait for an idle machine per round (default 300, quick 0)')
    ap.add_argument('--idle-cores', type=float, default=0.3, help='busy cores (others) under which the machine counts as idle')
    ap.add_argument('--json', help='also write the raw samples here')
    ap.add_argument('--report', metavar='JSON', help='print the table of an earlier run (its --json file) again')
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            results = json.load(f)
        report(results)
        return 0
    if a.list:
        for w in ct.WORKLOADS:
            print(f'{w[0]:28s} {w[2]:8s} {w[1]}')
        print('groups:', ', '.join(ct.GROUPS), '| quick:', ', '.join(ct.QUICK))
        return 0
    rounds = a.rounds or (1 if a.quick else 3)
    a.train_images = a.train_images if a.train_images is not None else (6400 if a.quick else 0)
    max_wait = a.max_wait if a.max_wait is not None else (0 if a.quick else 300)
    threads = [int(t) for t in a.threads.split(',')]
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    workloads = pick_workloads(a)
    busy = [] if a.no_busy or 2 not in threads else [b for b in ct.BUSY if b in workloads]

    use_torch = not a.xvis_only
    if use_torch and not a.dry_run:
        probe = subprocess.run([a.torch_python, '-c', 'import torch, torchvision, onnx'], capture_output=True)
        if probe.returncode != 0:
            print(f'compare: PyTorch not found ({a.torch_python} cannot import torch, torchvision and onnx: install '
                  'python3-torch python3-torchvision python3-onnx); skipping the comparison.')
            return 0
    if not os.access(a.xvis_peer, os.X_OK):
        raise SystemExit(f'compare: {a.xvis_peer} not found: cmake --build build --target xvis_peer')
    sides = Sides(a, log)
    checks = prepare(sides, workloads, use_torch, log)
    results = {'runs': {}, 'rss': {}, 'peak': {}, 'train_images': a.train_images or 60000, 'rounds': [], 'checks': checks}
    t_start = time.time()
    try:
        measure(a, sides, workloads, threads, busy, rounds, max_wait, use_torch, results, log)
    except KeyboardInterrupt:  # Ctrl-C: the table of what was measured so far
        log('compare: interrupted; the table holds the rounds measured so far')
        results['interrupted'] = True
    if a.dry_run:
        return 0
    lscpu = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    results['meta'] = {
        'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), 'rounds': rounds, 'minutes': round((time.time() - t_start) / 60),
        'machine': next((ln.split(':', 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith('Model name')), '?'),
        'cores': os.cpu_count(), 'command': 'scripts/compare.sh ' + shlex.join(sys.argv[1:])}
    report(results)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


def measure(a, sides, workloads, threads, busy, rounds, max_wait, use_torch, results, log):
    for r in range(rounds):
        state = wait_idle(max_wait, a.idle_cores, log) if not a.dry_run else {}
        state['round'] = r + 1
        results['rounds'].append(state)
        if not a.dry_run:
            for t in threads:
                peak = run_child(sides.cmd('xvis', 'peak', '--threads', str(t)), sides.env('xvis', t), log)[0]
                if peak:
                    results['peak'][str(t)] = max(results['peak'].get(str(t), 0), peak['fma_peak_gflops'])
                    results['peak_isa'] = peak.get('isa', 'avx2')
                    bw = results.setdefault('read_gbps', {})
                    bw[str(t)] = max(bw.get(str(t), 0), peak.get('read_gbps', 0))
        interference = state.setdefault('others', [])
        order = ['xvis', 'torch'] if r % 2 == 0 else ['torch', 'xvis']
        if not use_torch:
            order = ['xvis']
        plan = [(w, t) for w in workloads for t in threads] + [(b, t) for b in busy for t in ('1+busy', '2+busy')]
        for w, t in plan:
            busy_run = isinstance(t, str) and t.endswith('+busy')
            burner = subprocess.Popen(['/bin/sh', '-c', 'while :; do :; done']) if busy_run and not a.dry_run else None
            try:
                for side in order:
                    log(f'compare: round {r + 1}/{rounds} {w} threads {t} {side}')
                    res, ru, others = sides.run(side, w, int(t.split('+')[0]) if busy_run else t)
                    if res is None:
                        continue
                    results['runs'].setdefault(f'{w}|{t}|{side}', []).append(res['ms'])
                    results.setdefault('build', {})[side] = res.get('build')
                    interference.append(others - (1.0 if burner else 0.0))
                    if w == ct.RSS and t == 1:
                        results['rss'].setdefault(side, []).append(ru.ru_maxrss)
            finally:
                if burner:
                    burner.kill()
                    burner.wait()
                if interference:
                    state['others_cores_median'] = round(sorted(interference)[len(interference) // 2], 2)
                    state['others_cores_max'] = round(max(interference), 2)


def report(results):
    m, b = results['meta'], results.get('build', {})
    tb = b.get('torch') or {}
    print(f'xvis vs PyTorch, {m["date"]}, {m["machine"]}, {m["cores"]} cores; {m["rounds"]} round(s), {m["minutes"]} min'
          + (' (INTERRUPTED: partial)' if results.get('interrupted') else ''))
    print(f'xvis: {b.get("xvis", "?")}; PyTorch {tb.get("torch", "—")} (torchvision {tb.get("torchvision", "—")}, '
          f'{tb.get("blas", "—")}, oneDNN {tb.get("onednn", "—")})')
    peak = ' / '.join(f'{v:.0f}' for _, v in sorted(results['peak'].items()))
    print(f'FMA peak (register-only {results.get("peak_isa", "avx2")} loop, best over rounds, '
          f'{"/".join(sorted(results["peak"]))} threads): {peak} GFLOP/s')
    bw = results.get('read_gbps', {})
    if bw:
        print(f'memory read bandwidth (sum of a 256 MiB array, best over rounds, {"/".join(sorted(bw))} threads): '
              + ' / '.join(f'{v:.0f}' for _, v in sorted(bw.items())) + ' GB/s')
    print(f'command: {m["command"]}\n')
    print(ct.table(results))
    speedups = ct.speedups(results)
    if speedups:
        print('\n' + speedups)
    print('\nRatios are PyTorch time / xvis time (> 1: xvis faster), of the medians over rounds; in brackets the '
          'range of the per-round ratios. A round\'s value is the median of its timed calls; spread: min–max of the '
          'round medians (one round: of its calls). Each side runs in its own process per workload and thread count, '
          'alternating xvis / PyTorch first between rounds; set-up (model import or construction, graph '
          'compilation, data loading) and warm-up calls are not timed. Same weights: ' +
          (', '.join(f'{name} {d:.0e}' for name, d in sorted(results['checks'].items())) or '—') +
          ' (max |Δlogit| / max |logit| of one input).')
    for s in results['rounds']:
        print(f'Round {s["round"]}: before it {s.get("busy_cores", "?")} cores busy, load {s.get("load1", "?")} '
              f'(waited {s.get("waited_s", 0)} s); other processes used {s.get("others_cores_median", "?")} cores '
              f'(median, max {s.get("others_cores_max", "?")}) while the peers ran.')
    print('\nWhat is timed (identical work on both sides):')
    print(ct.notes(results))


if __name__ == '__main__':
    sys.exit(main())
