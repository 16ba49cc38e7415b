// thread_pool.h — a persistent pool of n_threads - 1 workers plus the calling thread. run(fn) calls
// fn(ith, nth) once on every thread and returns when all are done. Idle workers spin briefly (a decode step
// issues one run per layer pass, microseconds apart) and then sleep on a condition variable.
// The caller also spins, then sleeps, while it waits for the workers. One caller at a time (the owning gpt2_context is single-threaded by contract).
// A task is passed as a plain (function, context) pair, so a call allocates nothing (a std::function of a
// lambda with captures would, on every pass of every layer).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <mutex>
#include <thread>
#include <vector>

namespace gpt2 {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    int n_threads() const { return n_threads_; }
    // A borrowed callable: call(ctx, ith, nth).
    struct Task {
        void (*call)(void *ctx, int ith, int nth);
        void *ctx;
    };

    // Runs fn(ith, nth) for ith in [0, nth) concurrently; the caller runs ith = 0. Rethrows the first
    // exception a task threw (kernels do not throw; this keeps a bug from killing a worker thread).
    template <typename Fn>
    void run(Fn &&fn) {
        using F = std::remove_reference_t<Fn>;
        run_task(Task{[](void *ctx, int ith, int nth) { (*(F *)ctx)(ith, nth); }, (void *)&fn});
    }
    void run_task(Task task);

private:
    void worker_loop(int ith);

    int n_threads_;
    std::vector<std::thread> workers_;
    Task task_{nullptr, nullptr};
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;   // the last worker to finish wakes a caller that stopped spinning
    std::exception_ptr error_;
    std::mutex error_mutex_;
};

// Splits [0, n) into nth near-equal parts aligned to ALIGN; returns part ith as [*begin, *end).
void split_range(int64_t n, int ith, int nth, int64_t align, int64_t *begin, int64_t *end);

}  // namespace gpt2
