// OpenBLAS kernel selection on CPUs its detection does not recognise.
#ifndef IMITATE_ENGINE_RUN_BLAS_KERNELS_H_
#define IMITATE_ENGINE_RUN_BLAS_KERNELS_H_

namespace imitate::engine {

// OpenBLAS picks its kernels once, when it loads, from the CPU model. On CPUs it does not know
// (many virtual machines report a generic "Intel Xeon Processor") it falls back to its SSE3
// "Prescott" kernels, which run LibTorch's matrix products about 2x slower than the AVX2 or
// AVX-512 kernels the CPU supports. When that happened and OPENBLAS_CORETYPE is unset, this
// sets OPENBLAS_CORETYPE to the best kernels the CPU supports (SkylakeX or Haswell) and
// re-executes the program once with the same arguments. Returns (doing nothing) otherwise, or
// when the re-execution fails, or when IMITATE_KEEP_BLAS_KERNELS is set.
void UseFastBlasKernels(char** argv);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_BLAS_KERNELS_H_
