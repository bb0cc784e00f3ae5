// Tests of the blocks the world-model agents share: returns, action distributions, optimisers.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "plugins/common/imagine.h"
#include "plugins/common/optim.h"
#include "plugins/common/policy.h"

namespace imitate::plugins {
namespace {

using Sizes = std::vector<int64_t>;

constexpr double kPi = 3.14159265358979323846;

// a float64 tensor [L, N] from rows
torch::Tensor Rows(const std::vector<std::vector<double>>& rows) {
  std::vector<torch::Tensor> out;
  for (const std::vector<double>& row : rows) out.push_back(torch::tensor(row, torch::kFloat64));
  return torch::stack(out);
}

// ----- returns ----- //

// Three steps, two trajectories, discount 0.5. Column 0: rewards 1, 2, 3, values of the states
// 10, 20, 30 (value_0 is never read), bootstrap 40. Column 1: no rewards, no values, bootstrap 8.
class LambdaReturnTest : public ::testing::Test {
 protected:
  torch::Tensor reward = Rows({{1, 0}, {2, 0}, {3, 0}});
  torch::Tensor value = Rows({{10, 0}, {20, 0}, {30, 0}});
  torch::Tensor bootstrap = torch::tensor({40.0, 8.0}, torch::kFloat64);
};

TEST_F(LambdaReturnTest, HandComputedHalfLambda) {
  // G_2 = 3 + 0.5 * 40                          = 23        | 0.5 * 8               = 4
  // G_1 = 2 + 0.5 * (0.5 * 30 + 0.5 * 23)       = 15.25     | 0.5 * (0 + 0.5 * 4)   = 1
  // G_0 = 1 + 0.5 * (0.5 * 20 + 0.5 * 15.25)    = 9.8125    | 0.5 * (0 + 0.5 * 1)   = 0.25
  torch::Tensor g = LambdaReturn(reward, value, bootstrap, 0.5, 0.5);
  EXPECT_EQ(g.sizes(), (Sizes{3, 2}));
  EXPECT_TRUE(torch::allclose(g, Rows({{9.8125, 0.25}, {15.25, 1}, {23, 4}}))) << g;
}

TEST_F(LambdaReturnTest, LambdaOneIsTheDiscountedSumPlusTheDiscountedBootstrap) {
  // G_0 = 1 + 0.5 * 2 + 0.25 * 3 + 0.125 * 40 = 7.75; G_1 = 2 + 1.5 + 10 = 13.5; G_2 = 23
  // column 1: 0.125 * 8 = 1, 0.25 * 8 = 2, 0.5 * 8 = 4; the values are never read
  torch::Tensor g = LambdaReturn(reward, value, bootstrap, 0.5, 1.0);
  EXPECT_TRUE(torch::allclose(g, Rows({{7.75, 1}, {13.5, 2}, {23, 4}}))) << g;
  EXPECT_TRUE(torch::equal(g, LambdaReturn(reward, value * 100, bootstrap, 0.5, 1.0)));
}

TEST_F(LambdaReturnTest, LambdaZeroIsOneStepTd) {
  // G_i = r_i + 0.5 * value_{i+1}: 1 + 10 = 11, 2 + 15 = 17, 3 + 20 = 23
  torch::Tensor g = LambdaReturn(reward, value, bootstrap, 0.5, 0.0);
  EXPECT_TRUE(torch::allclose(g, Rows({{11, 0}, {17, 0}, {23, 4}}))) << g;
}

TEST_F(LambdaReturnTest, GradientsReachRewardsValuesAndBootstrap) {
  torch::Tensor r = reward.clone().requires_grad_(true);
  torch::Tensor v = value.clone().requires_grad_(true);
  torch::Tensor b = bootstrap.clone().requires_grad_(true);
  LambdaReturn(r, v, b, 0.5, 0.5)[0][0].backward();
  // each step back scales by discount * lambda = 0.25: dG_0/dr = 1, 0.25, 0.0625;
  // dG_0/dv_1 = 0.5 * 0.5 = 0.25, dG_0/dv_2 = 0.25 * 0.25 = 0.0625; dG_0/db = 0.0625 * 0.5
  EXPECT_TRUE(
      torch::allclose(r.grad().select(1, 0), torch::tensor({1.0, 0.25, 0.0625}, torch::kFloat64)));
  EXPECT_TRUE(
      torch::allclose(v.grad().select(1, 0), torch::tensor({0.0, 0.25, 0.0625}, torch::kFloat64)));
  EXPECT_DOUBLE_EQ(b.grad()[0].item<double>(), 0.03125);
  EXPECT_DOUBLE_EQ(b.grad()[1].item<double>(), 0.0);
}

TEST(DiscountWeightsTest, PowersOfTheDiscount) {
  torch::Tensor w = DiscountWeights(4, 0.9, torch::kFloat64);
  EXPECT_EQ(w.sizes(), (Sizes{4, 1}));
  EXPECT_TRUE(
      torch::allclose(w.squeeze(1), torch::tensor({1.0, 0.9, 0.81, 0.729}, torch::kFloat64)))
      << w;
  EXPECT_EQ(DiscountWeights(3, 0.5, torch::kFloat32).scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(DiscountWeights(3, 1.0, torch::kFloat32), torch::ones({3, 1})));
}

TEST(FlattenTimeTest, MergesBatchAndTimeAndKeepsUndefined) {
  LatentState state{torch::randn({2, 3, 5}),
                    torch::randn({2, 3, 4}),
                    torch::randn({2, 3, 4}),
                    torch::rand({2, 3, 4}),
                    {}};
  LatentState flat = FlattenTime(state);
  EXPECT_EQ(flat.deter.sizes(), (Sizes{6, 5}));
  EXPECT_EQ(flat.std.sizes(), (Sizes{6, 4}));
  EXPECT_TRUE(torch::equal(flat.stoch[4], state.stoch[1][1]));
  EXPECT_FALSE(flat.uncertainty.defined());
}

// ----- action distributions ----- //

// a distribution with the given per-dimension means and stds
ActionDist Dist(ActionDistKind kind, std::vector<double> mean, std::vector<double> std) {
  ActionDist dist;
  dist.kind = kind;
  dist.mean = torch::tensor(mean, torch::kFloat64);
  dist.std = torch::tensor(std, torch::kFloat64);
  return dist;
}

// (mean, std) pairs of a 1-D action: centred, near an edge, wide, narrow
const std::vector<std::pair<double, double>> kShapes = {
    {0.0, 0.5}, {0.9, 0.3}, {-0.6, 2.0}, {0.2, 0.1}, {-1.0, 0.4}};

// the integral of exp(LogProb) over [-1, 1] by the trapezoid rule
double Mass(const ActionDist& dist) {
  const int64_t n = 200001;
  torch::Tensor grid = torch::linspace(-1.0, 1.0, n, torch::kFloat64).unsqueeze(-1);
  torch::Tensor density = dist.LogProb(grid).exp();
  return torch::trapezoid(density, grid.squeeze(-1)).item<double>();
}

TEST(TruncNormalTest, SamplesLieInTheUnitBox) {
  at::Generator generator = at::detail::createCPUGenerator(1);
  ActionDist dist =
      Dist(ActionDistKind::kTruncNormal, {0.0, 0.99, -1.0, 0.5}, {0.5, 2.0, 0.1, 5.0});
  dist.mean = dist.mean.expand({5000, 4});
  dist.std = dist.std.expand({5000, 4});
  torch::Tensor sample = dist.Sample(generator);
  EXPECT_EQ(sample.sizes(), (Sizes{5000, 4}));
  EXPECT_TRUE(sample.abs().le(1.0).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(dist.LogProb(sample)).all().item<bool>());
  // the mode is the mean, clipped
  EXPECT_TRUE(torch::equal(Dist(ActionDistKind::kTruncNormal, {1.5, -0.3}, {1, 1}).Mode(),
                           torch::tensor({1.0, -0.3}, torch::kFloat64)));
}

// float32 rounds an inverse-CDF probability near 1 up to 1, where erfinv is infinite; a mean
// far below the box puts Phi(alpha) there. Samples must stay finite (they were NaN once).
TEST(TruncNormalTest, SamplesStayFiniteWhereTheCdfRoundsToOne) {
  at::Generator generator = at::detail::createCPUGenerator(3);
  for (float mean : {-5.0f, 5.0f, -0.999f}) {
    ActionDist dist{ActionDistKind::kTruncNormal, torch::full({1000, 2}, mean),
                    torch::full({1000, 2}, 0.1f)};
    torch::Tensor sample = dist.Sample(generator);
    EXPECT_TRUE(torch::isfinite(sample).all().item<bool>()) << mean;
    EXPECT_TRUE(sample.abs().le(1.0).all().item<bool>()) << mean;
  }
}

TEST(TruncNormalTest, DensityIntegratesToOne) {
  for (const auto& [mean, std] : kShapes) {
    EXPECT_NEAR(Mass(Dist(ActionDistKind::kTruncNormal, {mean}, {std})), 1.0, 1e-4)
        << "mean " << mean << " std " << std;
  }
}

TEST(TruncNormalTest, EntropyAndMeanMatchMonteCarlo) {
  at::Generator generator = at::detail::createCPUGenerator(2);
  constexpr int64_t kSamples = 400000;
  for (const auto& [mean, std] : kShapes) {
    ActionDist one = Dist(ActionDistKind::kTruncNormal, {mean}, {std});
    ActionDist dist = one;
    dist.mean = one.mean.expand({kSamples, 1});
    dist.std = one.std.expand({kSamples, 1});
    torch::Tensor sample = dist.Sample(generator);
    // entropy: -E[log p(a)]
    const double closed = one.Entropy(torch::Tensor()).item<double>();
    const double estimate = -dist.LogProb(sample).mean().item<double>();
    EXPECT_NEAR(closed, estimate, 0.01) << "mean " << mean << " std " << std;
    // mean: mu + sigma (phi(alpha) - phi(beta)) / Z
    const double alpha = (-1 - mean) / std, beta = (1 - mean) / std;
    auto pdf = [](double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * kPi); };
    auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
    const double expected = mean + std * (pdf(alpha) - pdf(beta)) / (cdf(beta) - cdf(alpha));
    EXPECT_NEAR(sample.mean().item<double>(), expected, 0.01) << "mean " << mean << " std " << std;
  }
  // entropy sums over action dims
  ActionDist two = Dist(ActionDistKind::kTruncNormal, {0.0, 0.9}, {0.5, 0.3});
  EXPECT_NEAR(two.Entropy(torch::Tensor()).item<double>(),
              Dist(ActionDistKind::kTruncNormal, {0.0}, {0.5}).Entropy({}).item<double>() +
                  Dist(ActionDistKind::kTruncNormal, {0.9}, {0.3}).Entropy({}).item<double>(),
              1e-12);
}

TEST(TruncNormalTest, SampleGradientsReachMeanAndStd) {
  at::Generator generator = at::detail::createCPUGenerator(3);
  torch::Tensor mean = torch::tensor({0.1, -0.4, 0.7}, torch::kFloat64).requires_grad_(true);
  torch::Tensor std = torch::tensor({0.3, 0.8, 1.5}, torch::kFloat64).requires_grad_(true);
  ActionDist dist{ActionDistKind::kTruncNormal, mean, std};
  dist.Sample(generator).sum().backward();
  ASSERT_TRUE(mean.grad().defined());
  ASSERT_TRUE(std.grad().defined());
  EXPECT_TRUE(mean.grad().ne(0).all().item<bool>()) << mean.grad();
  EXPECT_TRUE(std.grad().ne(0).all().item<bool>()) << std.grad();
  EXPECT_TRUE(torch::isfinite(mean.grad()).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(std.grad()).all().item<bool>());
}

TEST(TanhNormalTest, LogProbOfTheModeIsFinite) {
  // large means put tanh(mean) on (or within float error of) the boundary
  for (double mean : {0.0, 2.0, -5.0, 20.0}) {
    for (torch::Dtype dtype : {torch::kFloat32, torch::kFloat64}) {
      torch::Tensor m = torch::full({2}, mean, dtype).requires_grad_(true);
      ActionDist dist{ActionDistKind::kTanhNormal, m, torch::full({2}, 0.5, dtype)};
      torch::Tensor log_prob = dist.LogProb(dist.Mode());
      EXPECT_TRUE(std::isfinite(log_prob.item<double>())) << "mean " << mean;
      log_prob.backward();
      EXPECT_TRUE(torch::isfinite(m.grad()).all().item<bool>()) << "mean " << mean;
    }
  }
}

TEST(TanhNormalTest, DensityIntegratesToOneAndSamplesLieInTheBox) {
  for (const auto& [mean, std] : {std::pair{0.0, 0.5}, {1.0, 0.3}, {-0.5, 1.0}}) {
    EXPECT_NEAR(Mass(Dist(ActionDistKind::kTanhNormal, {mean}, {std})), 1.0, 1e-3)
        << "mean " << mean << " std " << std;
  }
  at::Generator generator = at::detail::createCPUGenerator(4);
  ActionDist dist{ActionDistKind::kTanhNormal, torch::zeros({1000, 2}),
                  torch::full({1000, 2}, 3.0)};
  torch::Tensor sample = dist.Sample(generator);
  EXPECT_TRUE(sample.abs().le(1.0).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(dist.Entropy(sample)).all().item<bool>());
}

// ----- optimisers ----- //

// two linear layers in a chain: the loss depends on both
struct Chain {
  torch::nn::Linear first{3, 4};
  torch::nn::Linear second{4, 1};
  torch::Tensor Loss(const torch::Tensor& x) { return second(first(x)).square().mean(); }
  std::vector<torch::Tensor> Parameters() const {
    std::vector<torch::Tensor> out = first->parameters();
    for (const torch::Tensor& p : second->parameters()) out.push_back(p);
    return out;
  }
};

// copies of every parameter of a module
std::vector<torch::Tensor> Snapshot(const torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& p : module.parameters()) out.push_back(p.detach().clone());
  return out;
}

