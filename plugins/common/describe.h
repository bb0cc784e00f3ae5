// Observation keys and spaces as one-line error messages print them.
#ifndef IMITATE_PLUGINS_COMMON_DESCRIBE_H_
#define IMITATE_PLUGINS_COMMON_DESCRIBE_H_

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "imitate/sdk/spaces.h"

namespace imitate::plugins {

// The keys of a map (a TensorMap, an ObservationSpace), comma-separated: "pixels, state".
template <typename Map>
std::string KeyList(const Map& map) {
  std::vector<std::string> names;
  for (const auto& entry : map) names.push_back(entry.first);
  return fmt::format("{}", fmt::join(names, ", "));
}

// A space as users read it: "uint8 [64, 64, 3]".
inline std::string SpaceText(const Space& space) {
  return fmt::format("{} [{}]", DtypeName(space.dtype), fmt::join(space.shape, ", "));
}

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_DESCRIBE_H_
