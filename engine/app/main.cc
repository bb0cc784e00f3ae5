// The composition root: parses the command line and hands each command its wiring.
#include <iostream>

#include "engine/plugins/loader.h"

int main() {
  imitate::engine::Registry registry;
  auto loaded = imitate::engine::LoadPluginDirectories(imitate::engine::PluginSearchPath(), registry);
  for (const auto* e : registry.All()) std::cout << e->info.name << "\n";
  return 0;
}
