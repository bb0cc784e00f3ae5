// Offscreen RGB rendering of a MuJoCo model through EGL, headless (no display, no X).
#ifndef IMITATE_SDK_MUJOCO_RENDERER_H_
#define IMITATE_SDK_MUJOCO_RENDERER_H_

#include <mujoco/mujoco.h>

#include <cstdint>
#include <memory>
#include <string>

#include "imitate/sdk/abi.h"

namespace imitate::mujoco {

// A fixed camera of `model` by name; "" gives MuJoCo's default free camera. Throws
// UsageError for an unknown name.
IMITATE_EXPORT mjvCamera FixedCamera(const mjModel* model, const std::string& name);

// Renders one model offscreen. The EGL context (surfaceless Mesa platform, else the default
// display) and MuJoCo's GPU resources are made lazily on the first Render, so environments
// that never render need no EGL. Render makes its context current on every call (several
// renderers may share a thread); the context then stays current on that thread, so use one
// renderer from one thread. Not copyable.
class IMITATE_EXPORT Renderer {
 public:
  // `model` must outlive the renderer. Its offscreen buffer size
  // (model->vis.global.offwidth/offheight) is raised to at least max_width x max_height.
  Renderer(mjModel* model, int max_width, int max_height);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Draws `data` seen from `camera` and writes height*width*3 bytes of RGB to `out`, top row
  // first. A size beyond the current offscreen buffer grows it (slow: once per new maximum).
  // Throws UsageError for a non-positive size and Error when EGL or OpenGL is unavailable.
  void Render(const mjData* data, const mjvCamera& camera, int width, int height, uint8_t* out);

  // The visualisation options used for every frame (geom groups, frames, ...).
  mjvOption& options() { return options_; }

 private:
  struct Gpu;  // the EGL context and MuJoCo's scene and render context

  mjModel* model_;
  mjvOption options_;
  std::unique_ptr<Gpu> gpu_;
};

}  // namespace imitate::mujoco

#endif  // IMITATE_SDK_MUJOCO_RENDERER_H_
