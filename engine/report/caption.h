// Caption overlay for episode videos: one line of text in a built-in 5x7 bitmap font.
#ifndef IMITATE_ENGINE_REPORT_CAPTION_H_
#define IMITATE_ENGINE_REPORT_CAPTION_H_

#include <cstdint>
#include <string>

namespace imitate::engine {

// Draws `text` as one line into a darkened band at the bottom of a packed RGB24 image
// (`width` x `height`, top row first), in white, scaled with the image (2x at 256 pixels
// tall, less when the line would not fit). Characters outside printable ASCII draw as '?';
// a line too long even at 1x is cut off. Empty text leaves the image untouched.
void DrawCaption(uint8_t* rgb, int width, int height, const std::string& text);

// Height in pixels of the band DrawCaption darkens for `text` (0 for empty text).
int CaptionBandHeight(int width, int height, const std::string& text);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_REPORT_CAPTION_H_
