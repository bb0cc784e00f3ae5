// A library the `missing_dep` test plugin needs but cannot find at run time (no rpath to it).
extern "C" __attribute__((visibility("default"))) int imitate_loader_test_dep_value(void) {
  return 1;
}
