// Tests of the `rssm_ensemble` dynamics, loaded from the built plugin library through the real
// loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <set>
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
constexpr int64_t kStoch = 4;
constexpr int64_t kDeter = 8;
constexpr int64_t kHidden = 16;

// an unbuilt rssm_ensemble with `given` parameters
std::unique_ptr<EnsembleDynamics> Make(const std::map<std::string, ParamValue>& given = {}) {
  return test_support::MakePlugin<EnsembleDynamics>("rssm_ensemble", "dynamics", given);
}

// a small built ensemble: S 4, D 8, H 16, K members
std::unique_ptr<EnsembleDynamics> MakeSmall(int64_t members = 3) {
  auto model =
      Make({{"stoch", kStoch}, {"deter", kDeter}, {"hidden", kHidden}, {"members", members}});
  model->Build(kEmbed, kAction);
  return model;
}

// a named parameter of the model's module
torch::Tensor Param(EnsembleDynamics& model, const std::string& name) {
  return model.Module()->named_parameters()[name];
}

// a random state [B, ...]
LatentState RandomState(int64_t batch) {
  return {torch::randn({batch, kDeter}),
          torch::randn({batch, kStoch}),
          torch::randn({batch, kStoch}),
          torch::rand({batch, kStoch}) + 0.1,
          {}};
}

// the state at step t of a [B, T] state
LatentState At(const LatentState& s, int64_t t) {
  return {s.deter.select(1, t), s.stoch.select(1, t), s.mean.select(1, t), s.std.select(1, t), {}};
}

TEST(RssmEnsembleTest, ShapesOfEveryMethod) {
  torch::manual_seed(0);
  auto model = Make({{"stoch", kStoch}, {"deter", kDeter}, {"hidden", kHidden}});
  EXPECT_EQ(model->FeatureSize(), kStoch + kDeter);  // before Build
  EXPECT_EQ(model->Members(), 10);
  model->Build(kEmbed, kAction);
  // Initial: a real state, zero uncertainty
  LatentState init = model->Initial(5, torch::kCPU);
  EXPECT_EQ(init.deter.sizes(), (Sizes{5, kDeter}));
  EXPECT_EQ(init.stoch.sizes(), (Sizes{5, kStoch}));
  ASSERT_TRUE(init.uncertainty.defined());
  EXPECT_EQ(init.uncertainty.sizes(), (Sizes{5}));
  // ObserveStep: posterior uncertainty zero, prior's undefined
  ObserveOutput step = model->ObserveStep(init, torch::randn({5, kAction}),
                                          torch::randn({5, kEmbed}), torch::zeros({5}));
  EXPECT_EQ(step.posterior.mean.sizes(), (Sizes{5, kStoch}));
  EXPECT_EQ(step.prior.std.sizes(), (Sizes{5, kStoch}));
  EXPECT_TRUE(torch::equal(step.posterior.uncertainty, torch::zeros({5})));
  EXPECT_FALSE(step.prior.uncertainty.defined());
  // std = 2 sigmoid(raw / 2) + 0.1 lies in (0.1, 2.1)
  EXPECT_GT(step.posterior.std.min().item<float>(), 0.1f);
  EXPECT_LT(step.posterior.std.max().item<float>(), 2.1f);
  // Observe
  ObserveOutput seq = model->Observe(torch::randn({3, 7, kEmbed}), torch::randn({3, 7, kAction}),
                                     torch::zeros({3, 7}), model->Initial(3, torch::kCPU));
  for (const LatentState* s : {&seq.posterior, &seq.prior}) {
    EXPECT_EQ(s->deter.sizes(), (Sizes{3, 7, kDeter}));
    EXPECT_EQ(s->stoch.sizes(), (Sizes{3, 7, kStoch}));
    EXPECT_EQ(s->mean.sizes(), (Sizes{3, 7, kStoch}));
    EXPECT_EQ(s->std.sizes(), (Sizes{3, 7, kStoch}));
  }
  EXPECT_TRUE(torch::equal(seq.posterior.uncertainty, torch::zeros({3, 7})));
  EXPECT_FALSE(seq.prior.uncertainty.defined());
  // ImagineStep fills uncertainty; ImagineStepMember does not
  LatentState next = model->ImagineStep(step.posterior, torch::randn({5, kAction}));
  EXPECT_EQ(next.deter.sizes(), (Sizes{5, kDeter}));
  EXPECT_EQ(next.uncertainty.sizes(), (Sizes{5}));
  LatentState next_seq = model->ImagineStep(seq.posterior, torch::randn({3, 7, kAction}));
  EXPECT_EQ(next_seq.stoch.sizes(), (Sizes{3, 7, kStoch}));
  EXPECT_EQ(next_seq.uncertainty.sizes(), (Sizes{3, 7}));
  LatentState member = model->ImagineStepMember(step.posterior, torch::randn({5, kAction}), 9);
  EXPECT_EQ(member.mean.sizes(), (Sizes{5, kStoch}));
  EXPECT_FALSE(member.uncertainty.defined());
  // Disagreement, Features, KlLoss
  EXPECT_EQ(model->Disagreement(seq.posterior.deter).sizes(), (Sizes{3, 7}));
  EXPECT_EQ(model->Features(seq.posterior).sizes(), (Sizes{3, 7, kStoch + kDeter}));
  KlOutput kl = model->KlLoss(seq.posterior, seq.prior);
  EXPECT_EQ(kl.loss.dim(), 0);
  EXPECT_EQ(kl.value.sizes(), (Sizes{3, 7}));
}

