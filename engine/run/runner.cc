#include "engine/run/runner.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/checkpoint/checkpoint.h"
#include "engine/data/demo_file.h"
#include "engine/data/replay.h"
#include "engine/distributed/sync.h"
#include "engine/plugins/loader.h"
#include "engine/report/sinks.h"
#include "engine/run/agent.h"
#include "engine/run/collector.h"
#include "engine/run/resume.h"
#include "engine/run/run_directory.h"
#include "engine/run/seeds.h"
#include "imitate/git_revision.h"
#include "imitate/sdk/distributed.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
namespace {

// the replay's window sampling the schedule asks for
ReplayBuffer::WindowStart WindowStartOf(const Params& schedule) {
  return schedule.String("replay_windows") == "cover_ends" ? ReplayBuffer::WindowStart::kCoverEnds
                                                           : ReplayBuffer::WindowStart::kUniform;
}

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kPretrain:
      return "pretrain";
    case Phase::kBehaviorCloning:
      return "bc";
    case Phase::kOnline:
      return "online";
  }
  return "?";
}

// This process's rank and the number of ranks (0 and 1 without a collective).
int Rank() { return GetCollective() != nullptr ? GetCollective()->rank() : 0; }
int WorldSize() { return GetCollective() != nullptr ? GetCollective()->world_size() : 1; }

// One run: its state and the steps of each phase.
class Run {
 public:
  Run(const Experiment& experiment, const Registry& registry, const std::string& dir, bool resume,
      const RunOptions& options, Console& console)
      : exp_(experiment),
        registry_(registry),
        dir_(dir),
        resume_(resume),
        local_ranks_(options.local_ranks),
        console_(console),
        schedule_(experiment.schedule),
        rng_(DeriveSeed(rank_seed_, "replay")),
        replay_(schedule_.Int("replay_capacity"), WindowStartOf(schedule_)),
        expert_replay_(schedule_.Int("replay_capacity"), WindowStartOf(schedule_)) {}

  RunResult Execute();

 private:
  void Setup();
  void Resume();
  void Update(Phase phase);
  void Evaluate(const std::string& phase);
  void Checkpoint();
  void CopyLatestCheckpoint(const std::string& name);
  void ShareStartState();
  void CheckRanksAgree(const std::string& where);
  void Progress(const std::string& label);
  bool root() const { return rank_ == 0; }
  bool EvaluatedHere() const {
    return last_eval_at_ == std::make_pair(counters_.updates, counters_.env_steps);
  }

  const Experiment& exp_;
  const Registry& registry_;
  std::string dir_;
  bool resume_;  // continue from the run directory's checkpoint
  int local_ranks_;
  // several ranks: rank 0 writes the run directory; everything random is seeded by seed + rank
  int rank_ = Rank();
  int world_size_ = WorldSize();
  uint64_t rank_seed_ = static_cast<uint64_t>(exp_.seed) + static_cast<uint64_t>(rank_);
  Console& console_;
  const Params& schedule_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mt19937_64 rng_;

  std::unique_ptr<Environment> train_env_;
  std::unique_ptr<Environment> eval_env_;
  Agent agent_;
  ReplayBuffer replay_;
  ReplayBuffer expert_replay_;
  Counters counters_;
  int64_t total_units_ = 0;      // updates of offline phases + env steps, for the progress bar
  int64_t offline_updates_ = 0;  // updates of the offline phases so far planned

  std::unique_ptr<CsvSink> train_csv_;
  std::unique_ptr<CsvSink> eval_csv_;
  std::unique_ptr<JsonlSink> jsonl_;
  Metrics window_;  // training metrics summed since the last train.csv row
  int64_t window_count_ = 0;
  Metrics last_eval_;
  double best_score_ = -1e300;
  std::pair<int64_t, int64_t> last_eval_at_ = {-1, -1};  // (updates, env steps)
  std::string status_;

  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
};

