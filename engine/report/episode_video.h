// Records episodes as videos: one file per episode, rendered from the environment at a
// chosen size (larger than the training images), captioned with the step and the task progress.
#ifndef IMITATE_ENGINE_REPORT_EPISODE_VIDEO_H_
#define IMITATE_ENGINE_REPORT_EPISODE_VIDEO_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/report/video.h"
#include "imitate/sdk/environment.h"

namespace imitate::engine {

class EpisodeRecorder {
 public:
  // Videos go to `dir`/episode_NNNN.<ext> (`ext` mp4 or gif), `size` x `size` pixels.
  EpisodeRecorder(std::string dir, int size, int fps = 15, std::string ext = "mp4");

  // Starts the video of episode `index` with its first step.
  void Begin(int64_t index, Environment& env, const TimeStep& first);

  // Adds the frame of a later step; the video is closed when `step.is_last`.
  void Add(Environment& env, const TimeStep& step);

  // Where the last video went.
  const std::string& last_path() const { return last_path_; }

 private:
  void Frame(Environment& env, const TimeStep& step);

  std::string dir_;
  int size_;
  int fps_;
  std::string ext_;
  int64_t step_ = 0;
  std::string last_path_;
  std::unique_ptr<VideoWriter> writer_;
};

// The caption of a step: "step 120  tasks 2: microwave kettle" when the environment reports
// `tasks_completed` and `task_<name>` flags, else "step 120  success 1  distance 0.004".
std::string StepCaption(int64_t step, const Metrics& metrics);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_REPORT_EPISODE_VIDEO_H_
