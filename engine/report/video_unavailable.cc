// VideoWriter, CountVideoFrames and WritePng for a build without FFmpeg (-DIMITATE_WITH_VIDEO=OFF):
// every use is a one-line DataError naming the file, so runs, demos and predictions that ask for no
// video work as usual.
#include <fmt/format.h>
#include <torch/types.h>

#include <string>

#include "engine/report/video.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

[[noreturn]] void Unavailable(const std::string& path) {
  throw DataError(fmt::format(
      "{}: this build of imitate has no video support (configured with "
      "-DIMITATE_WITH_VIDEO=OFF; rebuild with FFmpeg's development packages to write videos)",
      path));
}

}  // namespace

struct VideoWriter::Impl {};

VideoWriter::VideoWriter(const std::string& path, int width, int height, int /*fps*/)
    : path_(path), width_(width), height_(height) {
  Unavailable(path);
}

VideoWriter::~VideoWriter() = default;

void VideoWriter::AddFrame(const uint8_t*, int, int, const std::string&) { Unavailable(path_); }

void VideoWriter::AddFrame(const at::Tensor&, const std::string&) { Unavailable(path_); }

void VideoWriter::Close() {}

int CountVideoFrames(const std::string& path) { Unavailable(path); }

void WritePng(const std::string& path, const uint8_t*, int, int) { Unavailable(path); }

}  // namespace imitate::engine
