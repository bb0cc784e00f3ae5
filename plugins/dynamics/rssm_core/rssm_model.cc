#include "plugins/dynamics/rssm_core/rssm_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

#include "imitate/sdk/errors.h"

namespace imitate::plugins {

namespace {

// x [..., n] -> [N, n]
torch::Tensor Flat(const torch::Tensor& x) { return x.reshape({-1, x.size(-1)}); }

// the leading dims of x [..., n]
std::vector<int64_t> Lead(const torch::Tensor& x) {
  return std::vector<int64_t>(x.sizes().begin(), x.sizes().end() - 1);
}

// x [N, ...] -> lead + x's trailing dims (none for a per-step scalar like uncertainty)
torch::Tensor Unflat(const torch::Tensor& x, std::vector<int64_t> lead) {
  if (!x.defined()) return x;
  for (int64_t d = 1; d < x.dim(); ++d) lead.push_back(x.size(d));
  return x.view(lead);
}

LatentState Unflat(const LatentState& s, const std::vector<int64_t>& lead) {
  return {Unflat(s.deter, lead), Unflat(s.stoch, lead), Unflat(s.mean, lead), Unflat(s.std, lead),
          Unflat(s.uncertainty, lead)};
}

// the std across members of their means (population std), averaged over S: means [K, N, S]
// -> [N]. Welford's update keeps identical members at exactly 0.
torch::Tensor DisagreementOf(const torch::Tensor& means) {
  return means.std(/*dim=*/{0}, /*unbiased=*/false).mean(-1);
}

}  // namespace

// ----- construction ----- //

RssmModelImpl::RssmModelImpl(const RssmConfig& config) : config_(config) {
  const auto& names = RssmActivationNames();
  auto it = std::find(names.begin(), names.end(), config.activation);
  if (it == names.end())
    throw std::invalid_argument("rssm: unknown activation " + config.activation);
  activation_ = static_cast<int>(it - names.begin());
  const int64_t s = config.stoch, d = config.deter, h = config.hidden, k = config.members;
  // img: [z, a] -> u -> GRU
  img_in = register_module("img_in",
                           torch::nn::Linear(torch::nn::LinearOptions(s + config.action_size, h)));
  if (config.gru == GruKind::kPlain) {
    gru = register_module("gru", torch::nn::GRUCell(torch::nn::GRUCellOptions(h, d)));
  } else {
    layer_norm_gru = register_module("gru", LayerNormGruCell(LayerNormGruConfig{h, d}));
  }
  // K prior heads: h -> H -> 2S, batched
  prior_hidden = register_module("prior_hidden", EnsembleLinear(EnsembleLinearConfig{k, d, h}));
  prior_out = register_module("prior_out", EnsembleLinear(EnsembleLinearConfig{k, h, 2 * s}));
  // posterior: [h, e] -> H -> 2S
  post_hidden = register_module(
      "post_hidden", torch::nn::Linear(torch::nn::LinearOptions(d + config.embedding_size, h)));
  post_out = register_module("post_out", torch::nn::Linear(torch::nn::LinearOptions(h, 2 * s)));
}

// ----- building blocks ----- //

torch::Tensor RssmModelImpl::Act(const torch::Tensor& x) const {
  switch (activation_) {
    case 0:
      return torch::elu(x);
    case 1:
      return torch::relu(x);
    default:
      return torch::tanh(x);
  }
}

torch::Tensor RssmModelImpl::Cell(const torch::Tensor& x, const torch::Tensor& deter) {
  if (config_.gru == GruKind::kPlain) return gru->forward(x, deter);
  return layer_norm_gru->forward(x, deter);
}

torch::Tensor RssmModelImpl::Recur(const torch::Tensor& stoch, const torch::Tensor& action,
                                   const torch::Tensor& deter) {
  torch::Tensor u = Act(img_in->forward(torch::cat({stoch, action}, -1)));
  return Cell(u, deter);
}

torch::Tensor RssmModelImpl::PriorRaw(const torch::Tensor& deter, int64_t member) {
  return prior_out->Member(Act(prior_hidden->Member(deter, member)), member);
}

RssmModelImpl::AllMembers RssmModelImpl::PriorMeansAll(const torch::Tensor& deter) {
  // [K, N, H] hidden for all members in one baddbmm, then only the mean half of the output
  const int64_t s = config_.stoch;
  torch::Tensor hidden = Act(prior_hidden->All(deter));
  torch::Tensor means = torch::baddbmm(prior_out->bias.narrow(1, 0, s).unsqueeze(1), hidden,
                                       prior_out->weight.narrow(2, 0, s));
  return {hidden, means};
}

Gaussian RssmModelImpl::Posterior(const torch::Tensor& deter, const torch::Tensor& embedding) {
  torch::Tensor x = Act(post_hidden->forward(torch::cat({deter, embedding}, -1)));
  return GaussianFromRaw(post_out->forward(x), config_.std, config_.min_std);
}

int64_t RssmModelImpl::DrawMember() const {
  if (config_.members == 1) return 0;
  return torch::randint(config_.members, {1}, torch::kLong).item<int64_t>();
}

LatentState RssmModelImpl::PriorState(const torch::Tensor& raw, const torch::Tensor& deter) const {
  Gaussian g = GaussianFromRaw(raw, config_.std, config_.min_std);
  return {deter, Reparameterise(g, torch::randn_like(g.mean)), g.mean, g.std, {}};
}

// ----- Dynamics methods ----- //

LatentState RssmModelImpl::Initial(int64_t batch_size, torch::Device device) {
  auto options = torch::TensorOptions().dtype(img_in->weight.dtype()).device(device);
  torch::Tensor zeros = torch::zeros({batch_size, config_.stoch}, options);
  LatentState state{torch::zeros({batch_size, config_.deter}, options), zeros, zeros, zeros, {}};
  if (config_.uncertainty) state.uncertainty = torch::zeros({batch_size}, options);
  return state;
}

ObserveOutput RssmModelImpl::ObserveStep(const LatentState& prev, const torch::Tensor& action,
                                         const torch::Tensor& embedding,
                                         const torch::Tensor& is_first) {
  IMITATE_CHECK(action.dim() == 2 && action.size(1) == config_.action_size &&
                    embedding.dim() == 2 && embedding.size(1) == config_.embedding_size,
                fmt::format("rssm ObserveStep: action [{}] and embedding [{}]; expected [B, {}] "
                            "and [B, {}]",
                            fmt::join(action.sizes(), ", "), fmt::join(embedding.sizes(), ", "),
                            config_.action_size, config_.embedding_size));
  // reset state and action where an episode starts, then one recurrent step
  torch::Tensor keep = is_first.to(embedding.device(), torch::kBool)
                           .logical_not()
                           .to(embedding.scalar_type())
                           .unsqueeze(-1);
  torch::Tensor h = Recur(prev.stoch * keep, action * keep, prev.deter * keep);
  // draws: member, posterior noise, prior noise
  int64_t member = DrawMember();
  Gaussian post = Posterior(h, embedding);
  LatentState posterior{
      h, Reparameterise(post, torch::randn_like(post.mean)), post.mean, post.std, {}};
  if (config_.uncertainty) posterior.uncertainty = torch::zeros({h.size(0)}, h.options());
  return {posterior, PriorState(PriorRaw(h, member), h)};
}

LatentState RssmModelImpl::ImagineStepMember(const LatentState& prev, const torch::Tensor& action,
                                             int64_t member) {
  IMITATE_CHECK(member >= 0 && member < config_.members,
                fmt::format("rssm: member {} is not in [0, {})", member, config_.members));
  torch::Tensor h = Recur(Flat(prev.stoch), Flat(action), Flat(prev.deter));
  return Unflat(PriorState(PriorRaw(h, member), h), Lead(prev.deter));
}

LatentState RssmModelImpl::ImagineStep(const LatentState& prev, const torch::Tensor& action) {
  if (!config_.uncertainty) return ImagineStepMember(prev, action, DrawMember());
  // every member's mean at once (for the disagreement); the std of the drawn member only
  torch::Tensor h = Recur(Flat(prev.stoch), Flat(action), Flat(prev.deter));
  AllMembers all = PriorMeansAll(h);
  const int64_t k = DrawMember(), s = config_.stoch;
  torch::Tensor raw_std = torch::addmm(prior_out->bias[k].narrow(0, s, s), all.hidden[k],
                                       prior_out->weight[k].narrow(1, s, s));
  Gaussian g{all.means[k], StdFromRaw(raw_std, config_.std, config_.min_std)};
  LatentState next{h, Reparameterise(g, torch::randn_like(g.mean)), g.mean, g.std,
                   DisagreementOf(all.means)};
  return Unflat(next, Lead(prev.deter));
}

torch::Tensor RssmModelImpl::Disagreement(const torch::Tensor& deter) {
  return Unflat(DisagreementOf(PriorMeansAll(Flat(deter)).means), Lead(deter));
}

torch::Tensor RssmModelImpl::Features(const LatentState& state) const {
  return torch::cat({state.stoch, state.deter}, -1);
}

}  // namespace imitate::plugins
