// The MPI backend of run_sweep (sweep/run.hpp). Compiled only with XVIS_USE_MPI; MPI appears nowhere else.
//
// Protocol (MPI_COMM_WORLD, rank 0 = coordinator; every message is small):
//   worker → 0   REQUEST            "give me items"; sent again as soon as a chunk arrives (one chunk prefetched)
//   0 → worker   ITEMS  int64[]     plan positions; empty: no more
//   worker → 0   RECORD char[]      finished items, one or more: each '1'/'0' (ok) then its manifest line; sent
//                                   without waiting (a blocking send per item cost rank 1 0.43 ms an item, a third
//                                   of its time, waiting for rank 0 to drain)
//   0 → worker   STOP               stop at the next item (a rank was interrupted)
//   worker → 0   DONE   int         the worker leaves (1: because it was interrupted)
//   0 → worker   BYE                the last message to a worker (everything it was sent is received)
// Rank 0 also works on items, in a second thread; its main thread alone calls MPI (MPI_THREAD_FUNNELED), hands
// out chunks (guided: remaining / (4 · ranks), 1..64, so costly items near the end do not hold anyone up)
// and appends every record to the manifest: one writer, which is what is correct on NFS and other shared file
// systems (appends from several hosts to one file are not atomic there).
#ifdef XVIS_HAVE_MPI

#include <xvis/sweep/detail/item_runner.hpp>
#include <xvis/sweep/detail/record_batch.hpp>
#include <xvis/tensor/runtime.hpp>

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace xvis::detail {

namespace {

enum Tag : int { request = 1, items_tag = 2, record = 3, stop_tag = 4, done_tag = 5, bye = 6 };
constexpr int max_chunk = 64;

void check(int rc, const char* call) {
    if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("run_sweep (MPI): ") + call + " failed");
}

void finalize_at_exit() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
}

void ensure_mpi() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_FUNNELED) throw std::runtime_error("run_sweep (MPI): the MPI library does not provide MPI_THREAD_FUNNELED");
    std::atexit(finalize_at_exit);
}

