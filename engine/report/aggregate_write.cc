// The outputs of `imitate report`: markdown table, report.csv, gnuplot data and plots.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "engine/report/aggregate_internal.h"
#include "engine/report/console.h"
#include "engine/report/sinks.h"
#include "imitate/sdk/errors.h"

#ifndef IMITATE_SOURCE_DIR
#define IMITATE_SOURCE_DIR ""
#endif

extern char** environ;

namespace imitate::engine::aggregate_internal {
namespace fs = std::filesystem;
namespace {

// "0.42 [0.30, 0.55]", "-" when no seed has the metric
std::string FormatInterval(const Interval& value) {
  if (!std::isfinite(value.mean)) return "-";
  return fmt::format("{:.2f} [{:.2f}, {:.2f}]", value.mean, value.lo, value.hi);
}

// a markdown table cell: pipes escaped
std::string Cell(const std::string& text) {
  std::string cell;
  for (char c : text) cell += c == '|' ? std::string("\\|") : std::string(1, c);
  return cell;
}

// a gnuplot single-quoted string: a quote is doubled
std::string GnuplotString(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

// an output file opened for writing, or DataError
std::ofstream OpenOutput(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw DataError(fmt::format("{}: cannot open for writing", path));
  return out;
}

void Close(std::ofstream& out, const std::string& path) {
  out.close();
  if (!out) throw DataError(fmt::format("{}: cannot write", path));
}

// gnuplot's error in its output: from its last `"file" line N: ...` line on, else the last line
std::string GnuplotError(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  }
  size_t from = lines.empty() ? 0 : lines.size() - 1;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("\" line ") != std::string::npos) from = i;
  }
  std::string error;
  for (size_t i = from; i < lines.size(); ++i) error += (i > from ? "; " : "") + lines[i];
  return error;
}

}  // namespace

std::string MarkdownTable(const std::vector<GroupSummary>& groups,
                          const std::vector<std::string>& metrics) {
  // header and alignment rows
  std::string header = "| configuration | seeds | finished |";
  std::string rule = "|---|---:|---:|";
  for (const std::string& metric : metrics) {
    const bool lower = !groups.empty() && groups.front().metrics.at(metric).lower_is_better;
    header += fmt::format(" {} final | {} best{} |", metric, metric, lower ? " (min)" : "");
    rule += "---|---|";
  }
  std::string table = header + " env steps | wall time |\n" + rule + "---:|---:|\n";

  // one row per configuration
  for (const GroupSummary& group : groups) {
    table += fmt::format("| {} | {} | {} |", Cell(group.label), group.seeds, group.finished);
    for (const std::string& metric : metrics) {
      const MetricSummary& summary = group.metrics.at(metric);
      table += fmt::format(" {} | {} |", FormatInterval(summary.final_value),
                           FormatInterval(summary.best));
    }
    table += fmt::format(" {:.0f} | {} |\n", group.env_steps, FormatDuration(group.wall_time));
  }
  return table;
}

void WriteSummaryCsv(const std::string& path, const std::vector<GroupSummary>& groups,
                     const std::vector<std::string>& metrics) {
  std::ofstream out = OpenOutput(path);
  // header: per metric final and best, each as mean, lo, hi
  std::vector<std::string> header = {"group", "seeds", "finished"};
  for (const std::string& metric : metrics) {
    for (const char* stat : {"final", "best"}) {
      for (const char* part : {"mean", "lo", "hi"}) {
        header.push_back(FormatCsv(fmt::format("{}_{}_{}", metric, stat, part)));
      }
    }
  }
  header.insert(header.end(), {"env_steps", "wall_time_s", "updates"});
  out << fmt::format("{}\n", fmt::join(header, ","));

  for (const GroupSummary& group : groups) {
    std::vector<std::string> row = {FormatCsv(group.label), FormatCsv(group.seeds),
                                    FormatCsv(group.finished)};
    for (const std::string& metric : metrics) {
      const MetricSummary& summary = group.metrics.at(metric);
      for (const Interval& value : {summary.final_value, summary.best}) {
        for (double part : {value.mean, value.lo, value.hi}) row.push_back(FormatCsv(part));
      }
    }
    row.insert(row.end(),
               {FormatCsv(group.env_steps), FormatCsv(group.wall_time), FormatCsv(group.updates)});
    out << fmt::format("{}\n", fmt::join(row, ","));
  }
  Close(out, path);
}

