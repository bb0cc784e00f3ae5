// RssmModelImpl::Observe: filtering whole sequences with everything that does not depend on
// the recurrence computed for all [B, T] at once, outside the loop over T.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "imitate/sdk/errors.h"
#include "plugins/dynamics/rssm_core/rssm_model.h"

namespace imitate::plugins {

ObserveOutput RssmModelImpl::Observe(const torch::Tensor& embeddings, const torch::Tensor& actions,
                                     const torch::Tensor& is_first, const LatentState& start) {
  const int64_t s = config_.stoch, d = config_.deter;
  const int64_t e = config_.embedding_size, a = config_.action_size;
  IMITATE_CHECK(
      embeddings.dim() == 3 && embeddings.size(1) > 0 && embeddings.size(2) == e &&
          actions.dim() == 3 && actions.size(2) == a && actions.size(0) == embeddings.size(0) &&
          actions.size(1) == embeddings.size(1) && is_first.dim() == 2 &&
          is_first.size(0) == embeddings.size(0) && is_first.size(1) == embeddings.size(1),
      fmt::format("rssm Observe: embeddings [{}], actions [{}], is_first [{}]; expected "
                  "[B, T >= 1, {}], [B, T, {}], [B, T]",
                  fmt::join(embeddings.sizes(), ", "), fmt::join(actions.sizes(), ", "),
                  fmt::join(is_first.sizes(), ", "), e, a));
  const int64_t batch = embeddings.size(0), steps = embeddings.size(1);
  const torch::TensorOptions options = embeddings.options();

  // episode starts: a [B, T] keep mask, and which steps have any (one host sync)
  torch::Tensor first = is_first.to(embeddings.device(), torch::kBool);
  torch::Tensor any_first = first.any(0).to(torch::kCPU);
  const bool* first_at = any_first.data_ptr<bool>();
  const bool any = std::any_of(first_at, first_at + steps, [](bool b) { return b; });
  torch::Tensor keep = first.logical_not().to(options.dtype());
  std::vector<torch::Tensor> keep_at;
  if (any) keep_at = keep.t().unsqueeze(-1).contiguous().unbind(0);  // T x [B, 1]

  // the action half of img_in for all steps (actions zeroed at episode starts): T x [B, H]
  const torch::Tensor& w_in = img_in->weight;  // [H, S + A]
  torch::Tensor masked = any ? actions * keep.unsqueeze(-1) : actions;
  std::vector<torch::Tensor> action_part = torch::linear(masked, w_in.narrow(1, s, a), img_in->bias)
                                               .transpose(0, 1)
                                               .contiguous()
                                               .unbind(0);
  torch::Tensor w_stoch = w_in.narrow(1, 0, s).t();  // [S, H]
  // the embedding half of the posterior's first layer for all steps: T x [B, H]
  const torch::Tensor& w_post = post_hidden->weight;  // [H, D + E]
  std::vector<torch::Tensor> embed_part =
      torch::linear(embeddings, w_post.narrow(1, d, e), post_hidden->bias)
          .transpose(0, 1)
          .contiguous()
          .unbind(0);
  torch::Tensor w_deter = w_post.narrow(1, 0, d).t();  // [D, H]

  // draws: the members of all steps, then the posterior noise of all steps
  std::vector<int64_t> members(steps, 0);
  if (config_.members > 1) {
    torch::Tensor drawn = torch::randint(config_.members, {steps}, torch::kLong);
    std::copy(drawn.data_ptr<int64_t>(), drawn.data_ptr<int64_t>() + steps, members.begin());
  }
  std::vector<torch::Tensor> noise = torch::randn({steps, batch, s}, options).unbind(0);

  // the recurrence: only what depends on the previous state runs per step
  LatentState init = start.deter.defined() ? start : Initial(batch, embeddings.device());
  torch::Tensor z = init.stoch, h = init.deter;
  std::vector<torch::Tensor> deters, stochs, means, stds;
  deters.reserve(steps);
  stochs.reserve(steps);
  means.reserve(steps);
  stds.reserve(steps);
  for (int64_t t = 0; t < steps; ++t) {
    if (first_at[t]) {
      z = z * keep_at[t];
      h = h * keep_at[t];
    }
    torch::Tensor u = Act(torch::addmm(action_part[t], z, w_stoch));
    h = Cell(u, h);
    torch::Tensor x = Act(torch::addmm(embed_part[t], h, w_deter));
    Gaussian post = GaussianFromRaw(post_out->forward(x), config_.std, config_.min_std);
    z = Reparameterise(post, noise[t]);
    deters.push_back(h);
    stochs.push_back(z);
    means.push_back(post.mean);
    stds.push_back(post.std);
  }
  LatentState posterior{torch::stack(deters, 1),
                        torch::stack(stochs, 1),
                        torch::stack(means, 1),
                        torch::stack(stds, 1),
                        {}};
  if (config_.uncertainty) posterior.uncertainty = torch::zeros({batch, steps}, options);

  // the priors need only h: all steps at once, after the loop
  LatentState prior = PriorState(PriorRawSteps(posterior.deter, members), posterior.deter);
  return {posterior, prior};
}

torch::Tensor RssmModelImpl::PriorRawSteps(const torch::Tensor& deter,
                                           const std::vector<int64_t>& members) {
  const int64_t steps = deter.size(1);
  // timesteps sorted by member (stable), and the size of each member's group
  std::vector<int64_t> order(steps);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t i, int64_t j) { return members[i] < members[j]; });
  std::vector<int64_t> group_members, group_sizes;
  for (int64_t t : order) {
    if (group_members.empty() || group_members.back() != members[t]) {
      group_members.push_back(members[t]);
      group_sizes.push_back(0);
    }
    ++group_sizes.back();
  }
  if (group_members.size() == 1) return PriorRaw(deter, group_members[0]);

  // gather, run each member on its group, scatter back
  std::vector<int64_t> inverse(steps);
  for (int64_t i = 0; i < steps; ++i) inverse[order[i]] = i;
  torch::Device device = deter.device();
  torch::Tensor sorted = deter.index_select(1, torch::tensor(order).to(device));
  std::vector<torch::Tensor> groups = sorted.split_with_sizes(group_sizes, 1);
  std::vector<torch::Tensor> w1 = prior_hidden->weight.unbind(0), b1 = prior_hidden->bias.unbind(0);
  std::vector<torch::Tensor> w2 = prior_out->weight.unbind(0), b2 = prior_out->bias.unbind(0);
  std::vector<torch::Tensor> outputs;
  outputs.reserve(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const int64_t k = group_members[g];
    torch::Tensor x = Act(EnsembleLinearImpl::Apply(groups[g], w1[k], b1[k]));
    outputs.push_back(EnsembleLinearImpl::Apply(x, w2[k], b2[k]));
  }
  return torch::cat(outputs, 1).index_select(1, torch::tensor(inverse).to(device));
}

}  // namespace imitate::plugins
