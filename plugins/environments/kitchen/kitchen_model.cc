#include "plugins/environments/kitchen/kitchen_model.h"

#include <cstring>
#include <memory>
#include <string>

#include "imitate/sdk/errors.h"
#include "plugins/environments/kitchen/kitchen_layout.h"

namespace imitate::plugins::kitchen {
namespace {

constexpr int kErrorSize = 1024;

// a heap-allocated virtual file system (the struct is about 2 MB), emptied on destruction
struct VfsDeleter {
  void operator()(mjVFS* vfs) const {
    mj_deleteVFS(vfs);
    delete vfs;
  }
};

}  // namespace

mujoco::MjModelPtr LoadKitchenModel() {
  mujoco::InstallMujocoErrorHandler();
  // every embedded file into the virtual file system
  std::unique_ptr<mjVFS, VfsDeleter> vfs(new mjVFS);
  mj_defaultVFS(vfs.get());
  for (int i = 0; i < kNumEmbeddedAssets; ++i) {
    const EmbeddedFile& file = kEmbeddedAssets[i];
    const size_t size = std::strlen(file.text);
    if (mj_makeEmptyFileVFS(vfs.get(), file.name, static_cast<int>(size)) != 0) {
      throw InternalError(std::string("kitchen: cannot add ") + file.name + " to the MuJoCo VFS");
    }
    int index = mj_findFileVFS(vfs.get(), file.name);
    IMITATE_CHECK(index >= 0, std::string("kitchen: VFS file ") + file.name + " not found");
    std::memcpy(vfs->filedata[index], file.text, size);
  }
  // compile the main file; includes resolve inside the VFS
  char error[kErrorSize] = "";
  mujoco::MjModelPtr model(mj_loadXML(kEmbeddedAssets[0].name, vfs.get(), error, kErrorSize));
  if (!model) throw ConfigError(std::string("kitchen: the MJCF does not compile: ") + error);
  IMITATE_CHECK(model->nq == kNq && model->nv == kNv && model->nu == kNu && model->na == 0,
                "kitchen: the model does not match kitchen_layout.h");
  return model;
}

}  // namespace imitate::plugins::kitchen
