// Tests of the `discriminator` reward learner, loaded from the built plugin library through the
// real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/reward_learner.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;

constexpr int64_t kF = 8;  // feature size
constexpr int64_t kA = 2;  // action size

class DiscriminatorTest : public ::testing::Test {
 protected:
  // an unbuilt discriminator with `given` parameters
  static std::unique_ptr<RewardLearner> Make(const std::map<std::string, ParamValue>& given) {
    return test_support::MakePlugin<RewardLearner>("discriminator", "reward", given);
  }

  // a discriminator built for kF features and kA actions
  static std::unique_ptr<RewardLearner> Built(const std::map<std::string, ParamValue>& given) {
    auto d = Make(given);
    d->Build(kF, kA);
    return d;
  }

  // the gradient of `output` with respect to each of `inputs` (zero where unused)
  static std::vector<torch::Tensor> Grads(const torch::Tensor& output,
                                          const std::vector<torch::Tensor>& inputs) {
    return torch::autograd::grad({output}, inputs, {}, /*retain_graph=*/true,
                                 /*create_graph=*/false, /*allow_unused=*/true);
  }

  // copies D's weights from one discriminator into another of the same sizes
  static void CopyWeights(RewardLearner& from, RewardLearner& to) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> source = from.Module()->parameters();
    std::vector<torch::Tensor> target = to.Module()->parameters();
    for (size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
  }

  // true when `t` is defined and has a nonzero element
  static bool NonZero(const torch::Tensor& t) {
    return t.defined() && t.abs().sum().item<double>() > 0;
  }
};

TEST_F(DiscriminatorTest, ShapesFollowTheLeadingDims) {
  torch::manual_seed(0);
  auto d = Built({{"hidden", std::vector<int64_t>{32}}});
  // expert [B, T], policy [N]
  RewardLoss a = d->Loss(torch::randn({3, 5, kF}), torch::randn({3, 5, kA}), torch::randn({7, kF}),
                         torch::randn({7, kA}));
  EXPECT_EQ(a.loss.dim(), 0);
  EXPECT_EQ(a.policy_reward.sizes(), (std::vector<int64_t>{7}));
  // expert [N], policy [B, T]
  RewardLoss b = d->Loss(torch::randn({4, kF}), torch::randn({4, kA}), torch::randn({2, 6, kF}),
                         torch::randn({2, 6, kA}));
  EXPECT_EQ(b.policy_reward.sizes(), (std::vector<int64_t>{2, 6}));
  EXPECT_TRUE((b.policy_reward > 0).all().item<bool>() && (b.policy_reward < 1).all().item<bool>());
  // Reward keeps the leading dims and equals the flattened batch's
  torch::Tensor f = torch::randn({2, 6, kF});
  torch::Tensor act = torch::randn({2, 6, kA});
  torch::Tensor r = d->Reward(f, act);
  EXPECT_EQ(r.sizes(), (std::vector<int64_t>{2, 6}));
  EXPECT_TRUE(torch::allclose(r.reshape({12}),
                              d->Reward(f.reshape({12, kF}), act.reshape({12, kA})), 1e-5, 1e-6));
  // the metrics, without a penalty
  for (const char* key :
       {"loss", "expert_accuracy", "policy_accuracy", "expert_reward_mean", "policy_reward_mean"}) {
    EXPECT_EQ(b.metrics.count(std::string("discriminator/") + key), 1u) << key;
  }
  EXPECT_EQ(b.metrics.count("discriminator/gradient_penalty"), 0u);
  EXPECT_DOUBLE_EQ(b.metrics.at("discriminator/loss"), b.loss.item<double>());
}

TEST_F(DiscriminatorTest, RejectsBadInputsAndUnbuiltUse) {
  auto d = Make({});
  EXPECT_THROW(d->Reward(torch::zeros({2, kF}), torch::zeros({2, kA})), UsageError);
  EXPECT_THROW(d->Module(), UsageError);
  d->Build(kF, kA);
  // a wrong feature size, and features and actions with different leading dims
  std::string size = ErrorOf([&] { d->Reward(torch::zeros({2, kF + 1}), torch::zeros({2, kA})); });
  EXPECT_NE(size.find("expected [..., 8] and [..., 2]"), std::string::npos) << size;
  EXPECT_THROW(d->Loss(torch::zeros({2, kF}), torch::zeros({3, kA}), torch::zeros({2, kF}),
                       torch::zeros({2, kA})),
               DataError);
  EXPECT_THROW(d->Loss(torch::zeros({0, kF}), torch::zeros({0, kA}), torch::zeros({2, kF}),
                       torch::zeros({2, kA})),
               DataError);
}

