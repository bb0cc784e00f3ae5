// The Slurm array script of a batch: one array task per run, each an `imitate run` command.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "engine/batch/batch.h"

namespace imitate::engine {
namespace {

// `text` quoted for bash: single quotes, with each ' written as '\''
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string SlurmScript(const Batch& batch, const std::vector<BatchRun>& runs,
                        const std::string& imitate_path, const std::string& batch_dir) {
  const SlurmResources& s = batch.slurm;
  std::string out = "#!/bin/bash\n";
  out += fmt::format("# Batch {} ({}): {} runs, one Slurm array task each.\n", batch.name,
                     batch.path, runs.size());
  out += "# Written by `imitate batch --slurm`; submit with `sbatch` from the folder it was\n";
  out += "# written in (paths are relative to it). Finished runs are skipped when rerun.\n";
  // resources
  out += fmt::format("#SBATCH --job-name=imitate-{}\n", batch.name);
  std::string limit = s.max_parallel > 0 ? fmt::format("%{}", s.max_parallel) : "";
  out += fmt::format("#SBATCH --array=0-{}{}\n", runs.size() - 1, limit);
  out += fmt::format("#SBATCH --cpus-per-task={}\n", s.cpus_per_task);
  out += fmt::format("#SBATCH --mem={}\n", s.mem);
  out += fmt::format("#SBATCH --time={}\n", s.time);
  if (!s.partition.empty()) out += fmt::format("#SBATCH --partition={}\n", s.partition);
  if (s.gpus > 0) out += fmt::format("#SBATCH --gres=gpu:{}\n", s.gpus);
  out += fmt::format("#SBATCH --output={}/logs/%x-%A_%a.log\n", batch_dir);
  out += "set -euo pipefail\n";
  for (const std::string& line : s.setup) out += line + "\n";
  out += fmt::format("mkdir -p {}/logs\n", ShellQuote(batch_dir));
  out += fmt::format("IMITATE=${{IMITATE:-{}}}\n", ShellQuote(imitate_path));
  out += "THREADS=${SLURM_CPUS_PER_TASK:-1}\n\n";

  // one case per array index
  out += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string command = "\"$IMITATE\"";
    for (const std::string& arg : RunArguments(runs[i], batch_dir, 0)) {
      command += " " + ShellQuote(arg);
    }
    command += " --set \"threads=$THREADS\" --quiet";
    out += fmt::format("  {})  # {} seed {}\n    exec {} ;;\n", i, runs[i].name, runs[i].seed,
                       command);
  }
  out += "  *) echo \"no run for array index $SLURM_ARRAY_TASK_ID\" >&2; exit 1 ;;\nesac\n";
  return out;
}

}  // namespace imitate::engine
