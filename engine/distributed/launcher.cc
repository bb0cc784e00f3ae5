#include "engine/distributed/launcher.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int signal) { g_stop_signal.store(signal); }

// exit code of a finished rank: its status, or 128 + the signal that killed it
int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// the child side: the rank's variables, then the program
[[noreturn]] void ExecRank(const LaunchOptions& options, int rank, int port, pid_t launcher) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != launcher) _exit(1);  // the launcher died before prctl
  const std::string world = std::to_string(options.nproc);
  setenv("RANK", std::to_string(rank).c_str(), 1);
  setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  setenv("WORLD_SIZE", world.c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", world.c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char*> argv;
  for (const std::string& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  std::fprintf(stderr, "[rank %d] imitate: error: cannot start %s\n", rank, argv[0]);
  _exit(127);
}

}  // namespace

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error("cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw Error("cannot find a free TCP port on 127.0.0.1");
  return ntohs(address.sin_port);
}

std::string SelfExecutable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

std::vector<std::string> WithoutOption(const std::vector<std::string>& args,
                                       const std::string& name) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      ++i;  // and its value
    } else if (args[i].rfind(name + "=", 0) != 0) {
      out.push_back(args[i]);
    }
  }
  return out;
}

int LaunchLocalRanks(const LaunchOptions& options) {
  if (options.argv.empty()) throw Error("launcher: no program to run");
  const int port = options.master_port > 0 ? options.master_port : FreeTcpPort();
  // SIGINT/SIGTERM are passed on to the ranks (which also get a terminal's SIGINT themselves)
  g_stop_signal.store(0);
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  // the ranks
  std::fflush(nullptr);
  const pid_t launcher = getpid();
  std::vector<pid_t> pids(static_cast<size_t>(options.nproc), -1);
  for (int rank = 0; rank < options.nproc; ++rank) {
    pid_t pid = fork();
    if (pid < 0) {
      for (pid_t p : pids) {
        if (p > 0) kill(p, SIGKILL);
      }
      throw Error(fmt::format("launcher: cannot start rank {}: fork failed", rank));
    }
    if (pid == 0) ExecRank(options, rank, port, launcher);
    pids[static_cast<size_t>(rank)] = pid;
  }

  // wait for all; the first failure (or a signal to us) stops the others: SIGTERM, then SIGKILL
  using Clock = std::chrono::steady_clock;
  int result = 0, running = options.nproc;
  bool stopping = false;
  Clock::time_point kill_at{};
  auto stop_others = [&](int signal) {
    for (pid_t p : pids) {
      if (p > 0) kill(p, signal);
    }
  };
  while (running > 0) {
    bool reaped = false;
    for (size_t rank = 0; rank < pids.size(); ++rank) {
      int status = 0;
      if (pids[rank] <= 0 || waitpid(pids[rank], &status, WNOHANG) != pids[rank]) continue;
      pids[rank] = -1;
      --running;
      reaped = true;
      const int code = ExitCode(status);
      if (code != 0 && result == 0) {
        result = code;
        if (running > 0 && !stopping) {
          std::fprintf(stderr, "imitate: rank %zu exited with code %d: stopping the other %d\n",
                       rank, code, running);
        }
      }
    }
    if (reaped) continue;
    if (const int signal = g_stop_signal.exchange(0); signal != 0) {
      if (result == 0) result = 128 + signal;
      if (!stopping) stop_others(signal);
      stopping = true;
      kill_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.stop_grace_seconds));
    }
    if (result != 0 && !stopping) {
      stop_others(SIGTERM);
      stopping = true;
      kill_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.stop_grace_seconds));
    } else if (stopping && Clock::now() >= kill_at) {
      stop_others(SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace imitate::engine