TEST_F(DiscriminatorTest, SeparatesTwoDistributions) {
  torch::manual_seed(1);
  auto d = Built({{"instance_noise", 0.0}});
  // expert features ~ N(+1, 0.3), policy ~ N(-1, 0.3); actions alike on both sides
  torch::Tensor ef = 1 + 0.3 * torch::randn({128, kF});
  torch::Tensor pf = -1 + 0.3 * torch::randn({128, kF});
  torch::Tensor ea = 0.3 * torch::randn({128, kA});
  torch::Tensor pa = 0.3 * torch::randn({128, kA});
  torch::optim::Adam adam(d->Module()->parameters(), torch::optim::AdamOptions(1e-3));
  RewardLoss out;
  for (int i = 0; i < 300; ++i) {
    out = d->Loss(ef, ea, pf, pa);
    adam.zero_grad();
    out.loss.backward();
    adam.step();
  }
  out = d->Loss(ef, ea, pf, pa);
  EXPECT_GT(out.metrics.at("discriminator/expert_accuracy"), 0.95);
  EXPECT_GT(out.metrics.at("discriminator/policy_accuracy"), 0.95);
  torch::NoGradGuard no_grad;
  // fresh samples of the same distributions
  EXPECT_GT(d->Reward(1 + 0.3 * torch::randn({64, kF}), 0.3 * torch::randn({64, kA}))
                .mean()
                .item<double>(),
            0.9);
  EXPECT_LT(d->Reward(-1 + 0.3 * torch::randn({64, kF}), 0.3 * torch::randn({64, kA}))
                .mean()
                .item<double>(),
            0.1);
}

TEST_F(DiscriminatorTest, LossIsHandComputedBce) {
  // D with one hidden unit: z = w2 * elu(w1 . [x, a] + b1) + b2
  auto d = Make({{"hidden", std::vector<int64_t>{1}}, {"instance_noise", 0.0}});
  d->Build(2, 1);
  const std::vector<double> w1 = {0.5, -1.0, 2.0};
  const double b1 = 0.1, w2 = 1.5, b2 = -0.2;
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> p = d->Module()->parameters();
    ASSERT_EQ(p.size(), 4u);
    p[0].copy_(torch::tensor({{w1[0], w1[1], w1[2]}}));
    p[1].fill_(b1);
    p[2].fill_(w2);
    p[3].fill_(b2);
  }
  auto logit = [&](double x0, double x1, double a) {
    double h = w1[0] * x0 + w1[1] * x1 + w1[2] * a + b1;
    return w2 * (h > 0 ? h : std::exp(h) - 1) + b2;
  };
  auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  // two expert pairs, three policy pairs
  torch::Tensor ef = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  torch::Tensor ea = torch::tensor({{0.5f}, {-1.0f}});
  torch::Tensor pf = torch::tensor({{-1.0f, 2.0f}, {0.3f, 0.3f}, {2.0f, -0.5f}});
  torch::Tensor pa = torch::tensor({{0.3f}, {0.0f}, {-0.7f}});
  double expert_term =
      -(std::log(sigmoid(logit(1, 0, 0.5))) + std::log(sigmoid(logit(0, 1, -1)))) / 2;
  std::vector<double> zp = {logit(-1, 2, 0.3), logit(0.3, 0.3, 0), logit(2, -0.5, -0.7)};
  double policy_term = 0;
  for (double z : zp) policy_term -= std::log(1 - sigmoid(z)) / 3;
  RewardLoss out = d->Loss(ef, ea, pf, pa);
  EXPECT_NEAR(out.loss.item<double>(), expert_term + policy_term, 1e-5);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(out.policy_reward[i].item<double>(), sigmoid(zp[i]), 1e-6);
  }
  // accuracies count logits on the right side of 0
  double policy_correct = 0;
  for (double z : zp) policy_correct += z < 0 ? 1.0 / 3 : 0.0;
  EXPECT_NEAR(out.metrics.at("discriminator/policy_accuracy"), policy_correct, 1e-6);
}

