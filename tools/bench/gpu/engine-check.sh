#!/usr/bin/env bash
# The GPU check of the whole engine, as one script for a lent GPU machine (see BENCHMARKS.md):
# builds everything (build-engine.sh), then runs experiments through `imitate` with
# device = "cuda" and times the update benchmark on the GPU.
#   tools/bench/gpu/engine-check.sh OUT_DIR      (logs, eval CSVs and JSON lines go to OUT_DIR)
set -uo pipefail
cd "$(dirname "$0")/../../.."
out=${1:?usage: engine-check.sh OUT_DIR}
mkdir -p "$out"
runs=${RUNS_DIR:-/tmp/gpu-runs}   # run directories (checkpoints are large): only CSVs go to OUT_DIR
log() { echo "== $* ($(date +%T))"; }

log machine
nvidia-smi -L; nproc; g++ --version | head -1; cmake --version | head -1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'

log build
start=$(date +%s)
if ! tools/bench/gpu/build-engine.sh build-cuda "${DEBS_DIR:-.gpu_carry/debs}" >"$out/build.log" 2>&1; then
  grep -E "error|Error|FAILED" "$out/build.log" | head -60
  exit 1
fi
echo "build seconds: $(($(date +%s) - start))"
source build-cuda/env.sh
imitate=build-cuda/bin/imitate
$imitate --version

# point_mass (state): CMIL through the engine on the GPU, a short budget
log point_mass demos and CMIL on cuda
mkdir -p data
$imitate demos point_mass --expert point_mass --count 20 --seed 0 --out data/point_mass-20.h5
time $imitate run experiments/point_mass/cmil.toml --preset debug --quiet --runs-dir "$runs" \
  --set device=\"cuda\" --set schedule.env_steps=3000 --set schedule.eval_every=1500
cat "$runs"/point_mass-cmil/0/eval.csv

# Kitchen: demos with pixels (EGL on the NVIDIA driver), then pixel CMIL on the GPU
log kitchen demos and pixel CMIL on cuda
time $imitate demos kitchen --expert kitchen_script --count 10 --seed 0 \
  --set 'observation=["state", "pixels"]' --out data/kitchen-mkls-10.h5
time $imitate run experiments/kitchen/cmil.toml --preset small --quiet --runs-dir "$runs" \
  --set device=\"cuda\" --set threads=4 --set schedule.env_steps=4000 \
  --set schedule.eval_every=2000 --set schedule.eval_episodes=3
cat "$runs"/kitchen-cmil/0/eval.csv

# seconds per update on the GPU, through the engine's plugins
log bench_update on cuda
for preset in small paper; do
  build-cuda/bin/bench_update --preset "$preset" --device cuda --updates 20 --warmup 3 |
    tee -a "$out/bench_update.jsonl"
done
for csv in "$runs"/*/0/eval.csv; do cp "$csv" "$out/eval-$(basename "$(dirname "$(dirname "$csv")")").csv"; done
log done
