// Machine facts printed before the benchmarks: which BLAS, how many threads, which CPU.
#ifndef IMITATE_TOOLS_BENCH_BENCH_FACTS_H_
#define IMITATE_TOOLS_BENCH_BENCH_FACTS_H_

#include <string>
#include <utility>
#include <vector>

namespace imitate::bench {

// One fact: a name and its value as text.
using Fact = std::pair<std::string, std::string>;

// Gathers the facts: the resolved libblas.so.3 this process loaded (after forcing a BLAS call),
// the torch thread count, the CPU model, the core count, versions and the build type.
std::vector<Fact> GatherFacts();

// Prints each fact as one JSON line {"fact": NAME, "value": VALUE} on stdout and adds it to
// Google Benchmark's context (the "context" object of its JSON output).
void PrintFacts(const std::vector<Fact>& facts);

// `text` as a JSON string literal, quotes included.
std::string JsonString(const std::string& text);

}  // namespace imitate::bench

#endif  // IMITATE_TOOLS_BENCH_BENCH_FACTS_H_