// whether every parameter equals its snapshot bit for bit
bool Unchanged(const torch::nn::Module& module, const std::vector<torch::Tensor>& snapshot) {
  std::vector<torch::Tensor> now = module.parameters();
  for (size_t i = 0; i < now.size(); ++i) {
    if (!torch::equal(now[i], snapshot[i])) return false;
  }
  return true;
}

// tau = 1 copies exactly, tau < 1 moves by that fraction; the source and autograd are untouched
TEST(MoveParametersTowardsTest, CopiesAtOneAndAveragesBelow) {
  torch::manual_seed(4);
  Chain from, to;
  const std::vector<torch::Tensor> source = Snapshot(*from.first);
  const std::vector<torch::Tensor> start = Snapshot(*to.first);
  MoveParametersTowards(from.first->parameters(), to.first->parameters(), 0.25);
  std::vector<torch::Tensor> moved = to.first->parameters();
  for (size_t i = 0; i < moved.size(); ++i) {
    EXPECT_TRUE(torch::allclose(moved[i], start[i] + 0.25 * (source[i] - start[i]), 1e-6, 1e-7));
    EXPECT_TRUE(moved[i].requires_grad());
    EXPECT_FALSE(moved[i].grad().defined());
  }
  EXPECT_TRUE(Unchanged(*from.first, source));
  MoveParametersTowards(from.first->parameters(), to.first->parameters(), 1.0);
  EXPECT_TRUE(Unchanged(*to.first, source));
  EXPECT_THROW(MoveParametersTowards(from.Parameters(), to.first->parameters(), 1.0), c10::Error);
}

