// hand_mjcf: prints the MJCF of a hand task, to open in MuJoCo's viewer.
//
//   build/bin/hand_mjcf [baoding|relocate|door] > hand_baoding.xml && simulate hand_baoding.xml
#include <cstdio>
#include <exception>
#include <string>

#include "plugins/environments/hand/hand_model.h"

int main(int argc, char** argv) {
  using imitate::plugins::hand::HandMjcf;
  using imitate::plugins::hand::TaskFromName;
  const std::string name = argc > 1 ? argv[1] : "baoding";
  if (argc > 2 || name == "-h" || name == "--help") {
    std::fprintf(stderr, "usage: hand_mjcf [baoding|relocate|door]  (prints the task's MJCF)\n");
    return argc > 2 ? 1 : 0;
  }
  try {
    std::fputs(HandMjcf(TaskFromName(name, "hand_mjcf")).c_str(), stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hand_mjcf: %s\n", e.what());
    return 1;
  }
  return 0;
}
