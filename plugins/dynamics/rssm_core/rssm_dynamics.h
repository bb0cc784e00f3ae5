// The Dynamics methods both RSSM plugins share, implemented once on an RssmModel.
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_RSSM_DYNAMICS_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_RSSM_DYNAMICS_H_

#include <fmt/format.h>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/errors.h"
#include "plugins/dynamics/rssm_core/gaussian.h"
#include "plugins/dynamics/rssm_core/rssm_model.h"

namespace imitate::plugins {

// A Dynamics (or EnsembleDynamics) whose networks are one RssmModel built by Build. Every
// method but FeatureSize and KlLoss throws UsageError before Build.
template <typename Interface>
class RssmDynamics : public Interface {
 public:
  // `name` is the registered plugin name, for messages.
  RssmDynamics(std::string name, const RssmConfig& config, const KlConfig& kl)
      : name_(std::move(name)), config_(config), kl_(kl) {}

  void Build(int64_t embedding_size, int64_t action_size) override {
    if (embedding_size < 1 || action_size < 1) {
      throw UsageError(fmt::format("{}: Build needs embedding and action sizes >= 1 (got {}, {})",
                                   name_, embedding_size, action_size));
    }
    config_.embedding_size = embedding_size;
    config_.action_size = action_size;
    model_ = RssmModel(config_);
  }

  int64_t FeatureSize() const override { return config_.stoch + config_.deter; }

  LatentState Initial(int64_t batch_size, torch::Device device) override {
    return Model("Initial")->Initial(batch_size, device);
  }

  ObserveOutput ObserveStep(const LatentState& prev, const torch::Tensor& action,
                            const torch::Tensor& embedding,
                            const torch::Tensor& is_first) override {
    return Model("ObserveStep")->ObserveStep(prev, action, embedding, is_first);
  }

  ObserveOutput Observe(const torch::Tensor& embeddings, const torch::Tensor& actions,
                        const torch::Tensor& is_first, const LatentState& start) override {
    return Model("Observe")->Observe(embeddings, actions, is_first, start);
  }

  LatentState ImagineStep(const LatentState& prev, const torch::Tensor& action) override {
    return Model("ImagineStep")->ImagineStep(prev, action);
  }

  torch::Tensor Features(const LatentState& state) override {
    return Model("Features")->Features(state);
  }

  KlOutput KlLoss(const LatentState& posterior, const LatentState& prior) override {
    return plugins::KlLoss(posterior, prior, kl_);
  }

  std::shared_ptr<torch::nn::Module> Module() override { return Model("Module").ptr(); }

  const RssmConfig& config() const { return config_; }
  const KlConfig& kl_config() const { return kl_; }

 protected:
  // The built model; throws UsageError naming `method` before Build.
  RssmModel& Model(const char* method) {
    if (!model_) throw UsageError(fmt::format("{}: {} called before Build", name_, method));
    return model_;
  }

 private:
  std::string name_;
  RssmConfig config_;
  KlConfig kl_;
  RssmModel model_{nullptr};
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_RSSM_DYNAMICS_H_