TEST(RssmEnsembleTest, PaperDefaultSizes) {
  torch::manual_seed(1);
  auto model = Make();
  EXPECT_EQ(model->FeatureSize(), 360 + 400);
  EXPECT_EQ(model->Members(), 10);
  model->Build(1536, 9);
  ObserveOutput seq = model->Observe(torch::randn({2, 3, 1536}), torch::randn({2, 3, 9}),
                                     torch::zeros({2, 3}), model->Initial(2, torch::kCPU));
  EXPECT_EQ(seq.posterior.deter.sizes(), (Sizes{2, 3, 400}));
  EXPECT_EQ(seq.prior.mean.sizes(), (Sizes{2, 3, 360}));
  EXPECT_EQ(model->Features(seq.posterior).sizes(), (Sizes{2, 3, 760}));
  LatentState next = model->ImagineStep(seq.posterior, torch::randn({2, 3, 9}));
  EXPECT_EQ(next.uncertainty.sizes(), (Sizes{2, 3}));
  EXPECT_EQ(model->KlLoss(seq.posterior, seq.prior).value.sizes(), (Sizes{2, 3}));
  // the K prior heads are stored batched
  EXPECT_EQ(Param(*model, "prior_hidden.weight").sizes(), (Sizes{10, 400, 400}));
  EXPECT_EQ(Param(*model, "prior_out.weight").sizes(), (Sizes{10, 400, 720}));
}

TEST(RssmEnsembleTest, IsFirstResetsStateAndAction) {
  torch::manual_seed(2);
  auto model = MakeSmall();
  torch::Tensor embedding = torch::randn({2, kEmbed});
  ObserveOutput reset = model->ObserveStep(RandomState(2), torch::randn({2, kAction}), embedding,
                                           torch::tensor({false, true}));
  ObserveOutput fresh = model->ObserveStep(
      model->Initial(2, torch::kCPU), torch::zeros({2, kAction}), embedding, torch::zeros({2}));
  EXPECT_TRUE(torch::allclose(reset.posterior.deter[1], fresh.posterior.deter[1]));
  EXPECT_TRUE(torch::allclose(reset.posterior.mean[1], fresh.posterior.mean[1]));
  EXPECT_FALSE(torch::allclose(reset.posterior.deter[0], fresh.posterior.deter[0]));
}

