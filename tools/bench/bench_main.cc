// imitate_bench: prints machine facts as JSON lines, then runs the Google Benchmark suite.
//
//   build/bin/imitate_bench                           # console table
//   build/bin/imitate_bench --benchmark_format=json   # facts + one JSON document
//   build/bin/imitate_bench --benchmark_out=r.json --benchmark_out_format=json
//                                                     # a pure JSON file (facts in "context")
//   build/bin/imitate_bench --threads=1               # torch threads (0 = all cores, default)
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tools/bench/bench_facts.h"

namespace {

// removes --threads=N from argv (Google Benchmark refuses flags it does not know); returns N,
// or -1 when absent or not a number >= 0
int TakeThreadsFlag(int& argc, char** argv) {
  constexpr const char kFlag[] = "--threads=";
  int threads = 0;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], kFlag, sizeof(kFlag) - 1) == 0) {
      char* end = nullptr;
      const long value = std::strtol(argv[i] + sizeof(kFlag) - 1, &end, 10);
      threads = (*end == '\0' && value >= 0) ? static_cast<int>(value) : -1;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return threads;
}

}  // namespace

int main(int argc, char** argv) {
  // our flag, then Google Benchmark's: --help exits before any work
  int threads = TakeThreadsFlag(argc, argv);
  if (threads < 0) {
    std::fprintf(stderr, "imitate_bench: --threads takes an integer >= 0 (0 = all cores)\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // torch threads as an experiment's `threads` sets them (0 = all cores)
  if (threads == 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(threads > 0 ? threads : 1);
  // the facts, then the benchmarks
  imitate::bench::PrintFacts(imitate::bench::GatherFacts());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
