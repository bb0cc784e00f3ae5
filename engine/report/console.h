// Console output of a run: messages to stderr and log.txt, and a progress bar.
#ifndef IMITATE_ENGINE_REPORT_CONSOLE_H_
#define IMITATE_ENGINE_REPORT_CONSOLE_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace imitate::engine {

// Writes timestamped lines to stderr (unless quiet) and to a log file (when opened).
class Console {
 public:
  explicit Console(bool quiet = false);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Also write every message to `path` (appended).
  void OpenLog(const std::string& path);

  // One line: to stderr (clearing a progress bar first) and to the log.
  void Info(const std::string& message);

  // Redraws the progress bar: label, done/total, rate, ETA and a status text. On a terminal it
  // redraws in place at most 10 times a second; otherwise it prints a line every 30 s.
  void Progress(const std::string& label, int64_t done, int64_t total, const std::string& status);

  // Ends the current progress bar line.
  void EndProgress();

 private:
  using Clock = std::chrono::steady_clock;

  bool quiet_;
  bool tty_;
  std::FILE* log_ = nullptr;
  bool bar_visible_ = false;
  std::string bar_label_;
  Clock::time_point bar_start_;
  Clock::time_point last_draw_;
  int64_t bar_start_done_ = 0;
  int64_t last_drawn_done_ = -1;
};

// "1h02m", "3m05s", "12s".
std::string FormatDuration(double seconds);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_REPORT_CONSOLE_H_
