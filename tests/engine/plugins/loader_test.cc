// Loads real test plugins (built by this folder's CMakeLists into build/test_plugins/<case>/)
// through the real loader: the good one, ABI and fingerprint mismatches, duplicates, files
// that are not plugins, and the search path.
#include "engine/plugins/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <torch/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/version.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// test_plugins/<case>/imitate_loader_test_<case>.so and its folder
std::string PluginDir(const std::string& name) { return std::string(TEST_PLUGIN_DIR) + "/" + name; }
std::string PluginPath(const std::string& name) {
  return PluginDir(name) + "/imitate_loader_test_" + name + ".so";
}

// runs `load` and returns the message of the T it must throw
template <typename T, typename F>
std::string ErrorOf(F load) {
  try {
    load();
  } catch (const T& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "nothing was thrown";
  return "";
}

// a fresh folder per test under the build tree
class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::path(TEST_TMP_DIR) / info->name();
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }

  // writes `bytes` to tmp_/name and returns its path
  std::string WriteFile(const std::string& name, const std::string& bytes) {
    fs::path p = tmp_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  fs::path tmp_;
  Registry registry_;
};

// ----- a good plugin ----- //

TEST_F(LoaderTest, GoodPluginRegistersItsEnvironment) {
  LoadPluginLibrary(PluginPath("good"), registry_);

  // registered with its library, doc and params
  const RegistryEntry* entry = registry_.Find(PluginKind::kEnvironment, "loader_test_env");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->library, PluginPath("good"));
  EXPECT_FALSE(entry->info.doc.empty());
  ASSERT_EQ(entry->info.params.size(), 2u);
  EXPECT_EQ(entry->info.params[0].name, "size");
  EXPECT_EQ(entry->info.params[1].name, "episode_length");
  EXPECT_EQ(registry_.Names(PluginKind::kEnvironment), std::vector<std::string>{"loader_test_env"});
  EXPECT_TRUE(registry_.Names(PluginKind::kExpert).empty());

  // created from defaults and from given values, then reset and stepped across the boundary
  auto env = registry_.Create<Environment>(
      "loader_test_env", Params::Make("environment", entry->info.params, {{"size", int64_t{7}}}));
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->ObservationSpec().at("state").shape, std::vector<int64_t>{7});
  const TimeStep& first = env->Reset(0);
  EXPECT_TRUE(first.is_first);
  EXPECT_EQ(first.observation.at("state").sizes(), (std::vector<int64_t>{7}));
  const TimeStep& next = env->Step(torch::zeros({1}));
  EXPECT_FALSE(next.is_first);
  EXPECT_EQ(next.observation.at("state")[0].item<float>(), 1.0f);
  EXPECT_THROW(env->Render("no_such_camera", 4, 4), UsageError);
  auto defaulted = registry_.Create<Environment>("loader_test_env",
                                                 Params::Make("environment", entry->info.params));
  EXPECT_EQ(defaulted->EpisodeLength(), 5);

  // an environment is not an expert
  EXPECT_THROW(registry_.Create<Expert>("loader_test_env", Params::Make("expert", {})),
               ConfigError);
}

TEST_F(LoaderTest, LoadsAFolderAndTheSameLibraryIntoAnotherRegistry) {
  EXPECT_EQ(LoadPluginDirectories({PluginDir("good")}, registry_),
            std::vector<std::string>{PluginPath("good")});
  // libraries stay loaded; a second registry gets its own registrations
  Registry other;
  LoadPluginLibrary(PluginPath("good"), other);
  EXPECT_NE(other.Find(PluginKind::kEnvironment, "loader_test_env"), nullptr);
  // the same library twice into one registry is a conflict
  std::string message =
      ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(PluginPath("good"), registry_); });
  EXPECT_THAT(message, HasSubstr("loader_test_env"));
}

// ----- refused plugins ----- //

TEST_F(LoaderTest, AbiMismatchIsRefusedNamingFieldAndValues) {
  std::string message =
      ErrorOf<AbiMismatchError>([&] { LoadPluginLibrary(PluginPath("abi_mismatch"), registry_); });
  EXPECT_THAT(message, HasSubstr(PluginPath("abi_mismatch")));
  EXPECT_THAT(message, HasSubstr("abi_version"));
  const std::string engine_abi = std::to_string(IMITATE_ABI_VERSION);
  EXPECT_TRUE(std::regex_search(message, std::regex("\\b999\\b.*\\b" + engine_abi + "\\b")))
      << message;
  EXPECT_TRUE(registry_.All().empty());
}