TEST(RssmEnsembleTest, ObservePriorsComeFromOneMemberPerStep) {
  torch::manual_seed(3);
  const int64_t members = 4, batch = 2, steps = 12;
  auto model = MakeSmall(members);
  torch::Tensor embeddings = torch::randn({batch, steps, kEmbed});
  torch::Tensor actions = torch::randn({batch, steps, kAction});
  ObserveOutput seq =
      model->Observe(embeddings, actions, torch::zeros({batch, steps}), RandomState(batch));
  // the prior at t is exactly one member's prediction from the posterior at t - 1, the same
  // member for the whole batch
  std::set<int64_t> used;
  for (int64_t t = 1; t < steps; ++t) {
    int64_t found = -1;
    for (int64_t k = 0; k < members; ++k) {
      LatentState p = model->ImagineStepMember(At(seq.posterior, t - 1), actions.select(1, t), k);
      ASSERT_TRUE(torch::allclose(p.deter, seq.prior.deter.select(1, t), 1e-5, 1e-6));
      if (torch::allclose(p.mean, seq.prior.mean.select(1, t), 1e-5, 1e-6) &&
          torch::allclose(p.std, seq.prior.std.select(1, t), 1e-5, 1e-6)) {
        EXPECT_EQ(found, -1) << "two members match at step " << t;
        found = k;
      }
    }
    EXPECT_NE(found, -1) << "no member matches the prior at step " << t;
    used.insert(found);
  }
  EXPECT_GT(used.size(), 1u);  // 11 uniform draws from 4 all equal: p = 4^-10
  // the posterior of each step is ObserveStep's from the previous posterior
  for (int64_t t = 1; t < steps; ++t) {
    ObserveOutput s = model->ObserveStep(At(seq.posterior, t - 1), actions.select(1, t),
                                         embeddings.select(1, t), torch::zeros({batch}));
    EXPECT_TRUE(torch::allclose(s.posterior.mean, seq.posterior.mean.select(1, t), 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(s.posterior.std, seq.posterior.std.select(1, t), 1e-5, 1e-6));
  }
}

TEST(RssmEnsembleTest, ImagineStepDrawsOneMemberUniformly) {
  torch::manual_seed(4);
  const int64_t members = 3;
  auto model = MakeSmall(members);
  LatentState prev = RandomState(5);
  torch::Tensor action = torch::randn({5, kAction});
  std::vector<int> counts(members, 0);
  for (int i = 0; i < 60; ++i) {
    LatentState next = model->ImagineStep(prev, action);
    int matches = 0;
    for (int64_t k = 0; k < members; ++k) {
      LatentState p = model->ImagineStepMember(prev, action, k);
      if (torch::allclose(p.mean, next.mean, 1e-5, 1e-6)) {
        ++counts[k];
        ++matches;
      }
    }
    EXPECT_EQ(matches, 1);
    // its uncertainty is the disagreement of the new state
    EXPECT_TRUE(torch::allclose(next.uncertainty, model->Disagreement(next.deter), 1e-5, 1e-6));
  }
  for (int64_t k = 0; k < members; ++k) EXPECT_GE(counts[k], 5) << "member " << k;
}

TEST(RssmEnsembleTest, DisagreementIsPopulationStdOfMemberMeans) {
  torch::manual_seed(5);
  const int64_t members = 5;
  auto model = MakeSmall(members);
  torch::Tensor deter = torch::randn({2, 3, kDeter});
  torch::Tensor u = model->Disagreement(deter);
  // by hand: each member's mean, population std across members, mean over S
  torch::NoGradGuard no_grad;
  torch::Tensor w1 = Param(*model, "prior_hidden.weight"), b1 = Param(*model, "prior_hidden.bias");
  torch::Tensor w2 = Param(*model, "prior_out.weight"), b2 = Param(*model, "prior_out.bias");
  std::vector<torch::Tensor> means;
  for (int64_t k = 0; k < members; ++k) {
    torch::Tensor x = torch::elu(torch::matmul(deter, w1[k]) + b1[k]);
    means.push_back((torch::matmul(x, w2[k]) + b2[k]).slice(-1, 0, kStoch));
  }
  torch::Tensor stacked = torch::stack(means, 0);
  torch::Tensor centred = stacked - stacked.mean(0, true);
  torch::Tensor expected = centred.square().mean(0).sqrt().mean(-1);
  EXPECT_TRUE(torch::allclose(u, expected, 1e-5, 1e-6));
  EXPECT_GT(u.min().item<float>(), 0.0f);
}

TEST(RssmEnsembleTest, DisagreementIsExactlyZeroForIdenticalMembers) {
  torch::manual_seed(6);
  auto model = MakeSmall(4);
  {
    // copy member 0's head into every member
    torch::NoGradGuard no_grad;
    for (const char* name :
         {"prior_hidden.weight", "prior_hidden.bias", "prior_out.weight", "prior_out.bias"}) {
      torch::Tensor p = Param(*model, name);
      p.copy_(p.slice(0, 0, 1).expand_as(p).clone());
    }
  }
  torch::Tensor deter = torch::randn({3, 5, kDeter});
  EXPECT_TRUE(torch::equal(model->Disagreement(deter), torch::zeros({3, 5})));
  LatentState next = model->ImagineStep(RandomState(6), torch::randn({6, kAction}));
  EXPECT_TRUE(torch::equal(next.uncertainty, torch::zeros({6})));
}

TEST(RssmEnsembleTest, BalancedKlMatchesClosedForm) {
  // two steps of S = 2 with fixed Gaussians; KL by hand
  auto hand_kl = [](std::vector<double> mq, std::vector<double> sq, std::vector<double> mp,
                    std::vector<double> sp) {
    double kl = 0;
    for (size_t j = 0; j < 2; ++j) {
      kl += std::log(sp[j] / sq[j]) +
            (sq[j] * sq[j] + (mq[j] - mp[j]) * (mq[j] - mp[j])) / (2 * sp[j] * sp[j]) - 0.5;
    }
    return kl;
  };
  double kl0 = hand_kl({0.5, -1.0}, {1.0, 0.5}, {0.0, 0.0}, {2.0, 1.0});
  double kl1 = hand_kl({0.0, 2.0}, {0.3, 1.5}, {1.0, 1.0}, {0.5, 1.0});
  double mean_kl = 0.5 * (kl0 + kl1);
  auto make = [] {
    return std::vector<torch::Tensor>{
        torch::tensor({0.5, -1.0, 0.0, 2.0}).view({1, 2, 2}).requires_grad_(),  // q mean
        torch::tensor({1.0, 0.5, 0.3, 1.5}).view({1, 2, 2}).requires_grad_(),   // q std
        torch::tensor({0.0, 0.0, 1.0, 1.0}).view({1, 2, 2}).requires_grad_(),   // p mean
        torch::tensor({2.0, 1.0, 0.5, 1.0}).view({1, 2, 2}).requires_grad_()};  // p std
  };
  // free < KL: both terms active, loss = scale * mean KL
  std::vector<torch::Tensor> t = make();
  auto model = Make({{"kl_balance", 0.8}, {"free_nats", 0.1}, {"kl_scale", 1.5}});
  KlOutput out = model->KlLoss({{}, {}, t[0], t[1], {}}, {{}, {}, t[2], t[3], {}});
  EXPECT_NEAR(out.value[0][0].item<double>(), kl0, 1e-5);
  EXPECT_NEAR(out.value[0][1].item<double>(), kl1, 1e-5);
  EXPECT_NEAR(out.loss.item<double>(), 1.5 * (0.2 * mean_kl + 0.8 * mean_kl), 1e-5);
  // the posterior learns with weight 0.2, the prior with 0.8: dKL/dmq = (mq - mp) / sp^2
  out.loss.backward();
  double dkl = (0.5 - 0.0) / (2.0 * 2.0) / 2.0;  // / N = 2 steps
  EXPECT_NEAR(t[0].grad()[0][0][0].item<double>(), 1.5 * 0.2 * dkl, 1e-6);
  EXPECT_NEAR(t[2].grad()[0][0][0].item<double>(), -1.5 * 0.8 * dkl, 1e-6);
  // free > KL: loss = scale * free, no gradient anywhere
  std::vector<torch::Tensor> c = make();
  auto clamped = Make({{"free_nats", 50.0}, {"kl_scale", 1.5}});
  KlOutput free = clamped->KlLoss({{}, {}, c[0], c[1], {}}, {{}, {}, c[2], c[3], {}});
  EXPECT_DOUBLE_EQ(free.loss.item<double>(), 1.5 * 50.0);
  free.loss.backward();
  for (const torch::Tensor& x : c) {
    EXPECT_EQ(x.grad().defined() ? x.grad().abs().sum().item<float>() : 0.0f, 0.0f);
  }
  // the defaults (balance 0.8, free 1): one term clamped is the same as both, since the values
  // are equal
  auto defaults = Make();
  std::vector<torch::Tensor> d = make();
  EXPECT_NEAR(
      defaults->KlLoss({{}, {}, d[0], d[1], {}}, {{}, {}, d[2], d[3], {}}).loss.item<double>(),
      std::max(1.0, mean_kl), 1e-5);
}

TEST(RssmEnsembleTest, ImagineGradientsReachParametersAndAction) {
  torch::manual_seed(7);
  auto model = MakeSmall(3);
  ObserveOutput seq = model->Observe(torch::randn({2, 3, kEmbed}), torch::randn({2, 3, kAction}),
                                     torch::zeros({2, 3}), model->Initial(2, torch::kCPU));
  torch::Tensor action = torch::randn({2, 3, kAction}, torch::requires_grad());
  LatentState next = model->ImagineStep(seq.posterior, action);
  // features and the uncertainty penalty: every parameter takes part
  (model->Features(next).square().sum() + next.uncertainty.sum()).backward();
  ASSERT_TRUE(action.grad().defined());
  EXPECT_GT(action.grad().abs().sum().item<float>(), 0.0f);
  for (const auto& p : model->Module()->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
  }
  // a member step trains only that member's head
  for (auto& p : model->Module()->parameters()) p.mutable_grad() = torch::Tensor();
  model->Features(model->ImagineStepMember(seq.posterior.Detach(), action, 1)).sum().backward();
  torch::Tensor g = Param(*model, "prior_out.weight").grad();
  EXPECT_EQ(g[0].abs().sum().item<float>(), 0.0f);
  EXPECT_GT(g[1].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(g[2].abs().sum().item<float>(), 0.0f);
}

TEST(RssmEnsembleTest, SaveLoadRoundTripIsExact) {
  torch::manual_seed(8);
  auto model = MakeSmall(3);
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    model->Module()->save(archive);
    archive.save_to(stream);
  }
  torch::manual_seed(9);  // a different initialisation
  auto copy = MakeSmall(3);
  {
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    copy->Module()->load(archive);
  }
  torch::Tensor embeddings = torch::randn({2, 5, kEmbed}), actions = torch::randn({2, 5, kAction});
  torch::Tensor is_first = torch::zeros({2, 5});
  torch::manual_seed(10);
  ObserveOutput a = model->Observe(embeddings, actions, is_first, model->Initial(2, torch::kCPU));
  LatentState a_next = model->ImagineStep(a.posterior, actions);
  torch::manual_seed(10);
  ObserveOutput b = copy->Observe(embeddings, actions, is_first, copy->Initial(2, torch::kCPU));
  LatentState b_next = copy->ImagineStep(b.posterior, actions);
  EXPECT_TRUE(torch::equal(a.posterior.stoch, b.posterior.stoch));
  EXPECT_TRUE(torch::equal(a.prior.mean, b.prior.mean));
  EXPECT_TRUE(torch::equal(a_next.stoch, b_next.stoch));
  EXPECT_TRUE(torch::equal(a_next.uncertainty, b_next.uncertainty));
}

TEST(RssmEnsembleTest, RejectsBadParametersAndUnbuiltUse) {
  EXPECT_EQ(ErrorOf([] {
              Make({{"members", int64_t{0}}});
            }),
            "dynamics.members: 0 is out of range: expected a value in [1, 1024]");
  std::string negative = ErrorOf([] { Make({{"free_nats", -0.5}}); });
  EXPECT_EQ(negative.rfind("dynamics.free_nats: ", 0), 0u) << negative;
  EXPECT_EQ(ErrorOf([] { Make({{"kl_balance", 1.5}}); }).rfind("dynamics.kl_balance: ", 0), 0u);
  EXPECT_EQ(ErrorOf([] { Make({{"min_std", 0.0}}); }), "dynamics.min_std: must be > 0");
  EXPECT_EQ(ErrorOf([] { Make({{"kl_scale", -1.0}}); }).rfind("dynamics.kl_scale: ", 0), 0u);
  auto model = Make();
  EXPECT_THROW(model->Disagreement(torch::zeros({1, 400})), UsageError);
  EXPECT_THROW(model->ImagineStepMember(LatentState{}, torch::zeros({1, 2}), 0), UsageError);
  // a member out of range is a caller's bug
  auto built = MakeSmall(3);
  EXPECT_THROW(built->ImagineStepMember(RandomState(1), torch::zeros({1, kAction}), 3),
               InternalError);
}

}  // namespace
}  // namespace imitate::plugins
