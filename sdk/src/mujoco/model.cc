#include "imitate/sdk/mujoco/model.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "imitate/sdk/errors.h"

namespace imitate::mujoco {
namespace {

constexpr int kErrorSize = 1024;  // MuJoCo's compiler message buffer
constexpr int kMaxWarnings = 20;  // warnings printed per process; later ones are dropped

// mju_user_error: never returns, so MuJoCo never calls exit()
void ThrowMujocoError(const char* message) {
  throw InternalError(std::string("MuJoCo error: ") + (message ? message : "(no message)"));
}

// mju_user_warning: print the first few, then stay quiet
void LogMujocoWarning(const char* message) {
  static std::atomic<int> count{0};
  int n = count.fetch_add(1);
  if (n < kMaxWarnings) {
    std::fprintf(stderr, "MuJoCo warning: %s\n", message ? message : "(no message)");
  } else if (n == kMaxWarnings) {
    std::fprintf(stderr, "MuJoCo warning: further warnings are not shown\n");
  }
}

// a heap-allocated virtual file system (the struct is about 2 MB), emptied on destruction
struct VfsDeleter {
  void operator()(mjVFS* vfs) const {
    mj_deleteVFS(vfs);
    delete vfs;
  }
};
using VfsPtr = std::unique_ptr<mjVFS, VfsDeleter>;

// MuJoCo's message without trailing whitespace, or a fallback
std::string Trimmed(const char* error) {
  std::string text(error);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "unknown error" : text;
}

}  // namespace

void InstallMujocoErrorHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_error = &ThrowMujocoError;
    mju_user_warning = &LogMujocoWarning;
  });
}

MjModelPtr LoadModelFromString(const std::string& xml, const std::string& name) {
  InstallMujocoErrorHandler();
  // put the text into a virtual file named `name`
  VfsPtr vfs(new mjVFS);
  mj_defaultVFS(vfs.get());
  if (mj_makeEmptyFileVFS(vfs.get(), name.c_str(), static_cast<int>(xml.size())) != 0) {
    throw InternalError("MuJoCo: cannot make the virtual file '" + name + "'");
  }
  int index = mj_findFileVFS(vfs.get(), name.c_str());
  IMITATE_CHECK(index >= 0, "virtual file '" + name + "' not found after creation");
  std::memcpy(vfs->filedata[index], xml.data(), xml.size());
  // compile it
  char error[kErrorSize] = "";
  MjModelPtr model(mj_loadXML(name.c_str(), vfs.get(), error, kErrorSize));
  if (!model) {
    throw ConfigError("MuJoCo model '" + name + "' does not compile: " + Trimmed(error));
  }
  return model;
}

MjModelPtr LoadModelFromFile(const std::string& path) {
  InstallMujocoErrorHandler();
  char error[kErrorSize] = "";
  MjModelPtr model;
  bool binary = path.size() >= 4 && path.compare(path.size() - 4, 4, ".mjb") == 0;
  if (binary) {
    model.reset(mj_loadModel(path.c_str(), nullptr));
    if (!model) throw DataError("MuJoCo model '" + path + "' cannot be loaded");
  } else {
    model.reset(mj_loadXML(path.c_str(), nullptr, error, kErrorSize));
    if (!model) {
      throw DataError("MuJoCo model '" + path + "' cannot be loaded: " + Trimmed(error));
    }
  }
  return model;
}

MjDataPtr MakeData(const mjModel* model) {
  IMITATE_CHECK(model != nullptr, "MakeData: null model");
  MjDataPtr data(mj_makeData(model));
  if (!data) throw InternalError("MuJoCo: cannot allocate mjData");
  return data;
}

int NameToId(const mjModel* model, mjtObj type, const std::string& name, const std::string& what) {
  int id = mj_name2id(model, type, name.c_str());
  if (id < 0) throw ConfigError("MuJoCo model has no " + what + " named '" + name + "'");
  return id;
}

}  // namespace imitate::mujoco