std::uint64_t plan_hash(const std::vector<SweepItem>& items) {
    std::uint64_t h = 1469598103934665603ull;
    for (const auto& it : items) {
        for (unsigned char c : it.id) h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

// A fatal error once the ranks are talking: the others would wait forever, so the job ends here.
[[noreturn]] void abort_job(int rank, const std::string& what) {
    std::fprintf(stderr, "xvis: error: rank %d: %s; stopping every rank (rerun the same command to resume)\n", rank, what.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();
}

// Hands out plan positions of the items to do, in order, in guided chunks.
class Dispatcher {
public:
    Dispatcher(std::vector<std::int64_t> todo, int ranks) : todo_(std::move(todo)), ranks_(ranks) {}
    std::vector<std::int64_t> next() {
        std::lock_guard<std::mutex> lock(m_);
        if (stopped_ || next_ >= todo_.size()) return {};
        const std::size_t remaining = todo_.size() - next_;
        const std::size_t n = std::clamp<std::size_t>(remaining / (4 * static_cast<std::size_t>(ranks_)), 1, max_chunk);
        std::vector<std::int64_t> out(todo_.begin() + static_cast<std::ptrdiff_t>(next_), todo_.begin() + static_cast<std::ptrdiff_t>(next_ + n));
        next_ += n;
        return out;
    }
    void stop() {
        std::lock_guard<std::mutex> lock(m_);
        stopped_ = true;
    }

private:
    std::mutex m_;
    std::vector<std::int64_t> todo_;
    std::size_t next_ = 0;
    int ranks_;
    bool stopped_ = false;
};

bool stop_asked(const SweepOptions& o) { return o.stop_requested && o.stop_requested(); }

// Ranks other than 0: ask, explain, send records, until no items come or a stop.
bool worker(ItemRunner& runner, const std::vector<SweepItem>& items, const SweepOptions& options) {
    std::vector<std::int64_t> buffer(max_chunk);
    auto receive_chunk = [&](MPI_Request* req) {
        MPI_Status st;
        check(MPI_Wait(req, &st), "MPI_Wait");
        int n = 0;
        MPI_Get_count(&st, MPI_INT64_T, &n);
        return std::vector<std::int64_t>(buffer.begin(), buffer.begin() + n);
    };
    auto ask = [&](MPI_Request* req) {
        check(MPI_Send(nullptr, 0, MPI_BYTE, 0, request, MPI_COMM_WORLD), "MPI_Send");
        check(MPI_Irecv(buffer.data(), max_chunk, MPI_INT64_T, 0, items_tag, MPI_COMM_WORLD, req), "MPI_Irecv");
    };
    // Records go to rank 0 in batches, one non-blocking send at a time: the items finished while the previous
    // batch was in flight form the next one.
    std::string pending, in_flight;
    MPI_Request sending = MPI_REQUEST_NULL;
    auto send_records = [&](bool wait) {
        if (sending != MPI_REQUEST_NULL) {
            int sent = 0;
            if (wait)
                check(MPI_Wait(&sending, MPI_STATUS_IGNORE), "MPI_Wait");
            else
                check(MPI_Test(&sending, &sent, MPI_STATUS_IGNORE), "MPI_Test");
            if (sending != MPI_REQUEST_NULL) return;
        }
        if (pending.empty()) return;
        in_flight.swap(pending);
        pending.clear();
        check(MPI_Isend(in_flight.data(), static_cast<int>(in_flight.size()), MPI_CHAR, 0, record, MPI_COMM_WORLD, &sending), "MPI_Isend");
    };
    bool interrupted = false, stop = false;
    MPI_Request req;
    ask(&req);
    std::vector<std::int64_t> current = receive_chunk(&req);
    while (!current.empty() && !stop) {
        ask(&req);  // the next chunk travels while this one is explained
        for (std::int64_t pos : current) {
            int flag = 0;
            MPI_Iprobe(0, stop_tag, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (stop_asked(options)) interrupted = true;
            if ((stop = flag || interrupted)) break;
            const ManifestRecord r = runner.run(items[static_cast<std::size_t>(pos)]);
            append_record(pending, r);
            send_records(false);
        }
        current = receive_chunk(&req);
    }
    send_records(true);  // the batch in flight, then the rest: all before DONE, which MPI keeps in order
    send_records(true);
    int why = interrupted ? 1 : 0;
    check(MPI_Send(&why, 1, MPI_INT, 0, done_tag, MPI_COMM_WORLD), "MPI_Send");
    // Receive whatever rank 0 still sent (a STOP, an answer to the last request) up to its BYE.
    for (;;) {
        MPI_Status st;
        check(MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st), "MPI_Probe");
        int n = 0;
        MPI_Get_count(&st, MPI_BYTE, &n);
        std::vector<char> sink(static_cast<std::size_t>(std::max(n, 1)));
        check(MPI_Recv(sink.data(), n, MPI_BYTE, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
        if (st.MPI_TAG == bye) break;
    }
    return interrupted;
}

}  // namespace

SweepSummary run_sweep_mpi(const Model& model, const SweepJob& job, const SweepOptions& options) {
    ensure_mpi();
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    // Set-up on every rank; agreed on before any rank starts talking, so that an error ends every rank cleanly.
    std::string error;
    std::vector<SweepItem> items;
    std::vector<std::int64_t> todo;
    std::unique_ptr<ItemRunner> runner;
    std::unique_ptr<ManifestWriter> manifest;
    SweepSummary s;
    s.rank = rank;
    s.ranks = size;
    s.manifest = manifest_path(options.output, options.shard);
    try {
        items = shard_items(plan(model, job), options.shard);
        s.planned = items.size();
        if (rank == 0) {
            prepare_output(options.output, describe_job(job));
            // The writer (and its lock) first, then what is finished: another sweep of this folder cannot add
            // lines between the two.
            manifest = std::make_unique<ManifestWriter>(s.manifest);
            std::set<std::string> finished;
            for (const auto& r : read_manifests(options.output)) finished.insert(r.item);
            for (std::size_t p = 0; p < items.size(); ++p)
                if (!finished.count(items[p].id)) todo.push_back(static_cast<std::int64_t>(p));
        }
        runner = std::make_unique<ItemRunner>(model, job, options.output, rank);
    } catch (const std::exception& e) {
        error = e.what();
    }
    std::uint64_t hash = plan_hash(items), root_hash = hash;
    MPI_Bcast(&root_hash, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (error.empty() && hash != root_hash)
        error = "run_sweep: this rank planned other items than rank 0 (do all ranks see the same files? a folder listing on a shared file "
                "system can lag)";
    int ok = error.empty() ? 1 : 0, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!ok) throw std::runtime_error(error);
    if (!all_ok) throw std::runtime_error("run_sweep: another rank failed to set up (its message is above); nothing was done");
    s.already_done = rank == 0 ? items.size() - todo.size() : 0;

    // Counters every rank returns: done, failed, stopped, already_done (from rank 0).
    std::uint64_t counters[4] = {0, 0, 0, 0};
    const double t0 = MPI_Wtime();
    try {
        if (rank != 0) {
            s.stopped = worker(*runner, items, options);
        } else {
            Dispatcher dispatcher(std::move(todo), size);
            ProgressClock clock(s.planned - s.already_done);
            std::mutex m;
            std::condition_variable cv;
            std::deque<ManifestRecord> local;  // rank 0's own finished items
            std::atomic<bool> stopping{false}, local_done{false}, local_interrupted{false};
            std::exception_ptr local_error;
            const int threads = num_threads();
            std::thread own([&] {
                try {
                    set_num_threads(threads);  // OpenMP's thread count is per thread: this one starts with the default
                    for (std::vector<std::int64_t> chunk; !(chunk = dispatcher.next()).empty();)
                        for (std::int64_t pos : chunk) {
                            if (stop_asked(options)) local_interrupted = true;
                            if (stopping || local_interrupted) break;
                            ManifestRecord r = runner->run(items[static_cast<std::size_t>(pos)]);
                            std::lock_guard<std::mutex> lock(m);
                            local.push_back(std::move(r));
                            cv.notify_one();
                        }
                } catch (...) {
                    local_error = std::current_exception();
                }
                std::lock_guard<std::mutex> lock(m);
                local_done = true;
                cv.notify_one();
            });
            std::vector<bool> gone(static_cast<std::size_t>(size), false);
            int active = size - 1;
            auto begin_stop = [&] {
                if (stopping.exchange(true)) return;
                dispatcher.stop();
                for (int r = 1; r < size; ++r)
                    if (!gone[static_cast<std::size_t>(r)]) check(MPI_Send(nullptr, 0, MPI_BYTE, r, stop_tag, MPI_COMM_WORLD), "MPI_Send");
            };
            auto counted = [&](bool item_ok) {
                const SweepProgress p = clock.count(item_ok);
                if (options.on_progress) options.on_progress(p);
            };
            std::vector<char> buf;
            // The records drained in one pass go to the manifest in one write and one sync (a sync per record
            // would cost rank 0's core more than the messages); at most max_batch at a time.
            constexpr std::size_t max_batch = 256;
            std::string lines;
            std::vector<bool> line_ok;
            auto flush = [&] {
                if (line_ok.empty()) return;
                manifest->append_lines(lines);
                for (bool item_ok : line_ok) counted(item_ok);
                lines.clear();
                line_ok.clear();
            };
            for (;;) {
                bool busy = false;
                std::deque<ManifestRecord> mine;
                {
                    std::lock_guard<std::mutex> lock(m);
                    mine.swap(local);
                }
                for (const auto& r : mine) {
                    lines += to_json_line(r);
                    line_ok.push_back(r.ok);
                    busy = true;
                }
                if (local_interrupted) begin_stop();
                for (int flag = 1; flag;) {
                    MPI_Status st;
                    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
                    if (!flag) break;
                    busy = true;
                    int n = 0;
                    MPI_Get_count(&st, MPI_CHAR, &n);
                    buf.resize(static_cast<std::size_t>(std::max(n, 1)));
                    check(MPI_Recv(buf.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
                    if (st.MPI_TAG == request) {
                        const std::vector<std::int64_t> chunk = dispatcher.next();
                        check(MPI_Send(chunk.data(), static_cast<int>(chunk.size()), MPI_INT64_T, st.MPI_SOURCE, items_tag, MPI_COMM_WORLD), "MPI_Send");
                    } else if (st.MPI_TAG == record) {
                        for_each_record({buf.data(), static_cast<std::size_t>(n)}, "rank " + std::to_string(st.MPI_SOURCE), [&](bool item_ok, std::string_view line) {
                            lines += line;
                            line_ok.push_back(item_ok);
                            if (line_ok.size() >= max_batch) flush();
                        });
                    } else if (st.MPI_TAG == done_tag) {
                        int why = 0;
                        std::memcpy(&why, buf.data(), sizeof why);
                        if (why) begin_stop();
                        gone[static_cast<std::size_t>(st.MPI_SOURCE)] = true;
                        --active;
                        check(MPI_Send(nullptr, 0, MPI_BYTE, st.MPI_SOURCE, bye, MPI_COMM_WORLD), "MPI_Send");
                    }
                }
                flush();
                if (!stopping && stop_asked(options)) {
                    local_interrupted = true;
                    begin_stop();
                }
                if (active == 0 && local_done) {
                    std::lock_guard<std::mutex> lock(m);
                    if (local.empty()) break;
                    continue;
                }
                if (!busy) {
                    // Nothing arrived: sleep up to 1 ms (woken by rank 0's own items), not spin on a core the
                    // items need.
                    std::unique_lock<std::mutex> lock(m);
                    cv.wait_for(lock, std::chrono::milliseconds(1), [&] { return !local.empty() || local_done; });
                }
            }
            own.join();
            if (local_error) std::rethrow_exception(local_error);
            counters[0] = clock.progress().done;
            counters[1] = clock.progress().failed;
            counters[2] = stopping ? 1 : 0;
            counters[3] = s.already_done;
        }
    } catch (const std::exception& e) {
        abort_job(rank, e.what());
    }
    MPI_Bcast(counters, 4, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    s.done = counters[0];
    s.failed = counters[1];
    s.stopped = s.stopped || counters[2] != 0;
    s.already_done = counters[3];
    s.seconds = MPI_Wtime() - t0;
    if (rank == 0) write_sweep_gallery(options.output, job, options);
    return s;
}

}  // namespace xvis::detail

#endif  // XVIS_HAVE_MPI
