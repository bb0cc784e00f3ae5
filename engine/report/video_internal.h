// Helpers shared by the FFmpeg-backed video writer and reader (not part of the engine's API).
#ifndef IMITATE_ENGINE_REPORT_VIDEO_INTERNAL_H_
#define IMITATE_ENGINE_REPORT_VIDEO_INTERNAL_H_

#include <fmt/format.h>

#include <mutex>
#include <string>

#include "imitate/sdk/errors.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace imitate::engine::video_internal {

// Throws DataError "<path>: <what> (<ffmpeg's reason>)"; no reason when `av_error` is 0.
[[noreturn]] inline void Fail(const std::string& path, const std::string& what, int av_error = 0) {
  if (av_error == 0) throw DataError(fmt::format("{}: {}", path, what));
  char reason[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(av_error, reason, sizeof(reason));
  throw DataError(fmt::format("{}: {} ({})", path, what, reason));
}

// FFmpeg prints encoder statistics at info level; only its errors belong on our console.
inline void QuietFfmpegLogs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

}  // namespace imitate::engine::video_internal

#endif  // IMITATE_ENGINE_REPORT_VIDEO_INTERNAL_H_