void Run::Setup() {
  // threads and seeds
  // (the ranks of a multi-process run on one machine share the threads)
  int64_t threads = exp_.threads > 0 ? exp_.threads : std::thread::hardware_concurrency();
  threads /= std::max(1, local_ranks_);
  torch::set_num_threads(static_cast<int>(std::max<int64_t>(1, threads)));
  torch::manual_seed(DeriveSeed(rank_seed_, "torch"));
  torch::Device device = ParseDevice(exp_.device);

  // environments: one to train in, one to evaluate in
  train_env_ = registry_.Create<Environment>(exp_.environment.kind, exp_.environment.params);
  eval_env_ = registry_.Create<Environment>(exp_.environment.kind, exp_.environment.params);

  // the demos
  std::vector<Episode> demos = ReadDemos(exp_.demos.String("path"), exp_.demos.Int("count"),
                                         exp_.environment.kind, train_env_->ObservationSpec());
  // the agent; encoders that normalise their inputs get the demos' statistics
  agent_ = BuildAgent(exp_, registry_, train_env_->ObservationSpec(), train_env_->ActionSpec(),
                      device, DeriveSeed(static_cast<uint64_t>(exp_.seed), "agent"));
  auto [demo_mean, demo_std] = ObservationStatistics(demos, agent_.encoder->Keys());
  agent_.encoder->SetDataStatistics(demo_mean, demo_std);

  // demos go to both the expert replay and the training replay
  int64_t demo_steps = 0;
  for (Episode& demo : demos) {
    demo_steps += demo.Length() - 1;
    replay_.Add(demo);
    expert_replay_.Add(std::move(demo));
  }

  // only now, with everything built, the run directory: user errors above leave nothing; the
  // other ranks take rank 0's state and write nothing there
  if (!root()) {
    ShareStartState();
    return;
  }
  fs::create_directories(fs::path(dir_) / "checkpoints");
  console_.OpenLog(dir_ + "/log.txt");
  if (resume_) {
    Resume();
  } else {
    WriteFileAtomic(dir_ + "/resolved.toml",
                    ResolvedToml(exp_, HostFingerprint(), IMITATE_GIT_REVISION));
    console_.Info(fmt::format("run {} -> {}", exp_.name, dir_));
  }

  console_.Info(fmt::format("demos: {} episodes, {} steps from {}", expert_replay_.Episodes(),
                            demo_steps, exp_.demos.String("path")));

  // sinks
  train_csv_ = std::make_unique<CsvSink>(dir_ + "/train.csv");
  eval_csv_ = std::make_unique<CsvSink>(dir_ + "/eval.csv");
  jsonl_ = std::make_unique<JsonlSink>(dir_ + "/metrics.jsonl");
  total_units_ = schedule_.Int("pretrain_updates") + schedule_.Int("bc_updates") +
                 std::max(schedule_.Int("env_steps"), schedule_.Int("seed_steps"));
  if (world_size_ > 1) {
    console_.Info(fmt::format("{} ranks: batch {} per rank, {} in all; torch threads per rank: {}",
                              world_size_, schedule_.Int("batch_size"),
                              world_size_ * schedule_.Int("batch_size"), torch::get_num_threads()));
  }
  ShareStartState();
}

// Several ranks: rank 0's weights, optimiser states and counters (fresh or resumed) go to every
// rank as checkpoint bytes; the others also take the online episodes rank 0 resumed with (read
// from the run directory), so that all ranks continue from the same point.
void Run::ShareStartState() {
  Collective* collective = GetCollective();
  if (collective == nullptr || world_size_ <= 1) return;
  std::string bytes;
  if (root()) bytes = CheckpointBytes(agent_, {counters_, ""});
  BroadcastBytes(*collective, &bytes, 0);
  if (root()) return;
  counters_ = LoadCheckpointBytes(bytes, agent_, "rank 0's state").counters;
  for (int64_t i = 0; i < counters_.episodes; ++i) replay_.Add(LoadEpisode(dir_, i));
}

// Several ranks: every rank must hold the same weights and optimiser states (the optimisers
// average their gradients). Throws when they differ, naming the optimizer.
void Run::CheckRanksAgree(const std::string& where) {
  Collective* collective = GetCollective();
  if (collective == nullptr || world_size_ <= 1) return;
  const uint64_t checksum = AgentStateChecksum(agent_);
  if (!SameOnAllRanks(*collective, checksum)) {
    throw Error(fmt::format(
        "the {} ranks' weights or optimiser states differ {} (update {}): optimizer '{}' does not "
        "average its gradients across ranks; run it as one process",
        world_size_, where, counters_.updates, exp_.optimizer.kind));
  }
  if (root()) {
    console_.Info(fmt::format("{} ranks hold the same state {} (update {}, checksum {:08x})",
                              world_size_, where, counters_.updates, checksum));
  } else {
    std::fprintf(stderr, "[rank %d] state %s: update %lld, checksum %08llx\n", rank_, where.c_str(),
                 static_cast<long long>(counters_.updates),
                 static_cast<unsigned long long>(checksum));
  }
}

