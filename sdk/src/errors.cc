#include "imitate/sdk/errors.h"

#include <string>

namespace imitate {

// key functions: defined here so that typeinfo lives in libimitate_sdk and `catch` works across
// plugin libraries
Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
ConfigError::~ConfigError() = default;
PluginLoadError::~PluginLoadError() = default;
AbiMismatchError::~AbiMismatchError() = default;
DataError::~DataError() = default;
UsageError::~UsageError() = default;
InternalError::~InternalError() = default;

namespace detail {

void ThrowCheckFailure(const char* file, int line, const char* cond, const std::string& message) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": check failed: " + cond +
                      (message.empty() ? "" : ": " + message));
}

}  // namespace detail
}  // namespace imitate
