#pragma once
// The records a sweep worker sends its coordinator (sweep/mpi.cpp): finished items, batched into one message.
// Internal; here, not in mpi.cpp, so that a build without MPI tests it too.
//
// A batch is zero or more records, each: '1' (ok) or '0' (failed), then the item's manifest line, which ends in
// '\n' and has no other '\n' (JSON escapes newlines inside strings).
#include <xvis/sweep/manifest.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xvis::detail {

// Appends `record` to `batch`.
inline void append_record(std::string& batch, const ManifestRecord& record) {
    batch += record.ok ? '1' : '0';
    batch += to_json_line(record);
}

// Calls on_record(ok, line) for each record of `batch`, in order; `line` keeps its '\n'. Throws
// std::runtime_error naming `sender` when the batch is not whole records: a flag other than '0'/'1', an empty
// line, or text after the last '\n'.
template <class OnRecord>
void for_each_record(std::string_view batch, const std::string& sender, OnRecord&& on_record) {
    for (std::size_t at = 0; at < batch.size();) {
        const std::size_t nl = batch.find('\n', at);
        const char flag = batch[at];
        if ((flag != '0' && flag != '1') || nl == std::string_view::npos || nl == at + 1)
            throw std::runtime_error("run_sweep (MPI): a malformed record batch from " + sender + " at byte " + std::to_string(at) + " of " +
                                     std::to_string(batch.size()) + " (expected '0' or '1', then a manifest line ending in '\\n')");
        on_record(flag == '1', batch.substr(at + 1, nl - at));
        at = nl + 1;
    }
}

}  // namespace xvis::detail
