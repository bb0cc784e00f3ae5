#include "engine/distributed/c10d_collective.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <utility>
#include <vector>

#ifdef IMITATE_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

// LibTorch 2 turned ProcessGroupGloo and ProcessGroupNCCL into Backends behind a ProcessGroup;
// either type offers the allreduce and broadcast used here
#if TORCH_VERSION_MAJOR >= 2
using GroupHandle = c10::intrusive_ptr<c10d::Backend>;
#else
using GroupHandle = c10::intrusive_ptr<c10d::ProcessGroup>;
#endif

// the Gloo transport: loopback for a local run, else the interface GLOO_SOCKET_IFNAME names,
// else the address this host's name resolves to
std::shared_ptr<::gloo::transport::Device> GlooDevice(const LaunchEnv& env) {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name != nullptr && *name != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  }
  if (env.master_addr == "127.0.0.1" || env.master_addr == "localhost") {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// The collectives over one c10d process group.
class C10dCollective : public Collective {
 public:
  C10dCollective(c10::intrusive_ptr<c10d::Store> store, GroupHandle group, int rank, int world_size,
                 std::chrono::milliseconds timeout)
      : store_(std::move(store)),
        group_(std::move(group)),
        rank_(rank),
        world_size_(world_size),
        timeout_(timeout) {}

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }

  void AllReduceMean(std::vector<torch::Tensor>& tensors) override {
    torch::NoGradGuard no_grad;
    // every reduction is started, then all are waited for; non-contiguous ones go via a copy
    std::vector<std::vector<at::Tensor>> buffers;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (torch::Tensor& t : tensors) {
      buffers.push_back({t.is_contiguous() ? t : t.contiguous()});
      c10d::AllreduceOptions options;
      options.reduceOp = c10d::ReduceOp::SUM;
      options.timeout = timeout_;
      works.push_back(group_->allreduce(buffers.back(), options));
    }
    Wait(works, "all-reduce");
    for (size_t i = 0; i < tensors.size(); ++i) {
      at::Tensor& sum = buffers[i][0];
      sum.div_(world_size_);
      if (!sum.is_same(tensors[i])) tensors[i].copy_(sum);
    }
  }

  void Broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    torch::NoGradGuard no_grad;
    std::vector<std::vector<at::Tensor>> buffers;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (torch::Tensor& t : tensors) {
      buffers.push_back({t.is_contiguous() ? t : t.contiguous()});
      c10d::BroadcastOptions options;
      options.rootRank = root;
      options.timeout = timeout_;
      works.push_back(group_->broadcast(buffers.back(), options));
    }
    Wait(works, "broadcast");
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!buffers[i][0].is_same(tensors[i])) tensors[i].copy_(buffers[i][0]);
    }
  }

 private:
  // waits for every work; a failure (a rank gone, a timeout) becomes an imitate::Error
  void Wait(std::vector<c10::intrusive_ptr<c10d::Work>>& works, const char* what) {
    for (auto& work : works) {
      try {
        work->wait(timeout_);
      } catch (const std::exception& e) {
        std::string message = e.what();
        throw Error(
            fmt::format("rank {}: {} across {} ranks failed (another rank stopped, or "
                        "none answered within {} s): {}",
                        rank_, what, world_size_, timeout_.count() / 1000,
                        message.substr(0, message.find('\n'))));
      }
    }
  }

  c10::intrusive_ptr<c10d::Store> store_;
  GroupHandle group_;
  int rank_;
  int world_size_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

bool HaveNccl() {
#ifdef IMITATE_WITH_NCCL
  return true;
#else
  return false;
#endif
}

std::chrono::milliseconds DistributedTimeout() {
  const char* text = std::getenv("IMITATE_DIST_TIMEOUT");
  if (text == nullptr || *text == '\0') return std::chrono::minutes(10);
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0)) {
    throw ConfigError(fmt::format(
        "environment variable IMITATE_DIST_TIMEOUT='{}' is not a positive number of seconds",
        text));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

std::unique_ptr<Collective> ConnectRanks(const LaunchEnv& env, const ConnectOptions& options) {
  if (options.backend != "gloo" && !(options.backend == "nccl" && HaveNccl())) {
    throw ConfigError(fmt::format("distributed backend '{}' is not built in (gloo{})",
                                  options.backend, HaveNccl() ? ", nccl" : ""));
  }
  try {
    // rendezvous: rank 0 serves the store and waits for every rank to connect
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(env.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = options.timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    GroupHandle group;
#ifdef IMITATE_WITH_NCCL
    if (options.backend == "nccl") {
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = options.timeout;
      group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, nccl);
    }
#endif
    if (!group) {
      auto gloo = c10d::ProcessGroupGloo::Options::create(options.timeout);
      gloo->devices.push_back(GlooDevice(env));
      group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, gloo);
    }
    return std::make_unique<C10dCollective>(store, group, env.rank, env.world_size,
                                            options.timeout);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string message = e.what();
    throw Error(fmt::format("rank {} of {}: cannot join the other ranks at {}:{}: {}", env.rank,
                            env.world_size, env.master_addr, env.master_port,
                            message.substr(0, message.find('\n'))));
  }
}

ScopedCollective::ScopedCollective(std::unique_ptr<Collective> collective)
    : collective_(std::move(collective)) {
  SetCollective(collective_.get());
}

ScopedCollective::~ScopedCollective() { SetCollective(nullptr); }

}  // namespace imitate::engine
