// A persistent pool of worker threads that run one job at a time together with the caller.
#ifndef IMITATE_PLUGINS_EXPERTS_MPC_WORKER_POOL_H_
#define IMITATE_PLUGINS_EXPERTS_MPC_WORKER_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace imitate::plugins::mpc {

// `size` workers in all: worker 0 is the thread that calls Run, workers 1 .. size-1 are threads
// started once by the constructor and joined by the destructor. Run does not allocate.
class WorkerPool {
 public:
  explicit WorkerPool(int size);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Number of workers, the calling thread included.
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Calls job(w) once on each worker w in [0, size) and returns when all have returned. The
  // first exception a worker threw is rethrown here (after every worker has finished).
  void Run(const std::function<void(int)>& job);

 private:
  // a started thread: waits for each new job and runs it
  void Loop(int worker);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;  // the job of the current generation
  uint64_t generation_ = 0;                        // increases with each Run
  int pending_ = 0;                                // started threads still running the job
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace imitate::plugins::mpc

#endif  // IMITATE_PLUGINS_EXPERTS_MPC_WORKER_POOL_H_
