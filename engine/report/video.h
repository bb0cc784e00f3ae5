// Episode videos: an FFmpeg-backed writer of .mp4 (H.264) and .gif files, a frame counter, and
// single PNG pictures.
#ifndef IMITATE_ENGINE_REPORT_VIDEO_H_
#define IMITATE_ENGINE_REPORT_VIDEO_H_

#include <cstdint>
#include <memory>
#include <string>

namespace at {
class Tensor;
}  // namespace at

namespace imitate::engine {

// Writes RGB frames to a video file. The format follows the extension of `path`:
//   .mp4  H.264 (libx264; MPEG-4 part 2 where no H.264 encoder is built in), yuv420p
//   .gif  GIF (a fixed 256-colour palette, dithered), looping
// Frames go to `path + ".tmp"`, renamed to `path` by Close(), so a file under its final name
// is always complete. Missing parent folders are created. Every error is a one-line
// imitate::DataError naming the file.
//
//   VideoWriter video(EpisodeVideoPath(dir, episode), 256, 256, 30);
//   for (...) video.AddFrame(pixels, fmt::format("step {}", t));
//   video.Close();
class VideoWriter {
 public:
  // Opens the file for `width` x `height` frames (rounded up to even sizes for .mp4) played at
  // `fps` frames per second.
  VideoWriter(const std::string& path, int width, int height, int fps = 30);
  // Closes the video if Close() was not called; errors then are swallowed and leave no file.
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Appends a packed RGB24 frame (top row first) of any size; it is scaled to the video size.
  // A non-empty `caption` is drawn as one line of text in a band at the bottom (DrawCaption).
  void AddFrame(const uint8_t* rgb, int frame_width, int frame_height,
                const std::string& caption = "");

  // Appends a uint8 [H, W, 3] tensor (e.g. an observation's `pixels`), on any device.
  void AddFrame(const at::Tensor& frame, const std::string& caption = "");

  // Flushes the encoder, writes the trailer and renames the file to its final name. Idempotent.
  // A video without frames is an error and leaves no file.
  void Close();

  // The final path, the video size and the number of frames added so far.
  const std::string& path() const { return path_; }
  int width() const { return width_; }
  int height() const { return height_; }
  int64_t frames() const { return frames_; }

 private:
  struct Impl;

  std::string path_;
  int width_;
  int height_;
  int64_t frames_ = 0;
  std::unique_ptr<Impl> impl_;
};

// Decodes a video file and returns how many frames it holds. Throws DataError when the file
// cannot be opened or holds no video stream.
int CountVideoFrames(const std::string& path);

// Writes a packed RGB24 image (top row first) as a PNG file, through `path + ".tmp"` and a
// rename; missing parent folders are created. Errors are a one-line DataError naming the file.
void WritePng(const std::string& path, const uint8_t* rgb, int width, int height);

// "<dir>/episode_0007.mp4" for index 7: the file of one episode in a video folder.
std::string EpisodeVideoPath(const std::string& dir, int64_t index, const std::string& ext = "mp4");

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_REPORT_VIDEO_H_