// Continues from checkpoints/latest (or the previous one when latest is missing or corrupt):
// the agent, counters, random-number states, online episodes, and the logs cut back to what
// they held at the checkpoint.
void Run::Resume() {
  const std::string latest = dir_ + "/checkpoints/latest";
  CheckpointState checkpoint;
  std::string used = latest;
  try {
    checkpoint = LoadCheckpoint(latest, agent_);
  } catch (const DataError& e) {
    used = PreviousCheckpoint(latest);
    if (!fs::exists(used)) throw;
    console_.Info(fmt::format("warning: {}; resuming from the previous checkpoint", e.what()));
    checkpoint = LoadCheckpoint(used, agent_);
  }
  RunState state = ParseRunState(checkpoint.engine, used);
  counters_ = checkpoint.counters;
  RestoreRng(state, &rng_);
  start_ -= std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(state.elapsed));
  best_score_ = state.best_score;
  last_eval_at_ = {state.last_eval_updates, state.last_eval_env_steps};
  last_eval_ = state.last_eval;
  window_ = state.window;
  window_count_ = state.window_count;
  TruncateFile(dir_ + "/train.csv", state.train_csv_size);
  TruncateFile(dir_ + "/eval.csv", state.eval_csv_size);
  TruncateFile(dir_ + "/metrics.jsonl", state.jsonl_size);
  for (int64_t i = 0; i < counters_.episodes; ++i) replay_.Add(LoadEpisode(dir_, i));
  console_.Info(fmt::format("resuming {} from {} (update {}, env step {}, {} online episodes)",
                            dir_, fs::path(used).filename().string(), counters_.updates,
                            counters_.env_steps, counters_.episodes));
}

// Writes checkpoints/latest (keeping the one before as latest.previous) with everything Resume
// needs. Called only between episodes.
void Run::Checkpoint() {
  if (!root()) return;
  RunState state;
  CaptureRng(rng_, &state);
  state.elapsed = Elapsed();
  state.best_score = best_score_;
  state.last_eval_updates = last_eval_at_.first;
  state.last_eval_env_steps = last_eval_at_.second;
  state.last_eval = last_eval_;
  state.window = window_;
  state.window_count = window_count_;
  state.train_csv_size = FileSize(dir_ + "/train.csv");
  state.eval_csv_size = FileSize(dir_ + "/eval.csv");
  state.jsonl_size = FileSize(dir_ + "/metrics.jsonl");
  SaveCheckpoint(dir_ + "/checkpoints/latest", agent_, {counters_, SerializeRunState(state)},
                 /*keep_previous=*/true);
}

void Run::Progress(const std::string& label) {
  int64_t done = std::min(counters_.updates, offline_updates_) + counters_.env_steps;
  console_.Progress(label, done, total_units_, status_);
}

void Run::Update(Phase phase) {
  // one update from a replay batch and an expert batch
  const int64_t batch = schedule_.Int("batch_size");
  const int64_t length = schedule_.Int("batch_length");
  Batch replay_batch = replay_.Sample(batch, length, rng_);
  Batch expert_batch = expert_replay_.Sample(batch, length, rng_);
  Metrics metrics = agent_.optimizer->Update(phase, replay_batch, expert_batch);
  ++counters_.updates;
  if (!root()) return;

  // average over the logging window, then write a row
  for (const auto& [k, v] : metrics) window_[k] += v;
  ++window_count_;
  if (counters_.updates % schedule_.Int("log_every") != 0) return;
  Row row = {{"phase", std::string(PhaseName(phase))},
             {"update", counters_.updates},
             {"env_step", counters_.env_steps},
             {"wall_time", Elapsed()}};
  for (const auto& [k, v] : window_) row.emplace_back(k, v / static_cast<double>(window_count_));
  train_csv_->Write(row);
  row.insert(row.begin(), {"type", std::string("train")});
  jsonl_->Write(row);
  window_.clear();
  window_count_ = 0;
}