int64_t WriteCurves(const std::string& path, const std::vector<GroupSummary>& groups,
                    const std::string& metric) {
  std::ofstream out = OpenOutput(path);
  // the last step of any curve: offline-only runs (one point) are drawn flat up to it
  int64_t last_step = 0;
  for (const GroupSummary& group : groups) {
    for (const auto& point : group.metrics.at(metric).curve) {
      last_step = std::max<int64_t>(last_step, static_cast<int64_t>(point.first));
    }
  }
  int64_t blocks = 0;
  for (const GroupSummary& group : groups) {
    const MetricSummary& summary = group.metrics.at(metric);
    if (summary.curve.empty()) continue;
    // blocks apart by two blank lines (gnuplot's `index`), each titled by its first line
    if (blocks++ > 0) out << "\n\n";
    std::string label = group.label;
    for (char& c : label) c = c == '"' ? '\'' : c;
    out << '"' << label << "\"\n";
    for (const auto& [step, value] : summary.curve) {
      out << fmt::format("{} {} {} {}\n", step, value.mean, value.lo, value.hi);
    }
    const auto& [step, value] = *summary.curve.begin();
    if (summary.curve.size() == 1 && static_cast<int64_t>(step) < last_step) {
      out << fmt::format("{} {} {} {}\n", last_step, value.mean, value.lo, value.hi);
    }
  }
  Close(out, path);
  return blocks;
}

std::string GnuplotScript() {
  const char* script = std::getenv("IMITATE_GNUPLOT_SCRIPT");
  if (script != nullptr && *script != '\0') return script;
  // the source tree's (the environment variable wins over the build's)
  std::error_code ec;
  const char* built = IMITATE_SOURCE_DIR;
  for (const char* source_dir :
       std::initializer_list<const char*>{std::getenv("IMITATE_SOURCE_DIR"), built}) {
    if (source_dir == nullptr || *source_dir == '\0') continue;
    fs::path path = fs::path(source_dir) / "tools" / "report" / "curves.gnuplot";
    if (fs::is_regular_file(path, ec)) return path.string();
  }
  return "";
}

std::string PlotCurves(const std::string& script, const std::string& data, const std::string& png,
                       const std::string& metric) {
  std::error_code ec;
  if (!fs::is_regular_file(script, ec)) return fmt::format("{}: no such gnuplot script", script);
  std::string variables = fmt::format("datafile={}; outfile={}; metric={}", GnuplotString(data),
                                      GnuplotString(png), GnuplotString(metric));
  fs::remove(png, ec);

  // gnuplot without a shell: its output goes to a log beside the plot, read on failure
  const std::string log = png + ".log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string program = "gnuplot";
  std::string flag = "-e";
  std::string script_arg = script;
  char* argv[] = {program.data(), flag.data(), variables.data(), script_arg.data(), nullptr};
  pid_t pid = 0;
  int error = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    fs::remove(log, ec);
    if (error == ENOENT) return "gnuplot is not installed (apt-get install gnuplot-nox)";
    return fmt::format("cannot start gnuplot ({})", std::strerror(error));
  }

  // its exit status, and the plot it should have drawn
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string reason = GnuplotError(log);
  fs::remove(log, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fmt::format("gnuplot failed on {}: {}", data,
                       reason.empty() ? fmt::format("status {}", status) : reason);
  }
  if (!fs::is_regular_file(png, ec) || fs::file_size(png, ec) == 0) {
    return fmt::format("gnuplot drew no {}", png);
  }
  return "";
}

}  // namespace imitate::engine::aggregate_internal
