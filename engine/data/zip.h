// Zip archives as NumPy writes them for .npz files: stored or deflated entries, zip64 sizes
// read but not written. Internal to engine/data: functions throw zip::Failure with a message
// that leaves out the file name.
#ifndef IMITATE_ENGINE_DATA_ZIP_H_
#define IMITATE_ENGINE_DATA_ZIP_H_

#include <stdexcept>
#include <string>
#include <vector>

namespace imitate::engine::zip {

// A corrupt, truncated or unsupported archive, described in a few words.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One file in an archive: its name and uncompressed bytes.
struct Entry {
  std::string name;
  std::string data;
};

// Reads every entry of the archive `bytes` (in central-directory order), inflating deflated
// entries and checking each CRC-32.
std::vector<Entry> Read(const std::string& bytes);

// The bytes of an archive holding `entries` in order, deflated when `deflate` is set (an entry
// that does not shrink is stored), with CRC-32s and the DOS date 1980-01-01 00:00.
std::string Write(const std::vector<Entry>& entries, bool deflate);

}  // namespace imitate::engine::zip

#endif  // IMITATE_ENGINE_DATA_ZIP_H_
