#include "engine/report/video.h"

#include <fmt/format.h>
#include <torch/types.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/report/caption.h"
#include "engine/report/sinks.h"
#include "engine/report/video_internal.h"
#include "imitate/sdk/errors.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;
using video_internal::Fail;

std::string Extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// RGB24 -> `format` at one size; gif gets ordered (bayer) dithering, stable from frame to
// frame, which keeps files ~20x smaller than the default error diffusion
SwsContext* MakeConverter(int width, int height, AVPixelFormat format) {
  SwsContext* sws = sws_alloc_context();
  if (sws == nullptr) return nullptr;
  av_opt_set_int(sws, "srcw", width, 0);
  av_opt_set_int(sws, "srch", height, 0);
  av_opt_set_int(sws, "src_format", AV_PIX_FMT_RGB24, 0);
  av_opt_set_int(sws, "dstw", width, 0);
  av_opt_set_int(sws, "dsth", height, 0);
  av_opt_set_int(sws, "dst_format", format, 0);
  av_opt_set_int(sws, "sws_flags", SWS_BILINEAR, 0);
  av_opt_set(sws, "sws_dither", "bayer", 0);
  if (sws_init_context(sws, nullptr, nullptr) < 0) {
    sws_freeContext(sws);
    return nullptr;
  }
  return sws;
}

}  // namespace

// the ffmpeg state of an open writer
struct VideoWriter::Impl {
  std::string tmp_path;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;  // in the encoder's pixel format
  AVPacket* packet = nullptr;
  SwsContext* to_canvas = nullptr;  // input frame -> RGB24 at the video size
  SwsContext* to_codec = nullptr;   // RGB24 canvas -> the encoder's pixel format
  std::vector<uint8_t> canvas;

  ~Impl() {
    sws_freeContext(to_codec);
    sws_freeContext(to_canvas);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&codec);
    if (format != nullptr) {
      if (format->pb != nullptr) avio_closep(&format->pb);
      avformat_free_context(format);
    }
  }

  // sends one frame (nullptr: flush) and writes every packet the encoder returns
  void Encode(const std::string& path, const AVFrame* input) {
    int err = avcodec_send_frame(codec, input);
    if (err < 0) Fail(path, "cannot encode video frame", err);
    while (true) {
      err = avcodec_receive_packet(codec, packet);
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
      if (err < 0) Fail(path, "cannot encode video frame", err);
      // every frame lasts one tick: without it mp4's edit list would cut the last frame off
      if (packet->duration <= 0) packet->duration = 1;
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      err = av_interleaved_write_frame(format, packet);
      if (err < 0) Fail(path, "cannot write video", err);
    }
  }

  // opens the container, the encoder and the temporary file, and writes the header
  void Open(const std::string& path, int width, int height, int fps, bool mp4) {
    // container and encoder
    int err =
        avformat_alloc_output_context2(&format, nullptr, mp4 ? "mp4" : "gif", tmp_path.c_str());
    if (err < 0) Fail(path, "cannot create video container", err);
    if (mp4) {
      OpenEncoder(path, {"libx264", "mpeg4"}, width, height, fps);
    } else {
      OpenEncoder(path, {"gif"}, width, height, fps);
    }
    stream = avformat_new_stream(format, nullptr);
    if (stream == nullptr) Fail(path, "cannot create video stream");
    stream->time_base = codec->time_base;
    err = avcodec_parameters_from_context(stream->codecpar, codec);
    if (err < 0) Fail(path, "cannot configure video stream", err);

    // the file, under its temporary name until Close
    err = avio_open(&format->pb, tmp_path.c_str(), AVIO_FLAG_WRITE);
    if (err < 0) Fail(path, "cannot open video for writing", err);
    AVDictionary* options = nullptr;
    if (mp4) av_dict_set(&options, "movflags", "+faststart", 0);
    err = avformat_write_header(format, &options);
    av_dict_free(&options);
    if (err < 0) Fail(path, "cannot write video header", err);

    // frame buffers and the colour conversion of the canvas
    frame = av_frame_alloc();
    packet = av_packet_alloc();
    frame->format = codec->pix_fmt;
    frame->width = width;
    frame->height = height;
    err = av_frame_get_buffer(frame, 0);
    if (err < 0) Fail(path, "cannot allocate video frame", err);
    canvas.resize(static_cast<size_t>(width) * height * 3);
    to_codec = MakeConverter(width, height, codec->pix_fmt);
    if (to_codec == nullptr) Fail(path, "cannot convert frames to the video's pixel format");
  }

  // tries the encoders in order and keeps the first that opens with these settings
  void OpenEncoder(const std::string& path, const std::vector<const char*>& names, int width,
                   int height, int fps) {
    for (const char* name : names) {
      const AVCodec* encoder = avcodec_find_encoder_by_name(name);
      if (encoder == nullptr) continue;
      codec = avcodec_alloc_context3(encoder);
      codec->width = width;
      codec->height = height;
      codec->time_base = AVRational{1, fps};
      codec->framerate = AVRational{fps, 1};
      codec->pix_fmt = encoder->id == AV_CODEC_ID_GIF ? AV_PIX_FMT_RGB8 : AV_PIX_FMT_YUV420P;
      if (format->oformat->flags & AVFMT_GLOBALHEADER) {
        codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
      }
      AVDictionary* options = nullptr;
      if (std::strcmp(name, "libx264") == 0) {
        av_dict_set(&options, "preset", "veryfast", 0);
        av_dict_set(&options, "crf", "23", 0);
      } else if (encoder->id == AV_CODEC_ID_MPEG4) {
        codec->flags |= AV_CODEC_FLAG_QSCALE;
        codec->global_quality = FF_QP2LAMBDA * 3;
        codec->gop_size = fps;
      }
      int err = avcodec_open2(codec, encoder, &options);
      av_dict_free(&options);
      if (err >= 0) return;
      avcodec_free_context(&codec);
    }
    Fail(path, "no video encoder available in this FFmpeg build");
  }
};

