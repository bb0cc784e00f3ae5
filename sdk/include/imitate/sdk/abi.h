// The plugin handshake: a plain C manifest every plugin library exports, and the build
// fingerprint both sides compare before any C++ object crosses the library boundary.
#ifndef IMITATE_SDK_ABI_H_
#define IMITATE_SDK_ABI_H_

#include <stdint.h>

#include "imitate/sdk/version.h"

// Marks a symbol visible outside its shared library (everything else is hidden).
#define IMITATE_EXPORT __attribute__((visibility("default")))

// Name of the one C entry point every plugin library exports.
#define IMITATE_MANIFEST_SYMBOL "imitate_plugin_manifest"

#define IMITATE_STR_(x) #x
#define IMITATE_STR(x) IMITATE_STR_(x)

// ----- fingerprint fields: each "name=value;" ----- //

#ifndef IMITATE_FINGERPRINT_COMPILER  // tests override it to build a mismatched plugin
#if defined(__clang__)
#define IMITATE_FINGERPRINT_COMPILER "clang-" IMITATE_STR(__clang_major__)
#elif defined(__GNUC__)
#define IMITATE_FINGERPRINT_COMPILER "gcc-" IMITATE_STR(__GNUC__)
#else
#define IMITATE_FINGERPRINT_COMPILER "unknown"
#endif
#endif

// a standard C++ header defines _GLIBCXX_USE_CXX11_ABI, so the field does not depend on the
// includer's include order
#ifdef __cplusplus
#include <cstddef>
#endif
#ifdef _GLIBCXX_USE_CXX11_ABI
#define IMITATE_FINGERPRINT_CXX11_ABI IMITATE_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define IMITATE_FINGERPRINT_CXX11_ABI "none"
#endif

// LibTorch and MuJoCo versions come from the headers this translation unit compiles against.
#ifdef __cplusplus
#include <torch/version.h>
#endif
#include <mujoco/mujoco.h>
#ifdef TORCH_VERSION_MAJOR
#define IMITATE_TORCH_VERSION      \
  IMITATE_STR(TORCH_VERSION_MAJOR) \
  "." IMITATE_STR(TORCH_VERSION_MINOR) "." IMITATE_STR(TORCH_VERSION_PATCH)
#else
#define IMITATE_TORCH_VERSION "none"
#endif
#define IMITATE_MUJOCO_VERSION IMITATE_STR(mjVERSION_HEADER)
#ifndef IMITATE_WITH_CUDA  // set by the imitate::sdk CMake target
#define IMITATE_WITH_CUDA 0
#endif

// The build fingerprint: fields that must agree between host and plugin for C++ objects
// (std::string, torch::Tensor, vtables) to be shared safely.
#define IMITATE_BUILD_FINGERPRINT                                                      \
  "compiler=" IMITATE_FINGERPRINT_COMPILER ";cxx11_abi=" IMITATE_FINGERPRINT_CXX11_ABI \
  ";cplusplus=" IMITATE_STR(__cplusplus) ";torch=" IMITATE_TORCH_VERSION               \
                                         ";mujoco=" IMITATE_MUJOCO_VERSION             \
                                         ";cuda=" IMITATE_STR(IMITATE_WITH_CUDA)

#ifdef __cplusplus
extern "C" {
#endif

// What a plugin library says about itself. Leading fields are plain C so that the host can
// read them from any build; `register_all` is called only when everything matches.
typedef struct ImitatePluginManifest {
  uint32_t abi_version;                   // IMITATE_ABI_VERSION the plugin was built with
  uint32_t manifest_size;                 // sizeof(ImitatePluginManifest) in the plugin
  const char* sdk_version;                // IMITATE_SDK_VERSION
  const char* fingerprint;                // IMITATE_BUILD_FINGERPRINT
  void (*register_all)(void* registrar);  // takes an imitate::Registrar*
} ImitatePluginManifest;

// Signature of the exported entry point; it never throws and never fails.
typedef const ImitatePluginManifest* (*ImitateManifestFn)(void);

#ifdef __cplusplus
}
#endif

#endif  // IMITATE_SDK_ABI_H_
