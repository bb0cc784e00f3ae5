#include "imitate/sdk/registrar.h"

#include <utility>

namespace imitate {

PluginInfo& Registrar::AddInfo(PluginInfo info) {
  entries_.push_back(std::move(info));
  return entries_.back();
}

}  // namespace imitate
