// CheckManifest on hand-made manifests: every field that can differ is refused by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/plugins/loader.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

using ::testing::HasSubstr;

constexpr char kLibrary[] = "/plugins/libfake.so";

// a manifest equal to the host's
ImitatePluginManifest HostManifest() {
  return ImitatePluginManifest{IMITATE_ABI_VERSION, sizeof(ImitatePluginManifest),
                               IMITATE_SDK_VERSION, HostFingerprint(), nullptr};
}

// "a=1;b=2" -> {{a, 1}, {b, 2}}
std::vector<std::pair<std::string, std::string>> Fields(const std::string& fingerprint) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t start = 0;
  while (start < fingerprint.size()) {
    size_t end = fingerprint.find(';', start);
    if (end == std::string::npos) end = fingerprint.size();
    std::string field = fingerprint.substr(start, end - start);
    size_t eq = field.find('=');
    fields.emplace_back(field.substr(0, eq), field.substr(eq + 1));
    start = end + 1;
  }
  return fields;
}

std::string Join(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) out += (out.empty() ? "" : ";") + name + "=" + value;
  return out;
}

std::string MismatchOf(const ImitatePluginManifest& manifest) {
  try {
    CheckManifest(manifest, kLibrary);
  } catch (const AbiMismatchError& e) {
    return e.what();
  }
  ADD_FAILURE() << "manifest accepted: " << (manifest.fingerprint ? manifest.fingerprint : "null");
  return "";
}

TEST(ManifestTest, HostFingerprintHasEveryField) {
  std::vector<std::string> names;
  for (const auto& [name, value] : Fields(HostFingerprint())) {
    names.push_back(name);
    EXPECT_FALSE(value.empty()) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"compiler", "cxx11_abi", "cplusplus", "torch",
                                             "mujoco", "cuda"}));
#if defined(__GNUC__) && !defined(__clang__)
  EXPECT_THAT(HostFingerprint(), HasSubstr("compiler=gcc-" IMITATE_STR(__GNUC__) ";"));
#endif
  EXPECT_THAT(HostFingerprint(), HasSubstr("cplusplus=201703L;"));
}

TEST(ManifestTest, HostManifestIsAccepted) {
  ImitatePluginManifest manifest = HostManifest();
  EXPECT_NO_THROW(CheckManifest(manifest, kLibrary));
  // an equal fingerprint in another buffer
  std::string copy = HostFingerprint();
  manifest.fingerprint = copy.c_str();
  EXPECT_NO_THROW(CheckManifest(manifest, kLibrary));
}

TEST(ManifestTest, AbiVersionIsCheckedFirst) {
  ImitatePluginManifest manifest = HostManifest();
  manifest.abi_version = 999;
  manifest.manifest_size = 3;
  manifest.fingerprint = "garbage";
  std::string message = MismatchOf(manifest);
  EXPECT_THAT(message, HasSubstr(kLibrary));
  EXPECT_THAT(message, HasSubstr("abi_version"));
  EXPECT_THAT(message, HasSubstr("999"));
  EXPECT_THAT(message, HasSubstr(std::to_string(IMITATE_ABI_VERSION)));
}

TEST(ManifestTest, ManifestSizeIsChecked) {
  ImitatePluginManifest manifest = HostManifest();
  manifest.manifest_size = sizeof(ImitatePluginManifest) + 8;
  std::string message = MismatchOf(manifest);
  EXPECT_THAT(message, HasSubstr("manifest_size"));
  EXPECT_THAT(message, HasSubstr(std::to_string(sizeof(ImitatePluginManifest) + 8)));
  EXPECT_THAT(message, HasSubstr(std::to_string(sizeof(ImitatePluginManifest))));
}

TEST(ManifestTest, EachFingerprintFieldIsNamedWithBothValues) {
  const auto host = Fields(HostFingerprint());
  for (size_t i = 0; i < host.size(); ++i) {
    SCOPED_TRACE(host[i].first);
    auto fields = host;
    fields[i].second = "other-42";
    std::string fingerprint = Join(fields);
    ImitatePluginManifest manifest = HostManifest();
    manifest.fingerprint = fingerprint.c_str();
    std::string message = MismatchOf(manifest);
    EXPECT_THAT(message, HasSubstr(kLibrary));
    EXPECT_THAT(message, HasSubstr("'" + host[i].first + "'"));
    EXPECT_THAT(message, HasSubstr("other-42"));
    EXPECT_THAT(message, HasSubstr(host[i].second));
  }
}

TEST(ManifestTest, MissingExtraAndNullFingerprintsAreRefused) {
  // a missing field
  auto fields = Fields(HostFingerprint());
  fields.pop_back();
  std::string missing = Join(fields);
  ImitatePluginManifest manifest = HostManifest();
  manifest.fingerprint = missing.c_str();
  std::string message = MismatchOf(manifest);
  EXPECT_THAT(message, HasSubstr("'cuda'"));
  EXPECT_THAT(message, HasSubstr("(missing)"));

  // an extra field the host does not know: both full fingerprints are shown
  std::string extra = std::string(HostFingerprint()) + ";rocm=1";
  manifest.fingerprint = extra.c_str();
  message = MismatchOf(manifest);
  EXPECT_THAT(message, HasSubstr("rocm=1"));
  EXPECT_THAT(message, HasSubstr(HostFingerprint()));

  // no fingerprint at all
  manifest.fingerprint = nullptr;
  EXPECT_THAT(MismatchOf(manifest), HasSubstr("compiler"));
}

}  // namespace
}  // namespace imitate::engine
