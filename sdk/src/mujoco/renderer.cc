#include "imitate/sdk/mujoco/renderer.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/mujoco/model.h"

namespace imitate::mujoco {
namespace {

constexpr int kMaxGeoms = 2000;  // scene capacity

// the process-wide EGL display; never terminated (that would kill every context on it)
struct EglDisplay {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLConfig config = nullptr;
  std::string error;  // why there is no display, or ""
};

std::string EglErrorText(const char* what) {
  char code[16];
  std::snprintf(code, sizeof(code), "0x%04x", static_cast<unsigned>(eglGetError()));
  return std::string(what) + " failed (EGL error " + code + ")";
}

// the headless Mesa platform first, then whatever the default display is
EGLDisplay OpenDisplay() {
  auto get_platform_display = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
      eglGetProcAddress("eglGetPlatformDisplayEXT"));
  EGLint major = 0, minor = 0;
  if (get_platform_display != nullptr) {
    EGLDisplay display =
        get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
    if (display != EGL_NO_DISPLAY && eglInitialize(display, &major, &minor)) return display;
  }
  EGLDisplay display = eglGetDisplay(EGL_DEFAULT_DISPLAY);
  if (display != EGL_NO_DISPLAY && eglInitialize(display, &major, &minor)) return display;
  return EGL_NO_DISPLAY;
}

const EglDisplay& SharedDisplay() {
  static const EglDisplay* shared = [] {
    auto* egl = new EglDisplay();
    egl->display = OpenDisplay();
    if (egl->display == EGL_NO_DISPLAY) {
      egl->error = EglErrorText("eglInitialize (surfaceless and default display)");
      return egl;
    }
    // an RGBA + depth + stencil desktop-OpenGL config (pbuffer-capable, as the surfaceless
    // platform offers; then any surface type); MuJoCo draws into its own framebuffer
    for (EGLint surface : {EGL_PBUFFER_BIT, EGL_DONT_CARE}) {
      // clang-format off
      const EGLint attributes[] = {
          EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_ALPHA_SIZE, 8,
          EGL_DEPTH_SIZE, 24, EGL_STENCIL_SIZE, 8, EGL_COLOR_BUFFER_TYPE, EGL_RGB_BUFFER,
          EGL_SURFACE_TYPE, surface, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
      // clang-format on
      EGLint count = 0;
      if (eglChooseConfig(egl->display, attributes, &egl->config, 1, &count) && count > 0) {
        return egl;
      }
    }
    egl->error = "eglChooseConfig found no desktop OpenGL config with depth and stencil";
    return egl;
  }();
  return *shared;
}

}  // namespace

// the EGL context and MuJoCo's scene and GPU resources, made on the first Render
struct Renderer::Gpu {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
  mjvScene scene;
  mjrContext con;

  Gpu() {
    mjv_defaultScene(&scene);
    mjr_defaultContext(&con);
  }

  void MakeCurrent() {
    if (!eglBindAPI(EGL_OPENGL_API)) throw Error(EglErrorText("eglBindAPI(EGL_OPENGL_API)"));
    if (eglGetCurrentContext() == context) return;
    if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
      throw Error(EglErrorText("eglMakeCurrent (surfaceless context)"));
    }
  }

  // frees what was made, also after a failure half-way (freeing defaults is a no-op)
  ~Gpu() {
    mjv_freeScene(&scene);
    if (context == EGL_NO_CONTEXT) return;
    eglBindAPI(EGL_OPENGL_API);
    if (eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) mjr_freeContext(&con);
    eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(display, context);
  }
};

mjvCamera FixedCamera(const mjModel* model, const std::string& name) {
  mjvCamera camera;
  mjv_defaultCamera(&camera);
  if (name.empty()) return camera;
  int id = mj_name2id(model, mjOBJ_CAMERA, name.c_str());
  if (id < 0) throw UsageError("MuJoCo model has no camera named '" + name + "'");
  camera.type = mjCAMERA_FIXED;
  camera.fixedcamid = id;
  return camera;
}

Renderer::Renderer(mjModel* model, int max_width, int max_height) : model_(model) {
  IMITATE_CHECK(model_ != nullptr, "Renderer: null model");
  InstallMujocoErrorHandler();
  model_->vis.global.offwidth = std::max(model_->vis.global.offwidth, max_width);
  model_->vis.global.offheight = std::max(model_->vis.global.offheight, max_height);
  mjv_defaultOption(&options_);
}

Renderer::~Renderer() = default;

void Renderer::Render(const mjData* data, const mjvCamera& camera, int width, int height,
                      uint8_t* out) {
  if (width <= 0 || height <= 0) {
    throw UsageError("Render: size must be positive, got " + std::to_string(width) + "x" +
                     std::to_string(height));
  }
  // first call: the EGL context, then MuJoCo's scene and offscreen buffer
  if (!gpu_) {
    const EglDisplay& egl = SharedDisplay();
    if (!egl.error.empty()) throw Error("offscreen rendering unavailable: " + egl.error);
    auto gpu = std::make_unique<Gpu>();
    gpu->display = egl.display;
    if (!eglBindAPI(EGL_OPENGL_API)) throw Error(EglErrorText("eglBindAPI(EGL_OPENGL_API)"));
    gpu->context = eglCreateContext(egl.display, egl.config, EGL_NO_CONTEXT, nullptr);
    if (gpu->context == EGL_NO_CONTEXT) throw Error(EglErrorText("eglCreateContext"));
    gpu->MakeCurrent();
    mjv_makeScene(model_, &gpu->scene, kMaxGeoms);
    mjr_makeContext(model_, &gpu->con, mjFONTSCALE_100);
    mjr_setBuffer(mjFB_OFFSCREEN, &gpu->con);
    gpu_ = std::move(gpu);
  }
  gpu_->MakeCurrent();
  // a larger request than the buffer: remake MuJoCo's GPU resources at the new size
  if (width > gpu_->con.offWidth || height > gpu_->con.offHeight) {
    model_->vis.global.offwidth = std::max(model_->vis.global.offwidth, width);
    model_->vis.global.offheight = std::max(model_->vis.global.offheight, height);
    mjr_freeContext(&gpu_->con);
    mjr_defaultContext(&gpu_->con);
    mjr_makeContext(model_, &gpu_->con, mjFONTSCALE_100);
    mjr_setBuffer(mjFB_OFFSCREEN, &gpu_->con);
  }
  // draw; mjv_updateScene only reads the simulation state (it takes a non-const pointer)
  mjvCamera view = camera;
  mjv_updateScene(model_, const_cast<mjData*>(data), &options_, nullptr, &view, mjCAT_ALL,
                  &gpu_->scene);
  mjrRect viewport = {0, 0, width, height};
  mjr_render(viewport, &gpu_->scene, &gpu_->con);
  mjr_readPixels(out, nullptr, viewport, &gpu_->con);
  // OpenGL rows are bottom-up: flip in place so that the top row comes first
  const size_t row = static_cast<size_t>(width) * 3;
  for (int top = 0, bottom = height - 1; top < bottom; ++top, --bottom) {
    std::swap_ranges(out + top * row, out + (top + 1) * row, out + bottom * row);
  }
}

}  // namespace imitate::mujoco
