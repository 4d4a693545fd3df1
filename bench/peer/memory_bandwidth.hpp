#pragma once

namespace xvis::peer {
// Best of 5 sums of a 256 MiB float array (8× the L3 of these hosts) on `threads` threads, in GB/s read: the
// rate at which weights that do not stay in cache can stream in. Read next to the conv rows' speed-ups: a step
// bound by this rate speeds up with threads only as much as it does.
double read_bandwidth_gbps(int threads);
}  // namespace xvis::peer
