#!/usr/bin/env bash
# Builds the whole engine and its plugins on a GPU machine that has a CUDA PyTorch (Python
# `torch` package) but none of the engine's other dependencies and no network. The .deb files
# that tools/bench/gpu/fetch-deps.sh downloaded elsewhere are unpacked into a private prefix
# (never into /), and LibTorch is taken straight from the torch package (cmake/ImitateTorch.cmake).
#   tools/bench/gpu/build-engine.sh [BUILD_DIR] [DEBS_DIR]   (default build-cuda, .gpu_carry/debs)
# Then, in the same shell, `source BUILD_DIR/env.sh` sets the library path and the NVIDIA EGL
# vendor for running build-cuda/bin/imitate. Videos are off (no FFmpeg there), tests are not built.
set -euo pipefail
cd "$(dirname "$0")/../../.."
build=${1:-build-cuda}
debs=${2:-.gpu_carry/debs}
prefix=${IMITATE_DEPS_PREFIX:-/tmp/imitate-deps}
arch_lib=$prefix/usr/lib/x86_64-linux-gnu

# unpack the packages; give versioned libraries their unversioned link names (-lcurl, -lsz)
mkdir -p "$prefix"
for f in "$debs"/*.deb; do dpkg -x "$f" "$prefix"; done
# development links whose library was left out (the C runtime's zlib) point to the machine's own
(cd "$arch_lib" && for link in lib*.so; do
  if [ -L "$link" ] && [ ! -e "$link" ]; then
    system=$(ldconfig -p | awk -v n="$link." 'index($1, n) == 1 {print $NF; exit}')
    if [ -n "$system" ]; then ln -sf "$system" "$link"; fi
  fi
done)
(cd "$arch_lib" && for f in lib*.so.*; do
  name=${f%%.so.*}.so
  [ -e "$name" ] || ln -s "$f" "$name"
done)

# CMake packages that name absolute /usr/include paths (MuJoCo's qhull headers) point into the prefix
grep -rl ';/usr/include' "$arch_lib/cmake" | xargs -r sed -i "s|;/usr/include|;$prefix/usr/include|g"

# the run-time environment, for this script and for whoever sources env.sh afterwards
mkdir -p "$build"
nvidia_egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
cat >"$build/env.sh" <<ENV
export LD_LIBRARY_PATH=$arch_lib:$arch_lib/hdf5/serial\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
[ -f $nvidia_egl ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$nvidia_egl
true
ENV
# shellcheck disable=SC1091
source "$build/env.sh"

torch_dir=${IMITATE_TORCH_DIR:-$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
PKG_CONFIG_SYSROOT_DIR=$prefix \
PKG_CONFIG_LIBDIR=$arch_lib/pkgconfig:$prefix/usr/share/pkgconfig \
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DIMITATE_TORCH_PYTHON_DIR="$torch_dir" -DIMITATE_WITH_VIDEO=OFF -DIMITATE_BUILD_TESTS=OFF \
  -DCMAKE_FIND_ROOT_PATH="$prefix" -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER \
  -DHDF5_C_COMPILER_EXECUTABLE=/nonexistent -DCMAKE_BUILD_RPATH="$arch_lib" \
  -DCMAKE_POLICY_VERSION_MINIMUM=3.5
cmake --build "$build" -j "$(nproc)"
echo "build-engine: built $build (torch $(python3 -c 'import torch; print(torch.__version__)'))"