void Run::Evaluate(const std::string& phase) {
  if (!root()) return;  // rank 0 evaluates for all: the ranks hold the same policy
  // fresh collector: every evaluation uses the same episode seeds
  Collector collector(*eval_env_, *agent_.optimizer, ActMode::kEvaluate,
                      DeriveSeed(static_cast<uint64_t>(exp_.seed), "eval"));
  std::vector<EpisodeResult> results;
  const int64_t episodes = schedule_.Int("eval_episodes");
  for (int64_t i = 0; i < episodes; ++i) {
    results.push_back(collector.RunEpisode());
    const EpisodeResult& r = results.back();
    Row row = {{"phase", phase}, {"update", counters_.updates}, {"env_step", counters_.env_steps},
               {"episode", i},   {"return", r.episode_return},  {"length", r.length}};
    for (const auto& [k, v] : r.metrics) row.emplace_back(k, v);
    row.emplace_back("wall_time", Elapsed());
    eval_csv_->Write(row);
    console_.Progress("eval", i + 1, episodes, status_);
  }
  last_eval_ = Summarize(results);

  // summary line, jsonl row, checkpoints
  Row summary = {{"type", std::string("eval")},
                 {"phase", phase},
                 {"update", counters_.updates},
                 {"env_step", counters_.env_steps}};
  std::vector<std::string> parts;
  for (const auto& [k, v] : last_eval_) {
    summary.emplace_back(k, v);
    parts.push_back(fmt::format("{} {:.3g}", k, v));
  }
  jsonl_->Write(summary);
  status_ =
      fmt::format("eval success {:.2f}", last_eval_.count("success") ? last_eval_["success"] : 0.0);
  console_.Info(fmt::format("eval [{} update {} step {}] {}", phase, counters_.updates,
                            counters_.env_steps, fmt::join(parts, ", ")));
  last_eval_at_ = {counters_.updates, counters_.env_steps};
  double score =
      (last_eval_.count("success") ? last_eval_["success"] * 1e6 : 0.0) + last_eval_["return"];
  const bool best = score > best_score_;
  if (best) best_score_ = score;
  Checkpoint();
  if (best) CopyLatestCheckpoint("best");
  if (schedule_.Bool("keep_checkpoints")) {
    CopyLatestCheckpoint(counters_.env_steps == 0 ? fmt::format("update-{}", counters_.updates)
                                                  : fmt::format("step-{}", counters_.env_steps));
  }
}

// Copies checkpoints/latest to checkpoints/NAME through a temporary file, so that a crash never
// leaves a half-written NAME.
void Run::CopyLatestCheckpoint(const std::string& name) {
  const std::string dir = dir_ + "/checkpoints/";
  fs::copy_file(dir + "latest", dir + name + ".tmp", fs::copy_options::overwrite_existing);
  fs::rename(dir + name + ".tmp", dir + name);
}

