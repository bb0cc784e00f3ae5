#include "engine/report/console.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <string>

namespace imitate::engine {

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

Console::Console(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

Console::~Console() {
  EndProgress();
  if (log_) std::fclose(log_);
}

void Console::OpenLog(const std::string& path) {
  if (log_) std::fclose(log_);
  log_ = std::fopen(path.c_str(), "a");
}

void Console::Info(const std::string& message) {
  // the log gets a timestamp; the terminal gets the bare message
  if (log_) {
    std::time_t now = std::time(nullptr);
    std::fputs(fmt::format("{:%Y-%m-%d %H:%M:%S} {}\n", fmt::localtime(now), message).c_str(),
               log_);
    std::fflush(log_);
  }
  if (quiet_) return;
  if (bar_visible_ && tty_) std::fputs("\r\033[K", stderr);
  std::fputs((message + "\n").c_str(), stderr);
  bar_visible_ = false;
}

void Console::Progress(const std::string& label, int64_t done, int64_t total,
                       const std::string& status) {
  if (quiet_) return;
  Clock::time_point now = Clock::now();
  // a new bar starts its own clock
  if (label != bar_label_) {
    EndProgress();
    bar_label_ = label;
    bar_start_ = now;
    bar_start_done_ = done;
    last_draw_ = Clock::time_point{};
    last_drawn_done_ = -1;
  }
  double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  bool finished = done >= total && done != last_drawn_done_;
  if (!finished && since_draw < (tty_ ? 0.1 : 30.0)) return;
  last_drawn_done_ = done;
  last_draw_ = now;

  // rate and ETA over this bar's lifetime
  double elapsed = std::chrono::duration<double>(now - bar_start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done - bar_start_done_) / elapsed : 0.0;
  double eta = rate > 0 ? static_cast<double>(total - done) / rate : -1;
  constexpr int kWidth = 24;
  int filled = total > 0 ? static_cast<int>(kWidth * std::min<int64_t>(done, total) / total) : 0;
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::string line = fmt::format("{:<9} [{}] {}/{} {:.1f}/s ETA {}{}", label, bar, done, total,
                                 rate, FormatDuration(eta), status.empty() ? "" : " | " + status);
  if (tty_) {
    std::fputs(("\r\033[K" + line).c_str(), stderr);
    bar_visible_ = true;
  } else {
    std::fputs((line + "\n").c_str(), stderr);
  }
  std::fflush(stderr);
}

void Console::EndProgress() {
  if (bar_visible_ && tty_ && !quiet_) std::fputs("\n", stderr);
  bar_visible_ = false;
  bar_label_.clear();
}

}  // namespace imitate::engine
