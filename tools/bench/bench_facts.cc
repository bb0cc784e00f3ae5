#include "tools/bench/bench_facts.h"

#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mujoco/mujoco.h>
#include <torch/types.h>
#include <torch/version.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/report/sinks.h"
#include "imitate/sdk/environment.h"
#include "tools/bench/bench_plugins.h"

namespace imitate::bench {
namespace {

// the real path of a file (symlinks resolved), or `path` itself when it cannot be resolved
std::string RealPath(const std::string& path) {
  char buffer[PATH_MAX];
  if (realpath(path.c_str(), buffer) == nullptr) return path;
  return buffer;
}

// the first file mapped into this process whose name contains `part` ("libblas.so"), or ""
std::string MappedLibrary(const std::string& part) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string base = path.substr(path.rfind('/') + 1);
    if (base.find(part) != std::string::npos) return RealPath(path);
  }
  return "";
}

// the BLAS behind libblas.so.3, after a matrix product has surely gone through it
std::string LoadedBlas() {
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({256, 256});
  torch::Tensor product = torch::mm(a, a);
  benchmark::DoNotOptimize(product.data_ptr());
  const std::string path = MappedLibrary("libblas.so");
  return path.empty() ? "not loaded" : path;
}

// the Mesa driver that EGL loaded, after point_mass has rendered one frame
std::string LoadedGlDriver() {
  try {
    std::unique_ptr<Environment> env = CreatePlugin<Environment>(
        "point_mass", "environment", {{"observation", std::vector<std::string>{"pixels"}}});
    env->Reset(0);
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
  const std::string path = MappedLibrary("_dri.so");
  return path.empty() ? "not loaded" : path;
}

// a short name for the BLAS path: openblas, reference (netlib) or other
std::string BlasKind(const std::string& path) {
  if (path.find("openblas") != std::string::npos) return "openblas";
  if (path.find("/blas/") != std::string::npos) return "reference (netlib)";
  if (path.find("mkl") != std::string::npos) return "mkl";
  return "other";
}

// the first "model name" of /proc/cpuinfo, and the number of "processor" entries
std::pair<std::string, int> CpuInfo() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown";
  int processors = 0;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("processor", 0) == 0) ++processors;
    if (model == "unknown" && line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return {model, processors};
}

}  // namespace

std::vector<Fact> GatherFacts() {
  std::vector<Fact> facts;
  // linear algebra
  const std::string blas = LoadedBlas();
  facts.emplace_back("blas", blas);
  facts.emplace_back("blas_kind", BlasKind(blas));
  facts.emplace_back("torch_threads", std::to_string(at::get_num_threads()));
  facts.emplace_back("torch_interop_threads", std::to_string(at::get_num_interop_threads()));
  // the machine
  const auto [model, processors] = CpuInfo();
  facts.emplace_back("cpu_model", model);
  facts.emplace_back("cores", std::to_string(std::thread::hardware_concurrency()));
  facts.emplace_back("cpuinfo_processors", std::to_string(processors));
  // versions and build
  facts.emplace_back("torch_version", TORCH_VERSION);
  facts.emplace_back("mujoco_version", std::to_string(mj_version()));
  facts.emplace_back("build_type", IMITATE_BENCH_BUILD_TYPE);
  // rendering (llvmpipe uses LP_NUM_THREADS threads, default: all cores)
  facts.emplace_back("gl_driver", LoadedGlDriver());
  const char* lp_threads = std::getenv("LP_NUM_THREADS");
  facts.emplace_back("lp_num_threads", lp_threads != nullptr ? lp_threads : "unset");
  // the plugins the benchmarks use
  try {
    facts.emplace_back("plugins", fmt::format("{}", fmt::join(LoadedPluginFiles(), ":")));
  } catch (const std::exception& e) {
    facts.emplace_back("plugins", std::string("error: ") + e.what());
  }
  return facts;
}

void PrintFacts(const std::vector<Fact>& facts) {
  for (const Fact& fact : facts) {
    std::printf("{\"fact\": %s, \"value\": %s}\n", JsonString(fact.first).c_str(),
                JsonString(fact.second).c_str());
    benchmark::AddCustomContext(fact.first, fact.second);
  }
  std::fflush(stdout);
}

std::string JsonString(const std::string& text) { return engine::FormatJson(text); }

}  // namespace imitate::bench
