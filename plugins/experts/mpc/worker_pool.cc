#include "plugins/experts/mpc/worker_pool.h"

#include <algorithm>

namespace imitate::plugins::mpc {

WorkerPool::WorkerPool(int size) {
  // the calling thread is worker 0: start the others
  threads_.reserve(static_cast<size_t>(std::max(size, 1) - 1));
  for (int w = 1; w < size; ++w) threads_.emplace_back([this, w] { Loop(w); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::Run(const std::function<void(int)>& job) {
  // publish the job to the started threads
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    error_ = nullptr;
    pending_ = static_cast<int>(threads_.size());
    ++generation_;
  }
  start_.notify_all();
  // our share, then wait for theirs
  std::exception_ptr own_error;
  try {
    job(0);
  } catch (...) {
    own_error = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
  if (own_error) std::rethrow_exception(own_error);
  if (error_) std::rethrow_exception(error_);
}

void WorkerPool::Loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    // wait for a new generation (or the end)
    const std::function<void(int)>* job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    // run it, keeping the first failure for Run to rethrow
    std::exception_ptr error;
    try {
      (*job)(worker);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error && !error_) error_ = error;
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace imitate::plugins::mpc
