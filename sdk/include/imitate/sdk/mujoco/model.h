// Helpers for MuJoCo environments: owning model/data pointers, model loading that throws
// imitate errors, and an error handler that turns MuJoCo's fatal errors into exceptions.
#ifndef IMITATE_SDK_MUJOCO_MODEL_H_
#define IMITATE_SDK_MUJOCO_MODEL_H_

#include <mujoco/mujoco.h>

#include <memory>
#include <string>

#include "imitate/sdk/abi.h"

namespace imitate::mujoco {

// Deleters for the owning pointers below.
struct MjModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};

// An owned mjModel (freed with mj_deleteModel).
using MjModelPtr = std::unique_ptr<mjModel, MjModelDeleter>;
// An owned mjData (freed with mj_deleteData).
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Routes MuJoCo's fatal errors to an exception (imitate::InternalError "MuJoCo error: ...")
// instead of exit(), and its warnings to stderr (the first few of each process only).
// Idempotent and thread-safe; the loaders below call it.
IMITATE_EXPORT void InstallMujocoErrorHandler();

// Compiles an MJCF model held in memory. `name` names it in messages (and is the file name
// the model has inside MuJoCo's virtual file system, so it should end in ".xml").
// Throws ConfigError with MuJoCo's message when the model does not compile.
IMITATE_EXPORT MjModelPtr LoadModelFromString(const std::string& xml,
                                              const std::string& name = "model.xml");

// Compiles an MJCF (.xml) or binary (.mjb) model file. Throws DataError with MuJoCo's
// message when the file cannot be read or does not compile.
IMITATE_EXPORT MjModelPtr LoadModelFromFile(const std::string& path);

// Allocates an mjData for `model`. Throws InternalError when MuJoCo runs out of memory.
IMITATE_EXPORT MjDataPtr MakeData(const mjModel* model);

// The id of the named object of `type` (mjOBJ_CAMERA, mjOBJ_BODY, ...). Throws ConfigError
// naming `what` when the model has no such object.
IMITATE_EXPORT int NameToId(const mjModel* model, mjtObj type, const std::string& name,
                            const std::string& what);

}  // namespace imitate::mujoco

#endif  // IMITATE_SDK_MUJOCO_MODEL_H_
