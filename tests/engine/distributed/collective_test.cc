// Two ranks on loopback, as two threads of this process: the c10d collective (all-reduce,
// broadcast, bytes, agreement), and ParamOptimizer's gradient averaging: two ranks that each
// step on half of a batch keep bit-identical parameters, equal to one process stepping on the
// whole batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "engine/distributed/c10d_collective.h"
#include "engine/distributed/launcher.h"
#include "engine/distributed/sync.h"
#include "plugins/common/optim.h"

namespace imitate::engine {
namespace {

// Runs `body(collective)` on `world` ranks, one thread each, joined through a fresh port;
// rethrows the first rank's failure.
void OnRanks(int world, const std::function<void(Collective&)>& body) {
  const int port = FreeTcpPort();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        LaunchEnv env;
        env.rank = rank;
        env.world_size = world;
        env.master_port = port;
        ConnectOptions options;
        options.timeout = std::chrono::seconds(60);
        std::unique_ptr<Collective> collective = ConnectRanks(env, options);
        ASSERT_EQ(collective->rank(), rank);
        ASSERT_EQ(collective->world_size(), world);
        body(*collective);
      } catch (...) {
        errors[static_cast<size_t>(rank)] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

class CollectiveTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

TEST_F(CollectiveTest, AveragesAndBroadcastsTensors) {
  std::vector<torch::Tensor> means(2), broadcasts(2);
  OnRanks(2, [&](Collective& c) {
    const double r = c.rank();
    // a contiguous tensor and a transposed (non-contiguous) one
    std::vector<torch::Tensor> tensors = {torch::full({3}, r), torch::full({2, 3}, 2 * r).t()};
    c.AllReduceMean(tensors);
    means[static_cast<size_t>(c.rank())] = torch::cat({tensors[0], tensors[1].reshape({-1})});
    std::vector<torch::Tensor> b = {torch::arange(4, torch::kFloat32) + 10 * r};
    c.Broadcast(b, 1);
    broadcasts[static_cast<size_t>(c.rank())] = b[0];
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(
        torch::allclose(means[r], torch::cat({torch::full({3}, 0.5), torch::full({6}, 1.0)})));
    EXPECT_TRUE(torch::equal(broadcasts[r], torch::arange(4, torch::kFloat32) + 10));
  }
}

TEST_F(CollectiveTest, SharesBytesAndChecksAgreement) {
  std::vector<std::string> received(2);
  std::vector<int> same(2), differ(2);
  OnRanks(2, [&](Collective& c) {
    // rank 0's bytes (with a zero byte inside) reach rank 1
    std::string bytes = c.rank() == 0 ? std::string("state\0bytes", 11) : std::string("x");
    BroadcastBytes(c, &bytes, 0);
    received[static_cast<size_t>(c.rank())] = bytes;
    same[static_cast<size_t>(c.rank())] = SameOnAllRanks(c, 0xfedcba9876543210ULL);
    differ[static_cast<size_t>(c.rank())] = SameOnAllRanks(c, 7 + c.rank());
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(received[r], std::string("state\0bytes", 11));
    EXPECT_TRUE(same[r]);
    EXPECT_FALSE(differ[r]);  // every rank learns that one differs
  }
}

// A small network as plain tensors: a hidden layer, an output layer, a head only rank 1's loss
// uses (its gradient is missing on rank 0) and a parameter no loss uses.
struct Net {
  std::vector<torch::Tensor> params;  // w1, b1, w2, b2, head, unused

  static Net Random() {
    torch::manual_seed(0);
    return Net{{torch::randn({4, 8}), torch::randn({8}), torch::randn({8, 2}), torch::randn({2}),
                torch::randn({8, 1}), torch::randn({3})}};
  }
  Net Copy() const {
    Net net;
    for (const torch::Tensor& p : params) net.params.push_back(p.clone().requires_grad_(true));
    return net;
  }
  // the loss on rows of a batch; `with_head` adds the head's term
  torch::Tensor Loss(const torch::Tensor& x, const torch::Tensor& y, bool with_head) const {
    torch::Tensor h = torch::tanh(x.matmul(params[0]) + params[1]);
    torch::Tensor loss = (h.matmul(params[2]) + params[3] - y).pow(2).mean();
    if (with_head) loss = loss + h.matmul(params[4]).pow(2).mean();
    return loss;
  }
};

TEST_F(CollectiveTest, TwoRanksOnHalfBatchesStepLikeOneProcessOnTheWholeBatch) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({16, 4}), y = torch::randn({16, 2});
  // clipping active (the norms are larger than 0.5) and weight decay: both after the average
  const plugins::OptimConfig config{1e-2, 1e-5, 0.5, 1e-3};
  constexpr int kSteps = 5;
  const Net init = Net::Random();

  // two ranks, each on its half of the batch; small buckets: several reductions per step
  std::vector<Net> ranks = {init.Copy(), init.Copy()};
  std::vector<std::vector<double>> norms(2);
  OnRanks(2, [&](Collective& c) {
    const int r = c.rank();
    Net& net = ranks[static_cast<size_t>(r)];
    plugins::ParamOptimizer optimizer(net.params, config);
    optimizer.UseCollective(&c, /*bucket_bytes=*/100);
    for (int step = 0; step < kSteps; ++step) {
      torch::Tensor loss = net.Loss(x.narrow(0, 8 * r, 8), y.narrow(0, 8 * r, 8), r == 1);
      norms[static_cast<size_t>(r)].push_back(optimizer.Step(loss));
    }
  });

  // one process on the whole batch: the mean of the halves' losses
  Net single = init.Copy();
  plugins::ParamOptimizer optimizer(single.params, config);
  std::vector<double> single_norms;
  for (int step = 0; step < kSteps; ++step) {
    torch::Tensor loss = 0.5 * (single.Loss(x.narrow(0, 0, 8), y.narrow(0, 0, 8), false) +
                                single.Loss(x.narrow(0, 8, 8), y.narrow(0, 8, 8), true));
    single_norms.push_back(optimizer.Step(loss));
  }

  for (size_t i = 0; i < init.params.size(); ++i) {
    SCOPED_TRACE("parameter " + std::to_string(i));
    EXPECT_TRUE(torch::equal(ranks[0].params[i], ranks[1].params[i]));
    EXPECT_TRUE(torch::allclose(ranks[0].params[i], single.params[i], 1e-5, 1e-5))
        << (ranks[0].params[i] - single.params[i]).abs().max().item<double>();
  }
  EXPECT_FALSE(torch::equal(ranks[0].params[4], init.params[4]));  // the head moved on rank 0 too
  EXPECT_TRUE(torch::equal(ranks[0].params[5], init.params[5]));   // unused: never stepped
  EXPECT_FALSE(ranks[0].params[5].grad().defined());
  for (int step = 0; step < kSteps; ++step) {
    EXPECT_EQ(norms[0][step], norms[1][step]);
    EXPECT_NEAR(norms[0][step], single_norms[step], 1e-5);
    EXPECT_GT(norms[0][step], config.grad_clip);  // the clipping mattered
  }
}

TEST_F(CollectiveTest, ARankThatStopsFailsTheOthers) {
  // rank 1 leaves at once; rank 0's all-reduce fails instead of waiting for ever
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(OnRanks(2,
                       [](Collective& c) {
                         if (c.rank() == 1) throw std::runtime_error("rank 1 stops");
                         std::vector<torch::Tensor> t = {torch::ones({4})};
                         c.AllReduceMean(t);
                       }),
               std::exception);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

}  // namespace
}  // namespace imitate::engine
