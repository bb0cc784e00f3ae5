// The engine's own tables: [demos] and [schedule].
#include "engine/config/experiment.h"

namespace imitate::engine {

const ParamSpecs& DemosSpecs() {
  static const ParamSpecs specs = {
      RequiredParam("path", ParamType::kString,
                    "the HDF5 demo file; a relative path is relative to the working directory"),
      IntParam("count", 0, "use the first N demos; 0 = all").Min(0),
  };
  return specs;
}

const ParamSpecs& ScheduleSpecs() {
  static const ParamSpecs specs = {
      IntParam("pretrain_updates", 0, "offline full updates on the demos").Min(0),
      IntParam("bc_updates", 0, "offline BC warm-up updates").Min(0),
      IntParam("seed_steps", 0,
               "env steps collected with the pretrained policy before online "
               "training")
          .Min(0),
      IntParam("env_steps", 0, "total online env steps").Min(0),
      IntParam("train_every", 5, "env steps between trainings").Positive(),
      IntParam("updates_per_train", 1, "updates per training").Positive(),
      IntParam("eval_every", 10000,
               "env steps between evaluations online (each at the first episode end at or "
               "after a multiple, followed by a checkpoint)")
          .Positive(),
      IntParam("checkpoint_every", 0,
               "extra checkpoints every this many updates offline and env steps online (at the "
               "next episode end); 0 = at evaluations only")
          .Min(0),
      BoolParam("keep_checkpoints", false,
                "also keep each evaluation's checkpoint as checkpoints/update-<U> (offline) or "
                "checkpoints/step-<S> (online), e.g. to compare predictions as training proceeds"),
      IntParam("pretrain_eval_every", 0,
               "updates between evaluations in offline phases; 0 = at the end of each phase only")
          .Min(0),
      IntParam("eval_episodes", 10, "episodes per evaluation").Positive(),
      IntParam("batch_size", 32, "sequences per batch").Positive(),
      IntParam("batch_length", 50, "steps per sequence in a batch").Min(2),
      IntParam("log_every", 100, "updates between train.csv rows").Positive(),
      IntParam("replay_capacity", 2000000, "replay buffer capacity in steps").Positive(),
      StringParam("replay_windows", "uniform",
                  "window starts: uniform (the authors') or cover_ends (every step, the first "
                  "and last included, equally likely to be sampled)")
          .Choices({"uniform", "cover_ends"}),
  };
  return specs;
}

}  // namespace imitate::engine