TEST(ParamOptimizerTest, StepsOnlyItsOwnParameters) {
  torch::manual_seed(0);
  Chain chain;
  ParamOptimizer first(chain.first->parameters(), OptimConfig{1e-2, 1e-5, 100.0, 0.0});
  std::vector<torch::Tensor> first_before = Snapshot(*chain.first);
  std::vector<torch::Tensor> second_before = Snapshot(*chain.second);
  first.Step(chain.Loss(torch::randn({8, 3})));
  EXPECT_FALSE(Unchanged(*chain.first, first_before));
  EXPECT_TRUE(Unchanged(*chain.second, second_before));
  for (const torch::Tensor& p : chain.second->parameters()) EXPECT_FALSE(p.grad().defined());
  for (const torch::Tensor& p : chain.first->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(ParamOptimizerTest, TwoOptimisersShareOneGraph) {
  torch::manual_seed(1);
  Chain chain;
  Chain copy;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < chain.Parameters().size(); ++i) {
      copy.Parameters()[i].copy_(chain.Parameters()[i]);
    }
  }
  const OptimConfig config{1e-2, 1e-5, 100.0, 0.0};
  torch::Tensor x = torch::randn({8, 3});
  // both gradients from one graph before either step ...
  ParamOptimizer first(chain.first->parameters(), config);
  ParamOptimizer second(chain.second->parameters(), config);
  torch::Tensor loss = chain.Loss(x);
  first.Backward(loss, /*retain_graph=*/true);
  second.Backward(loss);
  first.Apply();
  second.Apply();
  // ... equal one optimiser over both
  ParamOptimizer both(copy.Parameters(), config);
  both.Step(copy.Loss(x));
  for (size_t i = 0; i < chain.Parameters().size(); ++i) {
    EXPECT_TRUE(torch::allclose(chain.Parameters()[i], copy.Parameters()[i])) << i;
  }
}