TEST_F(DiscriminatorTest, InstanceNoiseIsReproducibleAndCorruptsThePolicyReward) {
  torch::manual_seed(2);
  auto d = Built({{"hidden", std::vector<int64_t>{32, 32}}});  // instance_noise 2.5
  torch::Tensor ef = torch::randn({2, 3, kF});
  torch::Tensor ea = torch::randn({2, 3, kA});
  torch::Tensor pf = torch::randn({4, kF});
  torch::Tensor pa = torch::randn({4, kA});
  // the loss on fixed inputs depends on the seed
  torch::manual_seed(10);
  double first = d->Loss(ef, ea, pf, pa).loss.item<double>();
  torch::manual_seed(11);
  double second = d->Loss(ef, ea, pf, pa).loss.item<double>();
  EXPECT_NE(first, second);
  // re-seeding reproduces the noise: one N(0, 1) draw [N_e + N_p, F + A], expert rows first
  torch::manual_seed(12);
  RewardLoss out = d->Loss(ef, ea, pf, pa);
  torch::manual_seed(12);
  torch::Tensor clean =
      torch::cat({torch::cat({ef, ea}, -1).reshape({6, kF + kA}), torch::cat({pf, pa}, -1)}, 0);
  torch::Tensor noisy = clean + 2.5 * torch::randn({10, kF + kA});
  torch::Tensor noisy_expert = noisy.slice(0, 0, 6);
  torch::Tensor noisy_policy = noisy.slice(0, 6);
  torch::Tensor expert_reward = d->Reward(noisy_expert.slice(1, 0, kF), noisy_expert.slice(1, kF));
  torch::Tensor policy_reward = d->Reward(noisy_policy.slice(1, 0, kF), noisy_policy.slice(1, kF));
  // policy_reward is sigmoid(D) of the same noisy input the loss used
  EXPECT_TRUE(torch::allclose(out.policy_reward, policy_reward, 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(out.policy_reward, d->Reward(pf, pa), 1e-3, 1e-4));
  double bce = -(expert_reward.log().mean() + (1 - policy_reward).log().mean()).item<double>();
  EXPECT_NEAR(out.loss.item<double>(), bce, 1e-4);
  // reward_on_noisy_input = false: the same weights give the clean reward, the loss stays noisy
  auto clean_d =
      Built({{"hidden", std::vector<int64_t>{32, 32}}, {"reward_on_noisy_input", false}});
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> from = d->Module()->parameters();
    std::vector<torch::Tensor> to = clean_d->Module()->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  torch::manual_seed(12);
  RewardLoss clean_out = clean_d->Loss(ef, ea, pf, pa);
  EXPECT_TRUE(torch::allclose(clean_out.policy_reward, d->Reward(pf, pa), 1e-5, 1e-6));
  EXPECT_NEAR(clean_out.loss.item<double>(), out.loss.item<double>(), 1e-5);
}

TEST_F(DiscriminatorTest, PolicyRewardGradientsReachTheInputsAndLossTrainsD) {
  torch::manual_seed(3);
  for (bool noisy : {true, false}) {
    auto d = Built({{"hidden", std::vector<int64_t>{16}}, {"reward_on_noisy_input", noisy}});
    torch::Tensor pf = torch::randn({2, 5, kF}, torch::requires_grad());
    torch::Tensor pa = torch::randn({2, 5, kA}, torch::requires_grad());
    RewardLoss out = d->Loss(torch::randn({3, kF}), torch::randn({3, kA}), pf, pa);
    std::vector<torch::Tensor> g = Grads(out.policy_reward.sum(), {pf, pa});
    EXPECT_TRUE(NonZero(g[0])) << "features, noisy " << noisy;
    EXPECT_TRUE(NonZero(g[1])) << "actions, noisy " << noisy;
    std::vector<torch::Tensor> params = d->Module()->parameters();
    for (const torch::Tensor& pg : Grads(out.loss, params)) EXPECT_TRUE(NonZero(pg));
  }
}

TEST_F(DiscriminatorTest, GradientPenaltyTrainsD) {
  torch::manual_seed(4);
  const std::vector<int64_t> hidden = {16, 16};
  auto plain = Built({{"hidden", hidden}, {"instance_noise", 0.0}});
  auto penalised = Built({{"hidden", hidden}, {"instance_noise", 0.0}, {"gradient_penalty", 10.0}});
  CopyWeights(*plain, *penalised);
  // different expert and policy shapes: min(N_e, N_p) = 6 interpolates
  torch::Tensor ef = torch::randn({2, 5, kF});
  torch::Tensor ea = torch::randn({2, 5, kA});
  torch::Tensor pf = torch::randn({6, kF});
  torch::Tensor pa = torch::randn({6, kA});
  RewardLoss a = plain->Loss(ef, ea, pf, pa);
  RewardLoss b = penalised->Loss(ef, ea, pf, pa);
  EXPECT_EQ(a.metrics.count("discriminator/gradient_penalty"), 0u);
  ASSERT_EQ(b.metrics.count("discriminator/gradient_penalty"), 1u);
  double gp = b.metrics.at("discriminator/gradient_penalty");
  EXPECT_GT(gp, 0);
  // loss = BCE + weight * penalty, and the penalty's gradient reaches D's parameters
  EXPECT_NEAR(b.loss.item<double>(), a.loss.item<double>() + 10 * gp, 1e-4);
  std::vector<torch::Tensor> ga = Grads(a.loss, plain->Module()->parameters());
  std::vector<torch::Tensor> gb = Grads(b.loss, penalised->Module()->parameters());
  double difference = 0;
  for (size_t i = 0; i < ga.size(); ++i) difference += (ga[i] - gb[i]).abs().sum().item<double>();
  EXPECT_GT(difference, 1e-4);
  // the penalty alone does not reach the policy inputs (its endpoints are detached)
  torch::Tensor pf2 = pf.clone().requires_grad_(true);
  RewardLoss c = penalised->Loss(ef, ea, pf2, pa);
  RewardLoss e = plain->Loss(ef, ea, pf2, pa);
  // only the BCE part depends on pf2
  EXPECT_TRUE(torch::allclose(Grads(c.loss, {pf2})[0], Grads(e.loss, {pf2})[0], 1e-5, 1e-6));
}

TEST_F(DiscriminatorTest, ParameterGradientPenaltyIsVmailsFormula) {
  torch::manual_seed(7);
  const std::vector<int64_t> hidden = {16, 16};
  auto plain = Built({{"hidden", hidden}, {"instance_noise", 0.0}});
  auto d = Built({{"hidden", hidden},
                  {"instance_noise", 0.0},
                  {"gradient_penalty", 2.0},
                  {"gradient_penalty_on", std::string("parameters")}});
  CopyWeights(*plain, *d);
  torch::Tensor ef = torch::randn({4, kF});
  torch::Tensor ea = torch::randn({4, kA});
  torch::Tensor pf = torch::randn({3, kF});
  torch::Tensor pa = torch::randn({3, kA});
  torch::manual_seed(8);
  RewardLoss out = d->Loss(ef, ea, pf, pa);
  RewardLoss bce = plain->Loss(ef, ea, pf, pa);
  ASSERT_EQ(out.metrics.count("discriminator/gradient_penalty"), 1u);
  const double gp = out.metrics.at("discriminator/gradient_penalty");

  // by hand: the same alpha draw, u = alpha * expert + (1 - alpha) * policy over min(4, 3) pairs,
  // D(u) recovered from the clean reward, then (||d mean D(u) / d theta|| - 1)^2
  torch::manual_seed(8);
  torch::Tensor alpha = torch::rand({3, 1});
  torch::Tensor uf = alpha * ef.slice(0, 0, 3) + (1 - alpha) * pf;
  torch::Tensor ua = alpha * ea.slice(0, 0, 3) + (1 - alpha) * pa;
  torch::Tensor logits = torch::logit(d->Reward(uf, ua).to(torch::kFloat64));
  std::vector<torch::Tensor> grads = Grads(logits.mean(), d->Module()->parameters());
  double squared = 0;
  for (const torch::Tensor& g : grads) squared += g.square().sum().item<double>();
  const double expected = std::pow(std::sqrt(squared) - 1, 2);
  EXPECT_NEAR(gp, expected, 1e-4 * std::max(1.0, expected));
  EXPECT_NEAR(out.loss.item<double>(), bce.loss.item<double>() + 2 * gp, 1e-4);

  // the penalty's gradient reaches D's parameters (double backward), not the policy inputs
  std::vector<torch::Tensor> g_plain = Grads(bce.loss, plain->Module()->parameters());
  std::vector<torch::Tensor> g_pen = Grads(out.loss, d->Module()->parameters());
  double difference = 0;
  for (size_t i = 0; i < g_plain.size(); ++i) {
    difference += (g_plain[i] - g_pen[i]).abs().sum().item<double>();
  }
  EXPECT_GT(difference, 1e-4);
  torch::Tensor pf2 = pf.clone().requires_grad_(true);
  RewardLoss c = d->Loss(ef, ea, pf2, pa);
  RewardLoss e = plain->Loss(ef, ea, pf2, pa);
  EXPECT_TRUE(torch::allclose(Grads(c.loss, {pf2})[0], Grads(e.loss, {pf2})[0], 1e-5, 1e-6));
}

TEST_F(DiscriminatorTest, RewardFormsAreFunctionsOfTheLogit) {
  torch::manual_seed(7);
  auto sig = Built({{"instance_noise", 0.0}});
  auto log_sig = Built({{"instance_noise", 0.0}, {"reward_form", std::string("log_sigmoid")}});
  auto logit = Built({{"instance_noise", 0.0}, {"reward_form", std::string("logit")}});
  CopyWeights(*sig, *log_sig);
  CopyWeights(*sig, *logit);
  torch::Tensor ef = torch::randn({6, kF});
  torch::Tensor ea = torch::randn({6, kA});
  torch::Tensor pf = 3 * torch::randn({9, kF});
  torch::Tensor pa = torch::randn({9, kA});
  // the logit z, read back from the sigmoid form
  torch::Tensor p = sig->Reward(pf, pa).detach();
  torch::Tensor z = torch::log(p) - torch::log1p(-p);
  EXPECT_TRUE(torch::allclose(logit->Reward(pf, pa), z, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(log_sig->Reward(pf, pa), torch::log(p), 1e-5, 1e-6));
  // the loss's policy reward follows the form; the loss itself does not depend on it
  RewardLoss a = sig->Loss(ef, ea, pf, pa);
  RewardLoss b = log_sig->Loss(ef, ea, pf, pa);
  RewardLoss c = logit->Loss(ef, ea, pf, pa);
  EXPECT_NEAR(a.loss.item<double>(), b.loss.item<double>(), 1e-6);
  EXPECT_NEAR(a.loss.item<double>(), c.loss.item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(b.policy_reward, torch::log(a.policy_reward), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(c.policy_reward, z, 1e-4, 1e-4));

  // where D is sure a pair is the policy's, sigmoid's slope vanishes and log sigmoid's does not:
  // one hidden unit, z = 2 * elu(w . [x, a]) - 12, at a pair with z about -10
  auto slope = [&](const std::string& form) {
    auto d = Make({{"hidden", std::vector<int64_t>{1}}, {"reward_form", form}});
    d->Build(kF, kA);
    {
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> w = d->Module()->parameters();
      w[0].fill_(0.1);
      w[1].zero_();
      w[2].fill_(2.0);
      w[3].fill_(-12.0);
    }
    torch::Tensor x = torch::ones({1, kF}).requires_grad_(true);
    torch::Tensor r = d->Reward(x, torch::zeros({1, kA})).sum();
    return Grads(r, {x})[0].abs().max().item<double>();
  };
  // dz/dx = 2 * 0.1 = 0.2 (the hidden unit is active: w . [x, a] = 0.8 > 0)
  EXPECT_LT(slope("sigmoid"), 1e-4);
  EXPECT_NEAR(slope("log_sigmoid"), 0.2, 1e-3);
  EXPECT_NEAR(slope("logit"), 0.2, 1e-6);
}

TEST_F(DiscriminatorTest, RejectsBadParameters) {
  std::string noise = ErrorOf([&] { Make({{"instance_noise", -1.0}}); });
  EXPECT_NE(noise.find("reward.instance_noise"), std::string::npos) << noise;
  std::string gp = ErrorOf([&] { Make({{"gradient_penalty", -0.5}}); });
  EXPECT_NE(gp.find("reward.gradient_penalty"), std::string::npos) << gp;
  std::string hidden = ErrorOf([&] { Make({{"hidden", std::vector<int64_t>{}}}); });
  EXPECT_NE(hidden.find("reward.hidden"), std::string::npos) << hidden;
  for (const std::string& message : {noise, gp, hidden}) {
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_THROW(Make({{"hidden", std::vector<int64_t>{0}}}), ConfigError);
  EXPECT_THROW(Make({{"activation", std::string("gelu")}}), ConfigError);
  EXPECT_THROW(Make({{"instance_noise", std::string("high")}}), ConfigError);
  std::string on = ErrorOf([&] { Make({{"gradient_penalty_on", std::string("weights")}}); });
  EXPECT_NE(on.find("reward.gradient_penalty_on"), std::string::npos) << on;
  std::string form = ErrorOf([&] { Make({{"reward_form", std::string("log")}}); });
  EXPECT_NE(form.find("reward.reward_form"), std::string::npos) << form;
}

TEST_F(DiscriminatorTest, ModuleSaveLoadRoundTrip) {
  torch::manual_seed(5);
  auto a = Built({});
  torch::manual_seed(6);
  auto b = Built({});
  torch::Tensor f = torch::randn({5, kF});
  torch::Tensor act = torch::randn({5, kA});
  EXPECT_FALSE(torch::allclose(a->Reward(f, act), b->Reward(f, act)));
  // save a's module, load it into b
  std::stringstream stream;
  torch::serialize::OutputArchive out;
  a->Module()->save(out);
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  b->Module()->load(in);
  EXPECT_TRUE(torch::equal(a->Reward(f, act), b->Reward(f, act)));
}

}  // namespace
}  // namespace imitate::plugins
