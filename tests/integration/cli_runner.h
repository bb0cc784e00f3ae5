// Runs the built `imitate` executable as a user would and captures what it prints.
#ifndef IMITATE_TESTS_INTEGRATION_CLI_RUNNER_H_
#define IMITATE_TESTS_INTEGRATION_CLI_RUNNER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace imitate::testing {

struct CliResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `build/bin/imitate args...` in `cwd` (the build folder comes from IMITATE_BINARY_DIR).
// With `kill_after_seconds` > 0 the process gets SIGKILL when it runs longer (exit_code -1).
CliResult RunCli(const std::vector<std::string>& args, const std::string& cwd,
                 double kill_after_seconds = 0);

// The same, with SIGKILL once `kill_when()` (polled every few milliseconds) returns true.
CliResult RunCliUntil(const std::vector<std::string>& args, const std::string& cwd,
                      const std::function<bool()>& kill_when);

// A fresh empty temporary folder for one test.
std::string MakeTempDir(const std::string& tag);

// Writes `text` to `path`.
void WriteFile(const std::string& path, const std::string& text);

// The whole text of the file at `path` ("" when it cannot be read).
std::string ReadText(const std::string& path);

// The value of `column` in `run_dir`/summary.csv (a header row and one value row); nullopt when
// the file, its value row or the column is missing.
std::optional<double> SummaryMetric(const std::string& run_dir, const std::string& column);

}  // namespace imitate::testing

#endif  // IMITATE_TESTS_INTEGRATION_CLI_RUNNER_H_