TEST(ParamOptimizerTest, WeightDecayScalesTheWeightsThatGotGradients) {
  torch::manual_seed(2);
  Chain chain;
  ParamOptimizer optimizer(chain.Parameters(), OptimConfig{1e-3, 1e-5, 100.0, 0.25});
  std::vector<torch::Tensor> first_before = Snapshot(*chain.first);
  std::vector<torch::Tensor> second_before = Snapshot(*chain.second);
  // a zero gradient for `first` (Adam moves nothing) and none for `second`
  torch::Tensor loss = torch::zeros({});
  for (const torch::Tensor& p : chain.first->parameters()) loss = loss + (p * 0).sum();
  EXPECT_EQ(optimizer.Step(loss), 0.0);
  std::vector<torch::Tensor> first_after = chain.first->parameters();
  for (size_t i = 0; i < first_after.size(); ++i) {
    EXPECT_TRUE(torch::allclose(first_after[i], first_before[i] * 0.75, 0, 1e-7)) << i;
  }
  EXPECT_TRUE(Unchanged(*chain.second, second_before));
}

TEST(ParamOptimizerTest, ReportsTheNormBeforeClipping) {
  torch::Tensor w = torch::zeros({2}, torch::kFloat64).requires_grad_(true);
  ParamOptimizer optimizer({w}, OptimConfig{0.1, 1e-8, 1.0, 0.0});
  // loss = 3 w_0 + 4 w_1: gradient norm 5, clipped to 1; Adam's first step moves each by lr
  EXPECT_DOUBLE_EQ(optimizer.Step((w * torch::tensor({3.0, 4.0}, torch::kFloat64)).sum()), 5.0);
  EXPECT_TRUE(torch::allclose(w.detach(), torch::tensor({-0.1, -0.1}, torch::kFloat64)));
}

}  // namespace
}  // namespace imitate::plugins
