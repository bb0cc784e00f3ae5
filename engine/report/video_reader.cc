// Reading videos back: CountVideoFrames (declared in video.h).
#include <algorithm>
#include <string>

#include "engine/report/video.h"
#include "engine/report/video_internal.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace imitate::engine {
namespace {

using video_internal::Fail;

// owners of the ffmpeg objects of a decoder, freed in reverse order of creation
struct Decoder {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  ~Decoder() {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }
};

// receives every frame the decoder has ready; returns how many
int DrainDecoder(const std::string& path, Decoder& d) {
  int count = 0;
  while (true) {
    int err = avcodec_receive_frame(d.codec, d.frame);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return count;
    if (err < 0) Fail(path, "cannot decode video", err);
    ++count;
    av_frame_unref(d.frame);
  }
}

}  // namespace

int CountVideoFrames(const std::string& path) {
  video_internal::QuietFfmpegLogs();
  Decoder d;
  if (d.packet == nullptr || d.frame == nullptr) Fail(path, "out of memory");
  int err = avformat_open_input(&d.format, path.c_str(), nullptr, nullptr);
  if (err < 0) Fail(path, "cannot open video", err);
  err = avformat_find_stream_info(d.format, nullptr);
  if (err < 0) Fail(path, "cannot read video stream info", err);
  const AVCodec* decoder = nullptr;
  int index = av_find_best_stream(d.format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (index < 0 || decoder == nullptr) Fail(path, "no decodable video stream", std::min(index, 0));
  d.codec = avcodec_alloc_context3(decoder);
  err = avcodec_parameters_to_context(d.codec, d.format->streams[index]->codecpar);
  if (err >= 0) err = avcodec_open2(d.codec, decoder, nullptr);
  if (err < 0) Fail(path, "cannot open video decoder", err);

  // decode every packet of the stream, then flush the decoder
  int count = 0;
  while ((err = av_read_frame(d.format, d.packet)) >= 0) {
    if (d.packet->stream_index == index) {
      int sent = avcodec_send_packet(d.codec, d.packet);
      if (sent < 0) {
        av_packet_unref(d.packet);
        Fail(path, "cannot decode video", sent);
      }
      count += DrainDecoder(path, d);
    }
    av_packet_unref(d.packet);
  }
  if (err != AVERROR_EOF) Fail(path, "cannot read video", err);
  avcodec_send_packet(d.codec, nullptr);
  count += DrainDecoder(path, d);
  return count;
}

}  // namespace imitate::engine
