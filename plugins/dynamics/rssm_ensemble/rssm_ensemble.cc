#include "plugins/dynamics/rssm_ensemble/rssm_ensemble.h"

namespace imitate::plugins {

namespace {

// the model options from validated parameters
RssmConfig ModelConfig(const Params& params) {
  if (params.Float("min_std") <= 0) params.Fail("min_std", "must be > 0");
  RssmConfig config;
  config.stoch = params.Int("stoch");
  config.deter = params.Int("deter");
  config.hidden = params.Int("hidden");
  config.members = params.Int("members");
  config.activation = params.String("activation");
  config.gru = GruKind::kLayerNorm;
  config.std = StdKind::kSigmoid2;
  config.min_std = params.Float("min_std");
  config.uncertainty = true;
  return config;
}

// the KL options from validated parameters
KlConfig LossConfig(const Params& params) {
  KlConfig kl;
  kl.free_nats = params.Float("free_nats");
  kl.free_per_step = false;
  kl.balance = params.Float("kl_balance");
  kl.scale = params.Float("kl_scale");
  return kl;
}

}  // namespace

ParamSpecs RssmEnsemble::Specs() {
  return {
      IntParam("stoch", 360, "size S of the stochastic state z (Gaussian)").Range(1, 65536),
      IntParam("deter", 400, "size D of the deterministic GRU state h").Range(1, 65536),
      IntParam("hidden", 400, "units of the hidden dense layers (input, prior heads, posterior)")
          .Range(1, 65536),
      IntParam("members", 10, "number K of prior heads; one is drawn uniformly per step")
          .Range(1, 1024),
      FloatParam("min_std", 0.1, "std = 2 * sigmoid(raw / 2) + min_std; > 0").Range(0, 100),
      FloatParam("free_nats", 1.0,
                 "each balanced KL term is max(free_nats, batch-mean KL); the clamp has no "
                 "gradient")
          .Min(0),
      FloatParam("kl_balance", 0.8,
                 "weight of KL(sg(q) || p), which trains the prior; 1 - kl_balance trains the "
                 "posterior")
          .Range(0, 1),
      FloatParam("kl_scale", 1.0, "weight of the KL loss").Min(0),
      StringParam("activation", "elu", "activation of the hidden dense layers")
          .Choices(RssmActivationNames()),
  };
}

std::unique_ptr<EnsembleDynamics> RssmEnsemble::Create(const Params& params) {
  return std::make_unique<RssmEnsemble>(params);
}

RssmEnsemble::RssmEnsemble(const Params& params)
    : RssmDynamics<EnsembleDynamics>("rssm_ensemble", ModelConfig(params), LossConfig(params)) {}

LatentState RssmEnsemble::ImagineStepMember(const LatentState& prev, const torch::Tensor& action,
                                            int64_t member) {
  return Model("ImagineStepMember")->ImagineStepMember(prev, action, member);
}

torch::Tensor RssmEnsemble::Disagreement(const torch::Tensor& deter) {
  return Model("Disagreement")->Disagreement(deter);
}

}  // namespace imitate::plugins
