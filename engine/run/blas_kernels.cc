#include "engine/run/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace imitate::engine {

void UseFastBlasKernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // chosen by the user, or re-executed
  if (std::getenv("IMITATE_KEEP_BLAS_KERNELS") != nullptr) return;
  // which kernels the loaded OpenBLAS chose (absent with another BLAS)
  using CoreName = char* (*)();
  auto core_name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core_name == nullptr) return;
  const char* chosen = core_name();
  if (chosen == nullptr || strcasecmp(chosen, "prescott") != 0) return;
  // the best kernels this CPU (and OS) supports
  __builtin_cpu_init();
  const char* better = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                       : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                         : nullptr;
  if (better == nullptr) return;
  setenv("OPENBLAS_CORETYPE", better, 1);
  execv("/proc/self/exe", argv);  // returns only on failure: keep the default kernels
  unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace imitate::engine
