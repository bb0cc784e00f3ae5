// The kitchen's MuJoCo model: the MJCF files of assets/ are embedded into the plugin at build
// time (embed_assets.cmake) and compiled from a MuJoCo virtual file system, so the library works
// from any working directory and after installation.
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_MODEL_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_MODEL_H_

#include "imitate/sdk/mujoco/model.h"

namespace imitate::plugins::kitchen {

// One embedded file: its name (as <include file="..."> writes it) and its text.
struct EmbeddedFile {
  const char* name;
  const char* text;
};

// The embedded MJCF files (generated kitchen_assets.cc); the first is the main file.
extern const EmbeddedFile kEmbeddedAssets[];
extern const int kNumEmbeddedAssets;

// Compiles the kitchen from the embedded files. Checks that the sizes match kitchen_layout.h
// (InternalError otherwise); throws ConfigError when the MJCF does not compile.
mujoco::MjModelPtr LoadKitchenModel();

}  // namespace imitate::plugins::kitchen

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_MODEL_H_
