#!/usr/bin/env bash
# Builds tools/bench/gpu/gpu_update against the LibTorch inside the Python `torch` package (the
# CUDA one on a GPU machine), without CMake or the engine's dependencies. Header-only fmt and
# the MuJoCo headers (abi.h reads MuJoCo's version) come from INCLUDE (default /usr/include).
#   tools/bench/gpu/build.sh [OUT_DIR]  -> OUT_DIR/gpu_update (default build-gpu/)
# On a machine without those headers, copy them from one that has them and point INCLUDE there:
#   mkdir -p .gpu_carry/include && cp -r /usr/include/fmt /usr/include/mujoco .gpu_carry/include/
#   INCLUDE=.gpu_carry/include tools/bench/gpu/build.sh && build-gpu/gpu_update 20 2
# (gpu_update [timed updates] [CPU updates for comparison])
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-build-gpu}
include=${INCLUDE:-/usr/include}
torch_dir=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
mkdir -p "$out/obj"
sources=(sdk/src/errors.cc sdk/src/interfaces.cc sdk/src/params.cc sdk/src/registrar.cc
  sdk/src/spaces.cc plugins/common/imagine.cc plugins/common/latent_agent.cc
  plugins/common/mlp.cc plugins/common/optim.cc plugins/common/policy.cc
  plugins/common/world_model.cc plugins/dynamics/rssm_core/*.cc
  plugins/dynamics/rssm_ensemble/rssm_ensemble.cc
  plugins/reward_learners/discriminator/discriminator.cc plugins/encoders/conv/conv_nets.cc
  plugins/encoders/conv/conv_encoder.cc plugins/optimizers/cmil/cmil_optimizer.cc
  plugins/optimizers/world_model/world_model_optimizer.cc tools/bench/gpu/gpu_update.cc)
flags=(-O2 -std=c++17 -DFMT_HEADER_ONLY -DIMITATE_WITH_CUDA=1 -D_GLIBCXX_USE_CXX11_ABI="$abi"
  -I. -Isdk/include -isystem "$include" -isystem "$torch_dir/include"
  -isystem "$torch_dir/include/torch/csrc/api/include")
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'g++ "$@" -c {} -o "'"$out"'/obj/$(echo {} | tr / _).o"' _ "${flags[@]}"
g++ "$out"/obj/*.o -o "$out/gpu_update" -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" \
  -Wl,--no-as-needed -ltorch -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10 -Wl,--as-needed
echo "built $out/gpu_update (torch $(python3 -c 'import torch; print(torch.__version__)'))"
