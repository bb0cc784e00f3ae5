// Tests of the `rssm` dynamics, loaded from the built plugin library through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/errors.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;
using Sizes = std::vector<int64_t>;

constexpr int64_t kEmbed = 6;
constexpr int64_t kAction = 3;

// an unbuilt rssm with `given` parameters
std::unique_ptr<Dynamics> Make(const std::map<std::string, ParamValue>& given = {}) {
  return test_support::MakePlugin<Dynamics>("rssm", "dynamics", given);
}

// a small built rssm: S 4, D 8, H 16
std::unique_ptr<Dynamics> MakeSmall(const std::map<std::string, ParamValue>& extra = {}) {
  std::map<std::string, ParamValue> given = {
      {"stoch", int64_t{4}}, {"deter", int64_t{8}}, {"hidden", int64_t{16}}};
  for (const auto& [key, value] : extra) given[key] = value;
  auto model = Make(given);
  model->Build(kEmbed, kAction);
  return model;
}

// a LatentState of random values [B, ...]
LatentState RandomState(int64_t batch, int64_t stoch, int64_t deter) {
  return {torch::randn({batch, deter}),
          torch::randn({batch, stoch}),
          torch::randn({batch, stoch}),
          torch::rand({batch, stoch}) + 0.1,
          {}};
}

void ExpectStateEq(const LatentState& a, const LatentState& b) {
  EXPECT_TRUE(torch::allclose(a.deter, b.deter, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.stoch, b.stoch, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.mean, b.mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.std, b.std, 1e-5, 1e-6));
}

TEST(RssmTest, ShapesOfEveryMethod) {
  torch::manual_seed(0);
  auto model = Make({{"stoch", int64_t{4}}, {"deter", int64_t{8}}, {"hidden", int64_t{16}}});
  EXPECT_EQ(model->FeatureSize(), 12);  // before Build
  model->Build(kEmbed, kAction);
  // Initial
  LatentState init = model->Initial(5, torch::kCPU);
  EXPECT_EQ(init.deter.sizes(), (Sizes{5, 8}));
  EXPECT_EQ(init.stoch.sizes(), (Sizes{5, 4}));
  EXPECT_EQ(init.std.sizes(), (Sizes{5, 4}));
  EXPECT_FALSE(init.uncertainty.defined());
  EXPECT_EQ(init.deter.abs().sum().item<float>(), 0.0f);
  // ObserveStep
  ObserveOutput step = model->ObserveStep(init, torch::randn({5, kAction}),
                                          torch::randn({5, kEmbed}), torch::zeros({5}));
  EXPECT_EQ(step.posterior.deter.sizes(), (Sizes{5, 8}));
  EXPECT_EQ(step.posterior.mean.sizes(), (Sizes{5, 4}));
  EXPECT_EQ(step.prior.stoch.sizes(), (Sizes{5, 4}));
  EXPECT_FALSE(step.posterior.uncertainty.defined());
  EXPECT_TRUE(torch::equal(step.posterior.deter, step.prior.deter));
  EXPECT_GT(step.posterior.std.min().item<float>(), 0.1f);  // softplus + min_std
  // Observe
  ObserveOutput seq =
      model->Observe(torch::randn({3, 7, kEmbed}), torch::randn({3, 7, kAction}),
                     torch::zeros({3, 7}, torch::kBool), model->Initial(3, torch::kCPU));
  for (const LatentState* s : {&seq.posterior, &seq.prior}) {
    EXPECT_EQ(s->deter.sizes(), (Sizes{3, 7, 8}));
    EXPECT_EQ(s->stoch.sizes(), (Sizes{3, 7, 4}));
    EXPECT_EQ(s->mean.sizes(), (Sizes{3, 7, 4}));
    EXPECT_EQ(s->std.sizes(), (Sizes{3, 7, 4}));
    EXPECT_FALSE(s->uncertainty.defined());
  }
  // an undefined start is the zero state
  EXPECT_EQ(model
                ->Observe(torch::randn({2, 1, kEmbed}), torch::randn({2, 1, kAction}),
                          torch::zeros({2, 1}), LatentState{})
                .posterior.deter.sizes(),
            (Sizes{2, 1, 8}));
  // ImagineStep on [B] and on [B, T] (any leading dims)
  LatentState next = model->ImagineStep(step.posterior, torch::randn({5, kAction}));
  EXPECT_EQ(next.deter.sizes(), (Sizes{5, 8}));
  EXPECT_EQ(next.stoch.sizes(), (Sizes{5, 4}));
  EXPECT_FALSE(next.uncertainty.defined());
  LatentState next_seq = model->ImagineStep(seq.posterior, torch::randn({3, 7, kAction}));
  EXPECT_EQ(next_seq.deter.sizes(), (Sizes{3, 7, 8}));
  EXPECT_EQ(next_seq.mean.sizes(), (Sizes{3, 7, 4}));
  // Features: [z, h]
  torch::Tensor features = model->Features(seq.posterior);
  EXPECT_EQ(features.sizes(), (Sizes{3, 7, 12}));
  EXPECT_TRUE(torch::equal(features.slice(-1, 0, 4), seq.posterior.stoch));
  EXPECT_TRUE(torch::equal(features.slice(-1, 4), seq.posterior.deter));
  // KlLoss
  KlOutput kl = model->KlLoss(seq.posterior, seq.prior);
  EXPECT_EQ(kl.loss.dim(), 0);
  EXPECT_EQ(kl.value.sizes(), (Sizes{3, 7}));
  EXPECT_GE(kl.value.min().item<float>(), 0.0f);
}