RunResult Run::Execute() {
  Setup();
  const int64_t checkpoint_every = schedule_.Int("checkpoint_every");

  // offline phases: updates on the demos only (a resumed run skips the updates it has done)
  int64_t offline_before = 0;
  for (Phase phase : {Phase::kPretrain, Phase::kBehaviorCloning}) {
    const int64_t updates =
        schedule_.Int(phase == Phase::kPretrain ? "pretrain_updates" : "bc_updates");
    const int64_t eval_every = schedule_.Int("pretrain_eval_every");
    const int64_t done = std::clamp<int64_t>(counters_.updates - offline_before, 0, updates);
    offline_before += updates;
    offline_updates_ = offline_before;
    for (int64_t i = done + 1; i <= updates; ++i) {
      Update(phase);
      Progress(PhaseName(phase));
      if (checkpoint_every > 0 && i % checkpoint_every == 0)
        CheckRanksAgree(std::string("in ") + PhaseName(phase));
      if (eval_every > 0 && i % eval_every == 0 && i != updates) {
        Evaluate(PhaseName(phase));
      } else if (checkpoint_every > 0 && i % checkpoint_every == 0) {
        Checkpoint();
      }
    }
    // the phase's closing evaluation, unless a resumed run is past it or already did it
    const bool at_phase_end = counters_.updates == offline_before && counters_.env_steps == 0;
    if (updates > 0 && at_phase_end && !EvaluatedHere()) Evaluate(PhaseName(phase));
  }

  // seeding, then online fine-tuning: collect, train every train_every steps; evaluations and
  // checkpoints wait for the episode to end, so that a checkpoint never splits an episode
  Collector collector(*train_env_, *agent_.optimizer, ActMode::kExplore,
                      DeriveSeed(rank_seed_, "train"), counters_.episodes);
  const int64_t seed_steps = schedule_.Int("seed_steps");
  const int64_t env_steps = std::max(schedule_.Int("env_steps"), seed_steps);
  bool eval_due = false, checkpoint_due = false;
  for (int64_t step = counters_.env_steps + 1; step <= env_steps; ++step) {
    std::optional<Episode> episode = collector.Step();
    ++counters_.env_steps;
    if (episode) {
      if (root()) SaveEpisode(dir_, counters_.episodes, *episode);
      ++counters_.episodes;
      replay_.Add(std::move(*episode));
    }
    const bool seeding = step <= seed_steps;
    Progress(seeding ? "seed" : "online");
    if (!seeding && step % schedule_.Int("train_every") == 0) {
      for (int64_t u = 0; u < schedule_.Int("updates_per_train"); ++u) Update(Phase::kOnline);
    }
    eval_due = eval_due || (!seeding && step % schedule_.Int("eval_every") == 0);
    checkpoint_due = checkpoint_due || (checkpoint_every > 0 && step % checkpoint_every == 0);
    // (the ranks' episodes end at different steps; this check is at the same step on all)
    if (checkpoint_every > 0 && step % checkpoint_every == 0) CheckRanksAgree("in online");
    if (!episode) continue;
    if (eval_due) {
      Evaluate("online");
    } else if (checkpoint_due) {
      Checkpoint();
    }
    eval_due = checkpoint_due = false;
  }

  // the ranks agree; a final evaluation unless the last thing done was one
  CheckRanksAgree("at the end");
  if (!root()) {
    RunResult result;
    result.run_dir = dir_;
    return result;
  }
  if (!EvaluatedHere()) Evaluate(env_steps > 0 ? "online" : "final");
  console_.EndProgress();

  // summary.csv marks the run finished
  RunResult result;
  result.run_dir = dir_;
  result.final_eval = last_eval_;
  result.eval_episodes = schedule_.Int("eval_episodes");
  {
    std::string tmp = dir_ + "/summary.csv.tmp";
    fs::remove(tmp);
    CsvSink summary(tmp);
    Row row = {{"episodes", result.eval_episodes}};
    for (const auto& [k, v] : last_eval_) row.emplace_back(k, v);
    row.emplace_back("wall_time", Elapsed());
    summary.Write(row);
  }
  fs::rename(dir_ + "/summary.csv.tmp", dir_ + "/summary.csv");
  console_.Info(fmt::format("done in {}", FormatDuration(Elapsed())));
  return result;
}

}  // namespace

RunResult RunExperiment(const Experiment& experiment, const Registry& registry,
                        const RunOptions& options, Console& console) {
  std::string dir = RunDirectory(experiment, options);
  // rank 0 looks at the run directory and tells the others (also when it failed)
  Collective* collective = WorldSize() > 1 ? GetCollective() : nullptr;
  RunResult done;
  RunStart start = RunStart::kFailed;
  if (Rank() == 0) {
    try {
      start = PrepareRunDirectory(experiment, dir, console, &done);
    } catch (...) {
      if (collective != nullptr) BroadcastInt(*collective, static_cast<int64_t>(RunStart::kFailed));
      throw;
    }
  }
  if (collective != nullptr) {
    start = static_cast<RunStart>(BroadcastInt(*collective, static_cast<int64_t>(start)));
  }
  if (start == RunStart::kFailed) throw Error("rank 0 could not start the run (see its message)");
  if (start == RunStart::kFinished) {
    done.run_dir = dir;
    done.already_finished = true;
    return done;
  }
  Run run(experiment, registry, dir, start == RunStart::kResume, options, console);
  return run.Execute();
}

}  // namespace imitate::engine
