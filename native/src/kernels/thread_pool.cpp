// thread_pool.cpp — spin-then-sleep persistent workers behind ThreadPool::run.
#include "kernels/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GPT2_PAUSE() _mm_pause()
#else
#define GPT2_PAUSE() std::this_thread::yield()
#endif

namespace gpt2 {

namespace {
constexpr int kSpinIterations = 20000;  // ~0.3 ms of pause before a waiting thread sleeps
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
    workers_.reserve((size_t)n_threads_ - 1);
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(true);
        generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread &t : workers_) t.join();
}

void ThreadPool::worker_loop(int ith) {
    uint64_t seen = 0;
    for (;;) {
        int spins = 0;
        while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
            GPT2_PAUSE();
            ++spins;
        }
        if (generation_.load(std::memory_order_acquire) == seen) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
        seen = generation_.load(std::memory_order_acquire);
        if (stop_.load()) return;
        try {
            task_.call(task_.ctx, ith, n_threads_);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
        }
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's predicate check
            done_.notify_one();
        }
    }
}

void ThreadPool::run_task(Task task) {
    if (n_threads_ == 1) {
        task.call(task.ctx, 0, 1);
        return;
    }
    task_ = task;
    error_ = nullptr;
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    {
        std::lock_guard<std::mutex> lock(mutex_);  // pairs with the sleeping workers' predicate check
        generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    wake_.notify_all();
    std::exception_ptr own;
    try {
        task.call(task.ctx, 0, n_threads_);
    } catch (...) {
        own = std::current_exception();
    }
    int spins = 0;
    while (pending_.load(std::memory_order_acquire) != 0 && spins < kSpinIterations) {
        GPT2_PAUSE();
        ++spins;
    }
    if (pending_.load(std::memory_order_acquire) != 0) {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    task_ = Task{nullptr, nullptr};
    if (own) std::rethrow_exception(own);
    if (error_) std::rethrow_exception(error_);
}

void split_range(int64_t n, int ith, int nth, int64_t align, int64_t *begin, int64_t *end) {
    const int64_t units = (n + align - 1) / align;
    const int64_t b = units * ith / nth, e = units * (ith + 1) / nth;
    *begin = std::min(n, b * align);
    *end = std::min(n, e * align);
}

}  // namespace gpt2