TEST(RssmTest, PaperDefaultSizes) {
  auto model = Make();
  EXPECT_EQ(model->FeatureSize(), 30 + 200);
  model->Build(1024, 6);
  ObserveOutput seq = model->Observe(torch::randn({2, 3, 1024}), torch::randn({2, 3, 6}),
                                     torch::zeros({2, 3}), model->Initial(2, torch::kCPU));
  EXPECT_EQ(seq.posterior.deter.sizes(), (Sizes{2, 3, 200}));
  EXPECT_EQ(seq.prior.stoch.sizes(), (Sizes{2, 3, 30}));
  EXPECT_EQ(model->Features(seq.posterior).sizes(), (Sizes{2, 3, 230}));
  EXPECT_EQ(model->ImagineStep(seq.posterior, torch::randn({2, 3, 6})).deter.sizes(),
            (Sizes{2, 3, 200}));
  EXPECT_EQ(model->KlLoss(seq.posterior, seq.prior).value.sizes(), (Sizes{2, 3}));
}

TEST(RssmTest, ObserveEqualsObserveSteps) {
  torch::manual_seed(1);
  auto model = MakeSmall();
  const int64_t batch = 3, steps = 6;
  torch::Tensor embeddings = torch::randn({batch, steps, kEmbed});
  torch::Tensor actions = torch::randn({batch, steps, kAction});
  torch::Tensor is_first = torch::zeros({batch, steps}, torch::kBool);
  is_first.index_put_({1, 3}, true);
  LatentState start = RandomState(batch, 4, 8);
  // one step: the same draws in the same order, so equal outputs for the same seed
  torch::manual_seed(7);
  ObserveOutput one = model->Observe(embeddings.slice(1, 0, 1), actions.slice(1, 0, 1),
                                     is_first.slice(1, 0, 1), start);
  torch::manual_seed(7);
  ObserveOutput by_step = model->ObserveStep(start, actions.select(1, 0), embeddings.select(1, 0),
                                             is_first.select(1, 0));
  auto at0 = [](const LatentState& s) {
    return LatentState{
        s.deter.select(1, 0), s.stoch.select(1, 0), s.mean.select(1, 0), s.std.select(1, 0), {}};
  };
  ExpectStateEq(at0(one.posterior), by_step.posterior);
  ExpectStateEq(at0(one.prior), by_step.prior);
  // many steps: each step of Observe is ObserveStep from Observe's previous posterior
  ObserveOutput seq = model->Observe(embeddings, actions, is_first, start);
  for (int64_t t = 1; t < steps; ++t) {
    LatentState prev{seq.posterior.deter.select(1, t - 1),
                     seq.posterior.stoch.select(1, t - 1),
                     seq.posterior.mean.select(1, t - 1),
                     seq.posterior.std.select(1, t - 1),
                     {}};
    ObserveOutput s = model->ObserveStep(prev, actions.select(1, t), embeddings.select(1, t),
                                         is_first.select(1, t));
    EXPECT_TRUE(torch::allclose(s.posterior.deter, seq.posterior.deter.select(1, t), 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(s.posterior.mean, seq.posterior.mean.select(1, t), 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(s.posterior.std, seq.posterior.std.select(1, t), 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(s.prior.mean, seq.prior.mean.select(1, t), 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(s.prior.std, seq.prior.std.select(1, t), 1e-5, 1e-6));
  }
}

TEST(RssmTest, IsFirstResetsStateAndAction) {
  torch::manual_seed(2);
  auto model = MakeSmall();
  LatentState prev = RandomState(2, 4, 8);
  torch::Tensor action = torch::randn({2, kAction});
  torch::Tensor embedding = torch::randn({2, kEmbed});
  // row 0 starts an episode: as if from the zero state with a zero action
  ObserveOutput reset = model->ObserveStep(prev, action, embedding, torch::tensor({true, false}));
  ObserveOutput fresh = model->ObserveStep(
      model->Initial(2, torch::kCPU), torch::zeros({2, kAction}), embedding, torch::zeros({2}));
  EXPECT_TRUE(torch::allclose(reset.posterior.deter[0], fresh.posterior.deter[0]));
  EXPECT_TRUE(torch::allclose(reset.posterior.mean[0], fresh.posterior.mean[0]));
  EXPECT_FALSE(torch::allclose(reset.posterior.deter[1], fresh.posterior.deter[1]));
  // in Observe, a reset at t = 2 of row 0 forgets everything before it
  torch::Tensor embeddings = torch::randn({2, 4, kEmbed});
  torch::Tensor is_first = torch::zeros({2, 4});
  is_first.index_put_({0, 2}, 1.0);
  ObserveOutput seq =
      model->Observe(embeddings, torch::randn({2, 4, kAction}), is_first, RandomState(2, 4, 8));
  ObserveOutput alone =
      model->ObserveStep(model->Initial(1, torch::kCPU), torch::zeros({1, kAction}),
                         embeddings.select(1, 2).slice(0, 0, 1), torch::zeros({1}));
  EXPECT_TRUE(
      torch::allclose(seq.posterior.deter.index({0, 2}), alone.posterior.deter[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(seq.prior.mean.index({0, 2}), alone.prior.mean[0], 1e-5, 1e-6));
}

// the closed-form KL of two diagonal Gaussians, by hand
double HandKl(const std::vector<double>& mq, const std::vector<double>& sq,
              const std::vector<double>& mp, const std::vector<double>& sp) {
  double kl = 0;
  for (size_t j = 0; j < mq.size(); ++j) {
    kl += std::log(sp[j] / sq[j]) +
          (sq[j] * sq[j] + (mq[j] - mp[j]) * (mq[j] - mp[j])) / (2 * sp[j] * sp[j]) - 0.5;
  }
  return kl;
}

TEST(RssmTest, KlLossMatchesClosedFormAndFreeNats) {
  // two steps of S = 2 with fixed Gaussians
  std::vector<double> mq0 = {0.5, -1.0}, sq0 = {1.0, 0.5}, mp0 = {0.0, 0.0}, sp0 = {2.0, 1.0};
  std::vector<double> mq1 = {0.0, 2.0}, sq1 = {0.3, 1.5}, mp1 = {1.0, 1.0}, sp1 = {0.5, 1.0};
  double kl0 = HandKl(mq0, sq0, mp0, sp0), kl1 = HandKl(mq1, sq1, mp1, sp1);
  auto tensor = [](std::vector<double> a, std::vector<double> b) {
    return torch::tensor({a[0], a[1], b[0], b[1]}, torch::kFloat32).view({1, 2, 2});
  };
  torch::Tensor q_mean = tensor(mq0, mq1).requires_grad_();
  torch::Tensor p_mean = tensor(mp0, mp1).requires_grad_();
  LatentState q{{}, {}, q_mean, tensor(sq0, sq1), {}};
  LatentState p{{}, {}, p_mean, tensor(sp0, sp1), {}};
  // below the KL: loss = scale * mean KL (batch mean, as Dreamer v1)
  auto model = Make({{"free_nats", 0.5}, {"kl_scale", 2.0}});
  KlOutput out = model->KlLoss(q, p);
  EXPECT_NEAR(out.value[0][0].item<double>(), kl0, 1e-5);
  EXPECT_NEAR(out.value[0][1].item<double>(), kl1, 1e-5);
  EXPECT_NEAR(out.loss.item<double>(), 2.0 * 0.5 * (kl0 + kl1), 1e-5);
  // d loss / d mq = scale * (mq - mp) / sp^2 / N
  out.loss.backward();
  EXPECT_NEAR(q_mean.grad()[0][0][0].item<double>(), 2.0 * 0.5 / 4.0 / 2.0, 1e-5);
  EXPECT_NEAR(p_mean.grad()[0][0][0].item<double>(), -2.0 * 0.5 / 4.0 / 2.0, 1e-5);
  // above the KL: loss = scale * free, no gradient
  q_mean.mutable_grad().zero_();
  auto clamped = Make({{"free_nats", 100.0}, {"kl_scale", 2.0}});
  KlOutput free = clamped->KlLoss(q, p);
  EXPECT_DOUBLE_EQ(free.loss.item<double>(), 200.0);
  free.loss.backward();
  EXPECT_EQ(q_mean.grad().abs().sum().item<float>(), 0.0f);
  // per-step free nats: mean of max(free, KL)
  double free_nats = 0.5 * (kl0 + kl1);  // between the two
  auto per_step = Make({{"free_nats", free_nats}, {"free_nats_per_step", true}});
  EXPECT_NEAR(per_step->KlLoss(q, p).loss.item<double>(),
              0.5 * (std::max(kl0, free_nats) + std::max(kl1, free_nats)), 1e-5);
}

TEST(RssmTest, ImagineGradientsReachParametersAndAction) {
  torch::manual_seed(3);
  auto model = MakeSmall();
  ObserveOutput seq = model->Observe(torch::randn({2, 3, kEmbed}), torch::randn({2, 3, kAction}),
                                     torch::zeros({2, 3}), model->Initial(2, torch::kCPU));
  torch::Tensor action = torch::randn({2, 3, kAction}, torch::requires_grad());
  LatentState next = model->ImagineStep(seq.posterior, action);
  model->Features(next).square().sum().backward();
  ASSERT_TRUE(action.grad().defined());
  EXPECT_GT(action.grad().abs().sum().item<float>(), 0.0f);
  for (const auto& p : model->Module()->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
  }
}

TEST(RssmTest, SaveLoadRoundTripIsExact) {
  torch::manual_seed(4);
  auto model = MakeSmall();
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    model->Module()->save(archive);
    archive.save_to(stream);
  }
  torch::manual_seed(5);  // a different initialisation
  auto copy = MakeSmall();
  {
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    copy->Module()->load(archive);
  }
  torch::Tensor embeddings = torch::randn({2, 4, kEmbed}), actions = torch::randn({2, 4, kAction});
  torch::Tensor is_first = torch::zeros({2, 4});
  torch::manual_seed(6);
  ObserveOutput a = model->Observe(embeddings, actions, is_first, model->Initial(2, torch::kCPU));
  LatentState a_next = model->ImagineStep(a.posterior, actions);
  torch::manual_seed(6);
  ObserveOutput b = copy->Observe(embeddings, actions, is_first, copy->Initial(2, torch::kCPU));
  LatentState b_next = copy->ImagineStep(b.posterior, actions);
  EXPECT_TRUE(torch::equal(a.posterior.stoch, b.posterior.stoch));
  EXPECT_TRUE(torch::equal(a.prior.mean, b.prior.mean));
  EXPECT_TRUE(torch::equal(a_next.stoch, b_next.stoch));
  EXPECT_TRUE(torch::equal(a_next.deter, b_next.deter));
}

TEST(RssmTest, RejectsBadParametersAndUnbuiltUse) {
  EXPECT_EQ(ErrorOf([] {
              Make({{"free_nats", -1.0}});
            }),
            "dynamics.free_nats: -1.0 is out of range: expected a value >= 0.0");
  EXPECT_EQ(ErrorOf([] { Make({{"min_std", 0.0}}); }), "dynamics.min_std: must be > 0");
  EXPECT_EQ(ErrorOf([] { Make({{"stoch", int64_t{0}}}); }).rfind("dynamics.stoch: ", 0), 0u);
  EXPECT_EQ(ErrorOf([] {
              Make({{"activation", std::string("gelu")}});
            }).rfind("dynamics.activation: ", 0),
            0u);
  EXPECT_THROW(Make({{"members", int64_t{3}}}), ConfigError);  // not a parameter of rssm
  // use before Build, and a Build without sizes
  auto model = Make();
  EXPECT_THROW(model->Initial(1, torch::kCPU), UsageError);
  EXPECT_THROW(model->Module(), UsageError);
  EXPECT_THROW(model->Build(0, 3), UsageError);
}

}  // namespace
}  // namespace imitate::plugins
