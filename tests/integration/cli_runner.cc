#include "tests/integration/cli_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/report/sinks.h"

namespace imitate::testing {
namespace fs = std::filesystem;

namespace {
std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

std::string MakeTempDir(const std::string& tag) {
  std::string pattern = (fs::temp_directory_path() / ("imitate_" + tag + "_XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  return buf.data();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CliResult RunCli(const std::vector<std::string>& args, const std::string& cwd,
                 double kill_after_seconds) {
  if (kill_after_seconds <= 0) return RunCliUntil(args, cwd, [] { return false; });
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(kill_after_seconds));
  return RunCliUntil(args, cwd,
                     [deadline] { return std::chrono::steady_clock::now() >= deadline; });
}

CliResult RunCliUntil(const std::vector<std::string>& args, const std::string& cwd,
                      const std::function<bool()>& kill_when) {
  const char* bin_dir = std::getenv("IMITATE_BINARY_DIR");
  std::string exe = std::string(bin_dir ? bin_dir : ".") + "/bin/imitate";
  std::string out_path = cwd + "/.cli_stdout", err_path = cwd + "/.cli_stderr";

  pid_t pid = fork();
  if (pid == 0) {
    // child: redirect and exec
    if (chdir(cwd.c_str()) != 0) _exit(127);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  // wait, killing it when asked
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (kill_when()) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  return result;
}

std::optional<double> SummaryMetric(const std::string& run_dir, const std::string& column) {
  const std::string path = run_dir + "/summary.csv";
  if (!fs::exists(path)) return std::nullopt;
  auto rows = engine::ReadCsv(path);
  if (rows.size() != 2) return std::nullopt;
  for (size_t c = 0; c < rows[0].size() && c < rows[1].size(); ++c) {
    if (rows[0][c] == column) return std::stod(rows[1][c]);
  }
  return std::nullopt;
}

}  // namespace imitate::testing
