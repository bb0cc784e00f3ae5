// Reading run directories for `imitate report`: discovery, configuration keys, eval points.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/report/aggregate_internal.h"
#include "engine/report/sinks.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine::aggregate_internal {
namespace fs = std::filesystem;
namespace {

// folders that never hold runs of their own: a run's checkpoints and videos, set-aside runs
bool Skipped(const std::string& name) {
  if (name == "checkpoints" || name == "videos") return true;
  const std::string mark = ".interrupted-";
  size_t at = name.rfind(mark);
  if (at == std::string::npos || at + mark.size() == name.size()) return false;
  return std::all_of(name.begin() + at + mark.size(), name.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") + 1 - begin);
}

// a TOML line without its comment (a # outside strings), trimmed
std::string StripComment(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return Trim(line.substr(0, i));
    }
  }
  return Trim(line);
}

// the key of a `key = value` line ("" for other lines)
std::string LineKey(const std::string& line) {
  size_t eq = line.find('=');
  return eq == std::string::npos ? "" : Trim(line.substr(0, eq));
}

// a path without "." and ".." parts or a trailing separator
fs::path Clean(const fs::path& path) {
  fs::path clean = path.lexically_normal();
  return clean.has_filename() || !clean.has_parent_path() ? clean : clean.parent_path();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// a cell as a number (NaN when it is not one)
double Number(const std::string& cell) {
  if (cell.empty()) return std::nan("");
  char* end = nullptr;
  double value = std::strtod(cell.c_str(), &end);
  return end != nullptr && *end == '\0' ? value : std::nan("");
}

// the index of column `name` in `header` (-1 when absent)
int Column(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

// groups eval.csv rows into evaluation points, with the means of every numeric column
void ReadEval(const std::string& path, RunData& run) {
  std::vector<std::vector<std::string>> rows = ReadCsv(path);
  if (rows.empty()) return;
  run.columns = rows.front();
  int phase = Column(run.columns, "phase");
  int update = Column(run.columns, "update");
  int env_step = Column(run.columns, "env_step");
  int wall_time = Column(run.columns, "wall_time");
  if (env_step < 0) throw DataError(fmt::format("{}: no env_step column", path));

  std::map<std::string, std::pair<double, int64_t>> sums;  // column -> (sum, count)
  std::string current;
  auto close = [&] {
    if (sums.empty()) return;
    for (const auto& [column, sum] : sums) {
      run.points.back().means[column] = sum.second > 0 ? sum.first / sum.second : std::nan("");
    }
    sums.clear();
  };
  auto cell = [](const std::vector<std::string>& row, int c) {
    return c >= 0 && c < static_cast<int>(row.size()) ? row[c] : std::string();
  };
  for (size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    // a new point where phase, update or env_step change
    std::string point = cell(row, phase) + "\n" + cell(row, update) + "\n" + cell(row, env_step);
    if (point != current || run.points.empty()) {
      close();
      current = point;
      double step = Number(cell(row, env_step));
      run.points.push_back({std::isfinite(step) ? static_cast<int64_t>(step) : 0, {}});
    }
    for (size_t c = 0; c < run.columns.size(); ++c) {
      if (static_cast<int>(c) == phase) continue;
      auto& sum = sums[run.columns[c]];
      double value = Number(cell(row, static_cast<int>(c)));
      if (std::isfinite(value)) sum = {sum.first + value, sum.second + 1};
    }
    // progress of the run
    double step = Number(cell(row, env_step));
    double updates = Number(cell(row, update));
    double time = Number(cell(row, wall_time));
    if (std::isfinite(step)) run.env_steps = std::max(run.env_steps, static_cast<int64_t>(step));
    if (std::isfinite(updates)) run.updates = std::max(run.updates, static_cast<int64_t>(updates));
    if (std::isfinite(time)) run.wall_time = std::max(run.wall_time, time);
  }
  close();
}

}  // namespace

std::vector<std::string> FindRunDirs(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw ConfigError("no folder given to look for run directories in");
  std::map<std::string, std::string> found;  // canonical path -> path as found
  auto add = [&](const fs::path& dir) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(dir, ec);
    found.emplace(ec ? Clean(dir).string() : canonical.string(), Clean(dir).string());
  };
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) throw ConfigError(fmt::format("{}: no such folder", dir));
    if (!fs::is_directory(dir, ec)) throw ConfigError(fmt::format("{}: not a folder", dir));
    if (fs::is_regular_file(fs::path(dir) / "resolved.toml", ec)) {
      add(dir);
      continue;
    }
    // the folders below, not descending into runs or skipped folders
    auto it =
        fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code unreadable;  // a folder we cannot look into is no run of ours
      if (!it->is_directory(unreadable)) continue;
      if (Skipped(it->path().filename().string())) {
        it.disable_recursion_pending();
      } else if (fs::is_regular_file(it->path() / "resolved.toml", unreadable)) {
        add(it->path());
        it.disable_recursion_pending();
      }
    }
  }
  if (found.empty()) {
    throw ConfigError(fmt::format("no run directory (a folder with resolved.toml) under {}",
                                  fmt::join(dirs, ", ")));
  }

  std::vector<std::string> runs;
  for (const auto& [canonical, path] : found) runs.push_back(path);
  std::sort(runs.begin(), runs.end());
  return runs;
}

std::string ConfigKey(const std::string& resolved_toml) {
  std::istringstream in(resolved_toml);
  std::string line;
  std::string key;
  bool in_table = false;
  while (std::getline(in, line)) {
    std::string kept = StripComment(line);
    if (kept.empty()) continue;
    if (kept.front() == '[') in_table = true;
    // seeds and thread counts of one configuration differ
    std::string name = LineKey(kept);
    if (!in_table && (name == "seed" || name == "threads")) continue;
    key += kept + "\n";
  }
  return key;
}

std::string ConfigName(const std::string& resolved_toml) {
  std::istringstream in(resolved_toml);
  std::string line;
  while (std::getline(in, line)) {
    std::string kept = StripComment(line);
    if (!kept.empty() && kept.front() == '[') break;  // top level only
    if (LineKey(kept) != "name") continue;
    std::string value = Trim(kept.substr(kept.find('=') + 1));
    if (value.size() < 2 || (value.front() != '"' && value.front() != '\'')) return value;
    // a basic string with escapes, or a literal string as is
    std::string name;
    for (size_t i = 1; i + 1 < value.size(); ++i) {
      if (value.front() == '"' && value[i] == '\\' && i + 2 < value.size()) ++i;
      name += value[i];
    }
    return name;
  }
  return "";
}

RunData ReadRun(const std::string& dir) {
  RunData run;
  run.dir = dir;
  fs::path folder(dir);
  std::string resolved = ReadText((folder / "resolved.toml").string());
  run.key = ConfigKey(resolved);
  run.name = ConfigName(resolved);
  if (run.name.empty()) run.name = Clean(folder).parent_path().filename().string();
  if (run.name.empty()) run.name = dir;

  ReadEval((folder / "eval.csv").string(), run);

  // summary.csv is written when the run finishes
  std::vector<std::vector<std::string>> summary = ReadCsv((folder / "summary.csv").string());
  run.finished = summary.size() >= 2;
  if (run.finished) {
    int wall_time = Column(summary[0], "wall_time");
    if (wall_time >= 0 && wall_time < static_cast<int>(summary[1].size())) {
      double time = Number(summary[1][wall_time]);
      if (std::isfinite(time)) run.wall_time = std::max(run.wall_time, time);
    }
  }
  return run;
}

}  // namespace imitate::engine::aggregate_internal