VideoWriter::VideoWriter(const std::string& path, int width, int height, int fps)
    : path_(path), width_(width), height_(height), impl_(std::make_unique<Impl>()) {
  video_internal::QuietFfmpegLogs();
  std::string ext = Extension(path);
  if (ext != ".mp4" && ext != ".gif") {
    Fail(path, fmt::format("unsupported video format '{}' (use .mp4 or .gif)", ext));
  }
  if (width <= 0 || height <= 0 || fps <= 0) {
    Fail(path, fmt::format("bad video size {}x{} at {} fps", width, height, fps));
  }
  bool mp4 = ext == ".mp4";
  if (mp4) {  // yuv420p halves the chroma planes: even sizes only
    width_ += width_ % 2;
    height_ += height_ % 2;
  }
  impl_->tmp_path = path + ".tmp";
  std::error_code ignored;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ignored);
  try {
    impl_->Open(path, width_, height_, fps, mp4);
  } catch (...) {
    impl_.reset();
    fs::remove(path + ".tmp", ignored);
    throw;
  }
}

VideoWriter::~VideoWriter() {
  try {
    Close();
  } catch (const std::exception&) {  // Close removed the partial file
  }
}

void VideoWriter::AddFrame(const uint8_t* rgb, int frame_width, int frame_height,
                           const std::string& caption) {
  if (impl_ == nullptr) throw UsageError(fmt::format("{}: frame added after Close", path_));
  if (rgb == nullptr || frame_width <= 0 || frame_height <= 0) {
    Fail(path_, fmt::format("bad video frame of size {}x{}", frame_width, frame_height));
  }
  Impl& v = *impl_;

  // scale to the video size on an RGB canvas, then draw the caption at full resolution
  if (frame_width == width_ && frame_height == height_) {
    std::memcpy(v.canvas.data(), rgb, v.canvas.size());
  } else {
    v.to_canvas =
        sws_getCachedContext(v.to_canvas, frame_width, frame_height, AV_PIX_FMT_RGB24, width_,
                             height_, AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (v.to_canvas == nullptr) Fail(path_, "cannot scale video frame");
    const uint8_t* src[1] = {rgb};
    int src_stride[1] = {frame_width * 3};
    uint8_t* dst[1] = {v.canvas.data()};
    int dst_stride[1] = {width_ * 3};
    sws_scale(v.to_canvas, src, src_stride, 0, frame_height, dst, dst_stride);
  }
  DrawCaption(v.canvas.data(), width_, height_, caption);

  // convert to the encoder's pixel format and encode
  int err = av_frame_make_writable(v.frame);
  if (err < 0) Fail(path_, "cannot allocate video frame", err);
  const uint8_t* src[1] = {v.canvas.data()};
  int src_stride[1] = {width_ * 3};
  sws_scale(v.to_codec, src, src_stride, 0, height_, v.frame->data, v.frame->linesize);
  v.frame->pts = frames_;
  v.Encode(path_, v.frame);
  ++frames_;
}

void VideoWriter::AddFrame(const at::Tensor& frame, const std::string& caption) {
  if (frame.dim() != 3 || frame.size(2) != 3 || frame.scalar_type() != torch::kUInt8) {
    Fail(path_, "a video frame must be a uint8 [H, W, 3] tensor, got " +
                    c10::str(frame.scalar_type(), " ", frame.sizes()));
  }
  torch::Tensor pixels = frame.to(torch::kCPU).contiguous();
  AddFrame(pixels.data_ptr<uint8_t>(), static_cast<int>(pixels.size(1)),
           static_cast<int>(pixels.size(0)), caption);
}

void VideoWriter::Close() {
  if (impl_ == nullptr) return;
  std::string tmp_path = impl_->tmp_path;
  try {
    if (frames_ == 0) Fail(path_, "no frames to write");
    Impl& v = *impl_;
    v.Encode(path_, nullptr);
    int err = av_write_trailer(v.format);
    if (err < 0) Fail(path_, "cannot write video trailer", err);
    err = avio_closep(&v.format->pb);
    if (err < 0) Fail(path_, "cannot write video", err);
    impl_.reset();
    std::error_code error;
    fs::rename(tmp_path, path_, error);
    if (error) Fail(path_, "cannot rename " + tmp_path + ": " + error.message());
  } catch (...) {
    impl_.reset();
    std::error_code ignored;
    fs::remove(tmp_path, ignored);
    throw;
  }
}

void WritePng(const std::string& path, const uint8_t* rgb, int width, int height) {
  video_internal::QuietFfmpegLogs();
  if (rgb == nullptr || width <= 0 || height <= 0) {
    Fail(path, fmt::format("bad picture of size {}x{}", width, height));
  }
  // one RGB24 frame through libavcodec's PNG encoder; the packet is the whole file
  const AVCodec* encoder = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (encoder == nullptr) Fail(path, "no PNG encoder in this FFmpeg build");
  struct Resources {
    AVCodecContext* codec = nullptr;
    AVFrame* frame = nullptr;
    AVPacket* packet = nullptr;
    ~Resources() {
      av_packet_free(&packet);
      av_frame_free(&frame);
      avcodec_free_context(&codec);
    }
  } r;
  r.codec = avcodec_alloc_context3(encoder);
  r.frame = av_frame_alloc();
  r.packet = av_packet_alloc();
  if (r.codec == nullptr || r.frame == nullptr || r.packet == nullptr) {
    Fail(path, "cannot allocate the PNG encoder");
  }
  r.codec->width = width;
  r.codec->height = height;
  r.codec->pix_fmt = AV_PIX_FMT_RGB24;
  r.codec->time_base = AVRational{1, 1};
  int err = avcodec_open2(r.codec, encoder, nullptr);
  if (err < 0) Fail(path, "cannot open the PNG encoder", err);
  r.frame->format = AV_PIX_FMT_RGB24;
  r.frame->width = width;
  r.frame->height = height;
  err = av_frame_get_buffer(r.frame, 0);
  if (err < 0) Fail(path, "cannot allocate the picture", err);
  for (int y = 0; y < height; ++y) {
    std::memcpy(r.frame->data[0] + static_cast<size_t>(y) * r.frame->linesize[0],
                rgb + static_cast<size_t>(y) * width * 3, static_cast<size_t>(width) * 3);
  }
  err = avcodec_send_frame(r.codec, r.frame);
  if (err >= 0) err = avcodec_send_frame(r.codec, nullptr);
  if (err < 0) Fail(path, "cannot encode the picture", err);
  err = avcodec_receive_packet(r.codec, r.packet);
  if (err < 0) Fail(path, "cannot encode the picture", err);

  // the file, under a temporary name until it is complete
  std::error_code ignored;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ignored);
  WriteFileAtomic(path, std::string(reinterpret_cast<const char*>(r.packet->data),
                                    static_cast<size_t>(r.packet->size)));
}

}  // namespace imitate::engine