TEST_F(LoaderTest, FingerprintMismatchIsRefusedNamingFieldAndValues) {
  std::string message = ErrorOf<AbiMismatchError>(
      [&] { LoadPluginLibrary(PluginPath("fingerprint_mismatch"), registry_); });
  EXPECT_THAT(message, HasSubstr(PluginPath("fingerprint_mismatch")));
  EXPECT_THAT(message, HasSubstr("compiler"));
  EXPECT_THAT(message, HasSubstr("clang-99"));
#if defined(__GNUC__) && !defined(__clang__)
  EXPECT_THAT(message, HasSubstr("gcc-" IMITATE_STR(__GNUC__)));
#endif
  EXPECT_TRUE(registry_.All().empty());
}

TEST_F(LoaderTest, MismatchedPluginInAFolderStopsTheScan) {
  EXPECT_THROW(LoadPluginDirectories({PluginDir("abi_mismatch"), PluginDir("good")}, registry_),
               AbiMismatchError);
  EXPECT_EQ(registry_.Find(PluginKind::kEnvironment, "loader_test_env"), nullptr);
}

TEST_F(LoaderTest, DuplicateNamesNameBothLibraries) {
  std::string message = ErrorOf<PluginLoadError>([&] {
    LoadPluginDirectories({PluginDir("duplicate_a"), PluginDir("duplicate_b")}, registry_);
  });
  EXPECT_THAT(message, HasSubstr("dup_env"));
  EXPECT_THAT(message, HasSubstr(PluginPath("duplicate_a")));
  EXPECT_THAT(message, HasSubstr(PluginPath("duplicate_b")));
  // the first one stays registered
  const RegistryEntry* entry = registry_.Find(PluginKind::kEnvironment, "dup_env");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->library, PluginPath("duplicate_a"));
}

TEST_F(LoaderTest, LibraryWithoutManifestIsRefused) {
  std::string message =
      ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(PluginPath("not_a_plugin"), registry_); });
  EXPECT_THAT(message, HasSubstr(PluginPath("not_a_plugin")));
  EXPECT_THAT(message, HasSubstr(IMITATE_MANIFEST_SYMBOL));
}

TEST_F(LoaderTest, MissingDependencyIsNamed) {
  // the dynamic linker's reason, not just "cannot load"
  std::string message =
      ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(PluginPath("missing_dep"), registry_); });
  EXPECT_THAT(message, HasSubstr(PluginPath("missing_dep")));
  EXPECT_THAT(message, HasSubstr("libimitate_loader_test_dep.so"));
}

TEST_F(LoaderTest, GarbageAndNonLibraryFilesAreRefused) {
  // random bytes named like a library
  std::mt19937 rng(7);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  std::string garbage = WriteFile("garbage.so", bytes);
  std::string message = ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(garbage, registry_); });
  EXPECT_THAT(message, HasSubstr(garbage));
  EXPECT_THAT(message, HasSubstr("ELF"));

  // a text file, an empty file and a missing file
  std::string text = WriteFile("notes.txt", "not a library\n");
  EXPECT_THAT(ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(text, registry_); }),
              HasSubstr(text));
  std::string empty = WriteFile("empty.so", "");
  EXPECT_THAT(ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(empty, registry_); }),
              HasSubstr(empty));
  std::string missing = (tmp_ / "missing.so").string();
  EXPECT_THAT(ErrorOf<PluginLoadError>([&] { LoadPluginLibrary(missing, registry_); }),
              HasSubstr(missing));
  EXPECT_TRUE(registry_.All().empty());
}

TEST_F(LoaderTest, FolderScanTakesOnlySharedLibraries) {
  // non-.so files are ignored
  fs::create_directories(tmp_ / "docs");
  WriteFile("docs/README.md", "# plugins\n");
  WriteFile("docs/notes.txt", "garbage");
  fs::create_directories(tmp_ / "docs" / "sub.so");  // a folder named like a library
  EXPECT_TRUE(LoadPluginDirectories({(tmp_ / "docs").string()}, registry_).empty());

  // a garbage .so in a scanned folder is an error naming it
  fs::create_directories(tmp_ / "bad");
  std::string garbage = WriteFile("bad/garbage.so", std::string(512, '\x7f'));
  EXPECT_THAT(ErrorOf<PluginLoadError>(
                  [&] { LoadPluginDirectories({(tmp_ / "bad").string()}, registry_); }),
              HasSubstr(garbage));
}

