#!/usr/bin/env bash
# Downloads (here, on a Debian 12 machine with apt) the .deb files of the engine's dependencies
# other than LibTorch, for a GPU machine that has a CUDA PyTorch but none of them and no network.
# tools/bench/gpu/build-engine.sh unpacks them there into a private prefix (never into /).
#   tools/bench/gpu/fetch-deps.sh [DIR]     -> DIR/*.deb (default .gpu_carry/debs, ~25 MB)
# FFmpeg (videos) is left out: its closure is ~55 MB more; the GPU build sets IMITATE_WITH_VIDEO=OFF.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-.gpu_carry/debs}
mkdir -p "$out"

# headers and CMake packages
dev=(libmujoco-dev libqhull-dev libegl-dev libgl-dev libopengl-dev libglx-dev libglvnd-dev
  libboost1.74-dev libboost-filesystem1.74-dev libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev libfmt-dev libcli11-dev libhdf5-dev zlib1g-dev libbenchmark-dev libgloo-dev)
# the shared libraries they need at link and run time: what `ldd` lists for the engine and the
# plugins here, less the C and C++ runtimes (the GPU machine's own, newer ones must win), plus
# the GL loaders (glvnd) that dispatch to the NVIDIA driver's EGL
runtime=(libaec0 libboost-filesystem1.74.0 libbrotli1 libccd2 libcurl4 libegl1 libffi8 libfmt9
  libglvnd0 libgmp10 libgnutls30 libgssapi-krb5-2 libhdf5-103-1 libhdf5-hl-100 libhogweed6
  libidn2-0 libk5crypto3 libkrb5-3 libkrb5support0 libldap-2.5-0 liblodepng0 libmujoco2.2.2
  libnettle8 libnghttp2-14 libp11-kit0 libpsl5 libqhull-r8.0 librtmp1 libsasl2-2 libssh2-1
  libssl3 libsz2 libtasn1-6 libtinyxml2-9 libtomlplusplus3 libunistring2 libzstd1
  libbenchmark1debian libgl1 libgles2 libglx0 libopengl0)
(cd "$out" && apt-get download "${dev[@]}" "${runtime[@]}" >/dev/null)
echo "fetch-deps: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1) in $out"
