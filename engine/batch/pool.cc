#include "engine/batch/pool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/report/console.h"
#include "engine/report/sinks.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// a run in flight
struct Child {
  size_t index = 0;
  int attempt = 1;
  Clock::time_point start;
};

// the last `count` non-empty lines of a file (progress bars: the text after the last '\r')
std::vector<std::string> LastLines(const std::string& path, size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff from = std::max<std::streamoff>(0, size - 8192);
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  std::vector<std::string> lines;
  size_t end = text.size();
  while (end > 0 && lines.size() < count) {
    size_t begin = text.rfind('\n', end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    std::string line = text.substr(begin, end - begin);
    if (size_t r = line.rfind('\r'); r != std::string::npos) line = line.substr(r + 1);
    if (!line.empty()) lines.insert(lines.begin(), line);
    if (begin == 0) break;
    end = begin - 1;
  }
  return lines;
}

// starts `imitate run ...` with stdout and stderr appended to the run's log
pid_t Spawn(const BatchRun& run, const PoolOptions& options, int attempt) {
  std::string log = RunLogPath(options.batch_dir, run);
  std::vector<std::string> args = RunArguments(run, options.batch_dir, options.threads);
  std::string command_line = options.imitate_path;
  for (const auto& a : args) command_line += " " + a;
  {
    std::ofstream header(log, std::ios::app);
    header << fmt::format("=== attempt {}: {}\n", attempt, command_line);
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw InternalError("batch: fork failed");
  if (pid == 0) {
    // the child: output to the log, then exec (async-signal-safe calls only)
    int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(options.imitate_path.c_str()));
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(options.imitate_path.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// "exit code 1" / "killed by signal 9"
std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "stopped";
}

// "tasks_completed 0.40, success 0.00" from the run's summary.csv
std::string SummaryText(const std::string& run_dir) {
  auto rows = ReadCsv(run_dir + "/summary.csv");
  if (rows.size() < 2) return "";
  std::string out;
  for (size_t c = 0; c < rows[0].size() && c < rows[1].size(); ++c) {
    const std::string& k = rows[0][c];
    if (k == "tasks_completed" || k == "success" || k == "return") {
      double value = std::strtod(rows[1][c].c_str(), nullptr);
      out += fmt::format("{}{} {:.3g}", out.empty() ? "" : ", ", k, value);
    }
  }
  return out;
}

// The live block of a terminal: one line per running run, redrawn in place.
class LiveLines {
 public:
  LiveLines() : tty_(isatty(STDERR_FILENO) != 0) {}
  void Event(const std::string& line) {
    Clear();
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  void Draw(const std::vector<std::string>& lines) {
    if (!tty_) return;
    Clear();
    for (const auto& l : lines) std::fprintf(stderr, "%s\n", l.substr(0, 150).c_str());
    drawn_ = lines.size();
    std::fflush(stderr);
  }
  void Clear() {
    if (!tty_) return;
    for (; drawn_ > 0; --drawn_) std::fputs("\033[1A\033[2K", stderr);
  }

 private:
  bool tty_;
  size_t drawn_ = 0;
};

}  // namespace

std::string RunLogPath(const std::string& batch_dir, const BatchRun& run) {
  return fmt::format("{}/logs/{}.seed{}.log", batch_dir, run.name, run.seed);
}

bool RunFinished(const std::string& batch_dir, const BatchRun& run) {
  return fs::exists(fmt::format("{}/{}/{}/summary.csv", batch_dir, run.name, run.seed));
}

PoolResult RunPool(const std::vector<BatchRun>& runs, const PoolOptions& options) {
  fs::create_directories(options.batch_dir + "/logs");
  PoolResult result;
  LiveLines live;
  const size_t n = runs.size();
  auto tag = [n](size_t i) {
    return fmt::format("[{:>{}}/{}]", i + 1, std::to_string(n).size(), n);
  };
  auto label = [&](size_t i) { return fmt::format("{} seed {}", runs[i].name, runs[i].seed); };

  // finished runs are skipped; the rest wait in order
  std::deque<std::pair<size_t, int>> queue;  // (run index, attempt)
  for (size_t i = 0; i < n; ++i) {
    if (RunFinished(options.batch_dir, runs[i])) {
      ++result.skipped;
      live.Event(fmt::format("{} skip   {} (finished before)", tag(i), label(i)));
    } else {
      queue.emplace_back(i, 1);
    }
  }

  std::map<pid_t, Child> running;
  Clock::time_point last_draw;
  while (!queue.empty() || !running.empty()) {
    // fill the free slots
    while (!queue.empty() && static_cast<int64_t>(running.size()) < options.jobs) {
      auto [i, attempt] = queue.front();
      queue.pop_front();
      pid_t pid = Spawn(runs[i], options, attempt);
      running[pid] = {i, attempt, Clock::now()};
      live.Event(fmt::format("{} start  {}{}", tag(i), label(i),
                             attempt > 1 ? fmt::format(" (attempt {})", attempt) : ""));
    }
    // collect one that ended, or redraw and wait
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      Child child = running[pid];
      running.erase(pid);
      size_t i = child.index;
      double seconds = std::chrono::duration<double>(Clock::now() - child.start).count();
      std::string run_dir = fmt::format("{}/{}/{}", options.batch_dir, runs[i].name, runs[i].seed);
      bool ok =
          WIFEXITED(status) && WEXITSTATUS(status) == 0 && RunFinished(options.batch_dir, runs[i]);
      if (ok) {
        ++result.finished;
        live.Event(fmt::format("{} done   {} in {}: {}", tag(i), label(i), FormatDuration(seconds),
                               SummaryText(run_dir)));
        continue;
      }
      std::vector<std::string> last = LastLines(RunLogPath(options.batch_dir, runs[i]), 1);
      std::string why =
          fmt::format("{}{}", DescribeStatus(status), last.empty() ? "" : ": " + last.back());
      if (child.attempt <= options.retries) {
        live.Event(fmt::format("{} failed {} ({}); retrying", tag(i), label(i), why));
        queue.emplace_front(i, child.attempt + 1);
      } else {
        live.Event(fmt::format("{} FAILED {} after {} attempt(s) ({})", tag(i), label(i),
                               child.attempt, why));
        std::string tail;
        for (const std::string& line : LastLines(RunLogPath(options.batch_dir, runs[i]), 3)) {
          tail += "\n      | " + line;
        }
        result.failed.push_back(fmt::format("{}: {} (log: {}){}", label(i), DescribeStatus(status),
                                            RunLogPath(options.batch_dir, runs[i]), tail));
      }
      continue;
    }
    if (Clock::now() - last_draw > std::chrono::seconds(1)) {
      std::vector<std::string> lines;
      for (const auto& [p, c] : running) {
        double s = std::chrono::duration<double>(Clock::now() - c.start).count();
        auto last = LastLines(RunLogPath(options.batch_dir, runs[c.index]), 1);
        lines.push_back(fmt::format("  {} {} {:>7} {}", tag(c.index), label(c.index),
                                    FormatDuration(s), last.empty() ? "" : last.back()));
      }
      live.Draw(lines);
      last_draw = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  live.Clear();
  return result;
}

}  // namespace imitate::engine