TEST_F(LoaderTest, BrokenLinkDoesNotHideTheRestOfAFolder) {
  // dangling links around a good plugin (copied in) must not end the scan early, whatever
  // order the folder lists them in
  fs::create_directories(tmp_ / "dir");
  for (const char* name : {"a", "c", "d", "e", "f", "g", "h", "i"}) {
    fs::create_symlink(tmp_ / "nowhere.so", tmp_ / "dir" / (std::string(name) + "_dangling.so"));
  }
  fs::copy_file(PluginPath("good"), tmp_ / "dir" / "b_good.so");
  std::vector<std::string> loaded = LoadPluginDirectories({(tmp_ / "dir").string()}, registry_);
  EXPECT_EQ(loaded, std::vector<std::string>{(tmp_ / "dir" / "b_good.so").string()});
  EXPECT_NE(registry_.Find(PluginKind::kEnvironment, "loader_test_env"), nullptr);
}

TEST_F(LoaderTest, MissingFolderIsNotAnError) {
  std::vector<std::string> loaded;
  EXPECT_NO_THROW(loaded = LoadPluginDirectories(
                      {(tmp_ / "does_not_exist").string(), PluginDir("good")}, registry_));
  EXPECT_EQ(loaded, std::vector<std::string>{PluginPath("good")});
  EXPECT_NO_THROW(LoadPluginDirectories({}, registry_));
}

// ----- the search path ----- //

// sets IMITATE_PLUGIN_PATH for one test and restores it afterwards
class SearchPathTest : public LoaderTest {
 protected:
  void SetUp() override {
    LoaderTest::SetUp();
    if (const char* old = getenv("IMITATE_PLUGIN_PATH")) old_ = old;
  }
  void TearDown() override {
    if (old_) {
      setenv("IMITATE_PLUGIN_PATH", old_->c_str(), 1);
    } else {
      unsetenv("IMITATE_PLUGIN_PATH");
    }
  }
  std::optional<std::string> old_;
};

TEST_F(SearchPathTest, EnvironmentFoldersAreAddedOnceInOrder) {
  fs::path a = tmp_ / "a", b = tmp_ / "b";
  fs::create_directories(a);
  fs::create_directories(b);
  // repeats, a trailing slash, a `..` spelling, a missing folder and empty entries
  std::string value = b.string() + ":" + a.string() + "::" + b.string() +
                      "/:" + (a / ".." / "a").string() + ":" + (tmp_ / "missing").string() + ":";
  setenv("IMITATE_PLUGIN_PATH", value.c_str(), 1);
  std::vector<std::string> dirs = PluginSearchPath();

  auto pos = [&dirs](const fs::path& p) -> size_t {
    return std::find(dirs.begin(), dirs.end(), fs::canonical(p).string()) - dirs.begin();
  };
  ASSERT_LT(pos(a), dirs.size()) << value;
  ASSERT_LT(pos(b), dirs.size()) << value;
  EXPECT_LT(pos(b), pos(a));
  std::vector<std::string> sorted = dirs;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "duplicates";
  for (const std::string& d : dirs) EXPECT_THAT(d, Not(HasSubstr("missing")));
}

TEST_F(SearchPathTest, BuildPluginFolderComesFirst) {
  unsetenv("IMITATE_PLUGIN_PATH");
  std::vector<std::string> dirs = PluginSearchPath();
  // this test runs from build/bin: build/plugins is searched when it exists
  fs::path build_plugins = fs::canonical("/proc/self/exe").parent_path().parent_path() / "plugins";
  if (fs::is_directory(build_plugins)) {
    ASSERT_FALSE(dirs.empty());
    EXPECT_EQ(dirs.front(), fs::canonical(build_plugins).string());
  }
  for (const std::string& d : dirs) EXPECT_TRUE(fs::is_directory(d)) << d;

  // the test plugins are never on the default path
  for (const std::string& d : dirs) EXPECT_THAT(d, Not(HasSubstr("test_plugins")));
}

TEST_F(SearchPathTest, FoldersFromTheEnvironmentAreLoaded) {
  setenv("IMITATE_PLUGIN_PATH", (PluginDir("good") + ":" + PluginDir("good")).c_str(), 1);
  std::vector<std::string> dirs = PluginSearchPath();
  std::string good = fs::canonical(PluginDir("good")).string();
  ASSERT_EQ(std::count(dirs.begin(), dirs.end(), good), 1);
  // load only that folder: build/plugins holds whatever first-party plugins exist
  EXPECT_EQ(LoadPluginDirectories({good}, registry_),
            std::vector<std::string>{fs::canonical(PluginPath("good")).string()});
  EXPECT_NE(registry_.Find(PluginKind::kEnvironment, "loader_test_env"), nullptr);
}

}  // namespace
}  // namespace imitate::engine
