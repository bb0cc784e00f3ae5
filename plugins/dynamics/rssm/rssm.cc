#include "plugins/dynamics/rssm/rssm.h"

namespace imitate::plugins {

namespace {

// the model options from validated parameters
RssmConfig ModelConfig(const Params& params) {
  if (params.Float("min_std") <= 0) params.Fail("min_std", "must be > 0");
  RssmConfig config;
  config.stoch = params.Int("stoch");
  config.deter = params.Int("deter");
  config.hidden = params.Int("hidden");
  config.members = 1;
  config.activation = params.String("activation");
  config.gru = GruKind::kPlain;
  config.std = StdKind::kSoftplus;
  config.min_std = params.Float("min_std");
  config.uncertainty = false;
  return config;
}

// the KL options from validated parameters
KlConfig LossConfig(const Params& params) {
  KlConfig kl;
  kl.free_nats = params.Float("free_nats");
  kl.free_per_step = params.Bool("free_nats_per_step");
  kl.balance = 0.0;
  kl.scale = params.Float("kl_scale");
  return kl;
}

}  // namespace

ParamSpecs Rssm::Specs() {
  return {
      IntParam("stoch", 30, "size S of the stochastic state z (Gaussian)").Range(1, 65536),
      IntParam("deter", 200, "size D of the deterministic GRU state h").Range(1, 65536),
      IntParam("hidden", 200, "units of the hidden dense layers (input, prior, posterior)")
          .Range(1, 65536),
      FloatParam("min_std", 0.1, "std = softplus(raw) + min_std; > 0").Range(0, 100),
      FloatParam("free_nats", 3.0, "the KL loss is clamped below at this many nats (no gradient)")
          .Min(0),
      BoolParam("free_nats_per_step", false,
                "false: max(free_nats, mean KL) as Dreamer v1 / V-MAIL; true: mean of "
                "max(free_nats, KL) per step"),
      FloatParam("kl_scale", 1.0, "weight of the KL loss").Min(0),
      StringParam("activation", "elu", "activation of the hidden dense layers")
          .Choices(RssmActivationNames()),
  };
}

std::unique_ptr<Dynamics> Rssm::Create(const Params& params) {
  return std::make_unique<Rssm>(params);
}

Rssm::Rssm(const Params& params)
    : RssmDynamics<Dynamics>("rssm", ModelConfig(params), LossConfig(params)) {}

}  // namespace imitate::plugins
