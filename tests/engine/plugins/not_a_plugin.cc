// A shared library without the manifest symbol: the loader must refuse it.
extern "C" __attribute__((visibility("default"))) int imitate_not_a_plugin(void) { return 42; }
