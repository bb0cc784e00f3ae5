// The error types of imitate. Load- and config-time failures throw a subclass of
// imitate::Error whose message names the file, key or plugin; hot loops use IMITATE_CHECK.
#ifndef IMITATE_SDK_ERRORS_H_
#define IMITATE_SDK_ERRORS_H_

#include <stdexcept>
#include <string>

#include "imitate/sdk/abi.h"

namespace imitate {

// Base of every error imitate throws on purpose. Its message is one line meant for users.
class IMITATE_EXPORT Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  ~Error() override;
};

// A bad experiment file, `--set` override or plugin parameter (a user error).
class IMITATE_EXPORT ConfigError : public Error {
 public:
  using Error::Error;
  ~ConfigError() override;
};

// A plugin library that cannot be loaded, or a registration conflict.
class IMITATE_EXPORT PluginLoadError : public Error {
 public:
  using Error::Error;
  ~PluginLoadError() override;
};

// A plugin built against a different ABI version or build fingerprint.
class IMITATE_EXPORT AbiMismatchError : public PluginLoadError {
 public:
  using PluginLoadError::PluginLoadError;
  ~AbiMismatchError() override;
};

// Unreadable, corrupt or mismatched data: demo files, checkpoints, episodes.
class IMITATE_EXPORT DataError : public Error {
 public:
  using Error::Error;
  ~DataError() override;
};

// Misuse of an object at run time (e.g. stepping an environment after its episode ended).
class IMITATE_EXPORT UsageError : public Error {
 public:
  using Error::Error;
  ~UsageError() override;
};

// A violated internal invariant: a bug in imitate or in a plugin (exit code 2).
class IMITATE_EXPORT InternalError : public Error {
 public:
  using Error::Error;
  ~InternalError() override;
};

namespace detail {
[[noreturn]] IMITATE_EXPORT void ThrowCheckFailure(const char* file, int line, const char* cond,
                                                   const std::string& message);
}  // namespace detail

}  // namespace imitate

// Throws imitate::InternalError naming the file, line and condition when `cond` is false.
#define IMITATE_CHECK(cond, message)                                                         \
  do {                                                                                       \
    if (!(cond)) ::imitate::detail::ThrowCheckFailure(__FILE__, __LINE__, #cond, (message)); \
  } while (0)

#endif  // IMITATE_SDK_ERRORS_H_
