#include "engine/report/video.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "engine/report/caption.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

// an RGB gradient that slides to the right by 3 pixels a frame
std::vector<uint8_t> MovingGradient(int t, int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>((x + 3 * t) * 4);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = static_cast<uint8_t>(255 - t * 6);
    }
  }
  return rgb;
}

class VideoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("imitate_video_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // writes 37 captioned 64x64 frames into a 256x256 video; checks the temporary name on the way
  void WriteEpisode(const std::string& path) {
    VideoWriter video(path, 256, 256, 30);
    for (int t = 0; t < 37; ++t) {
      std::vector<uint8_t> frame = MovingGradient(t, 64, 64);
      video.AddFrame(frame.data(), 64, 64, "step " + std::to_string(t) + "  tasks 2/4: kettle");
    }
    EXPECT_EQ(video.frames(), 37);
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::exists(path + ".tmp"));
    video.Close();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    EXPECT_GT(fs::file_size(path), 1000u);
  }

  fs::path dir_;
};

TEST_F(VideoTest, Mp4HoldsEveryFrame) {
  std::string path = (dir_ / "episode.mp4").string();
  WriteEpisode(path);
  EXPECT_EQ(CountVideoFrames(path), 37);
}

TEST_F(VideoTest, GifHoldsEveryFrame) {
  std::string path = (dir_ / "episode.gif").string();
  WriteEpisode(path);
  EXPECT_EQ(CountVideoFrames(path), 37);
}

TEST_F(VideoTest, TensorFramesAndDestructorClose) {
  std::string path = EpisodeVideoPath((dir_ / "videos").string(), 3);
  EXPECT_EQ(path, (dir_ / "videos" / "episode_0003.mp4").string());
  {
    VideoWriter video(path, 128, 96, 15);
    for (int t = 0; t < 10; ++t) {
      torch::Tensor frame = torch::full({48, 64, 3}, t * 20, torch::kUInt8);
      video.AddFrame(frame, "t=" + std::to_string(t));
    }
    EXPECT_THROW(video.AddFrame(torch::zeros({48, 64}, torch::kUInt8)), DataError);
    EXPECT_THROW(video.AddFrame(torch::zeros({48, 64, 3}, torch::kFloat)), DataError);
  }  // the destructor closes the file
  EXPECT_EQ(CountVideoFrames(path), 10);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(VideoTest, OddSizesRoundUpForMp4) {
  std::string path = (dir_ / "odd.mp4").string();
  VideoWriter video(path, 65, 33, 30);
  EXPECT_EQ(video.width(), 66);
  EXPECT_EQ(video.height(), 34);
  std::vector<uint8_t> frame = MovingGradient(0, 65, 33);
  video.AddFrame(frame.data(), 65, 33);
  video.Close();
  EXPECT_EQ(CountVideoFrames(path), 1);
}

TEST_F(VideoTest, ErrorsNameTheFile) {
  // a folder that cannot be created: its parent is a regular file
  std::ofstream(dir_ / "file") << "x";
  std::string unwritable = (dir_ / "file" / "episode.mp4").string();
  try {
    VideoWriter video(unwritable, 64, 64, 30);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(unwritable), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_THROW(VideoWriter((dir_ / "episode.avi").string(), 64, 64, 30), DataError);
  EXPECT_THROW(VideoWriter((dir_ / "episode.mp4").string(), 0, 64, 30), DataError);

  // nothing to decode
  EXPECT_THROW(CountVideoFrames((dir_ / "missing.mp4").string()), DataError);
  std::ofstream(dir_ / "garbage.mp4") << "not a video";
  EXPECT_THROW(CountVideoFrames((dir_ / "garbage.mp4").string()), DataError);

  // no frames: no file
  std::string empty = (dir_ / "empty.mp4").string();
  EXPECT_THROW(VideoWriter(empty, 32, 32, 10).Close(), DataError);
  { VideoWriter abandoned(empty, 32, 32, 10); }
  EXPECT_FALSE(fs::exists(empty));
  EXPECT_FALSE(fs::exists(empty + ".tmp"));

  // use after Close
  VideoWriter video((dir_ / "closed.gif").string(), 32, 32, 10);
  std::vector<uint8_t> frame = MovingGradient(0, 32, 32);
  video.AddFrame(frame.data(), 32, 32);
  video.Close();
  video.Close();
  EXPECT_THROW(video.AddFrame(frame.data(), 32, 32), UsageError);
}

TEST(CaptionTest, DrawsTextInTheBottomBand) {
  constexpr int kSize = 256;
  std::vector<uint8_t> rgb(kSize * kSize * 3, 128);
  std::string caption = "step 120  tasks 2/4: microwave kettle";
  int band = CaptionBandHeight(kSize, kSize, caption);
  ASSERT_GT(band, 0);
  ASSERT_LT(band, kSize / 4);
  DrawCaption(rgb.data(), kSize, kSize, caption);

  // above the band nothing changes; in it the background darkens and the glyphs are white
  int changed_above = 0, dark = 0, white = 0;
  for (int y = 0; y < kSize; ++y) {
    for (int x = 0; x < kSize; ++x) {
      uint8_t v = rgb[(y * kSize + x) * 3];
      if (y < kSize - band) {
        changed_above += v != 128;
      } else {
        dark += v < 128;
        white += v == 255;
      }
    }
  }
  EXPECT_EQ(changed_above, 0);
  EXPECT_GT(dark, kSize * band / 2);
  EXPECT_GT(white, 100);

  // empty captions draw nothing
  std::vector<uint8_t> blank(kSize * kSize * 3, 128);
  DrawCaption(blank.data(), kSize, kSize, "");
  EXPECT_EQ(blank, std::vector<uint8_t>(kSize * kSize * 3, 128));
}

TEST_F(VideoTest, EncodesAnEpisodeQuickly) {
  for (std::string ext : {"mp4", "gif"}) {
    std::string path = (dir_ / ("long." + ext)).string();
    auto start = std::chrono::steady_clock::now();
    VideoWriter video(path, 256, 256, 30);
    for (int t = 0; t < 280; ++t) {
      std::vector<uint8_t> frame = MovingGradient(t, 64, 64);
      video.AddFrame(frame.data(), 64, 64, "step " + std::to_string(t));
    }
    video.Close();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "280 frames 256x256 " << ext << ": " << seconds << " s, " << fs::file_size(path)
              << " bytes\n";
    EXPECT_LT(seconds, 30.0);
    EXPECT_EQ(CountVideoFrames(path), 280);
  }
}

}  // namespace
}  // namespace imitate::engine
