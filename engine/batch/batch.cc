#include "engine/batch/batch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config/toml_load.h"
#include "engine/config/toml_util.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
using config::Describe;
using config::Fail;
using config::Where;

namespace {

// the keys a batch file may hold, top level and in [slurm]
const std::set<std::string> kBatchKeys = {"base", "name", "presets", "seeds",   "set",
                                          "grid", "zip",  "threads", "retries", "slurm"};
const std::set<std::string> kSlurmKeys = {"partition", "time",         "cpus_per_task", "mem",
                                          "gpus",      "max_parallel", "setup"};

// a file/folder-safe version of `text`: letters, digits and ._=+-, kept, the rest '_'
std::string SafeName(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '=' ||
                c == '+' || c == '-' || c == ',';
    out += keep ? c : '_';
  }
  return out;
}

// TOML text of a value for `--set` ("10.0", "\"cmil\"", "[128, 128]")
std::string ValueText(const toml::node& node) {
  // floats in their shortest round-trip form, still floats ("0.003", "10.0", "1e-05")
  if (const auto* f = node.as_floating_point()) {
    std::string text = fmt::format("{}", f->get());
    bool plain = text.find_first_of(".einf") == std::string::npos;
    return plain ? text + ".0" : text;
  }
  std::ostringstream os;
  node.visit([&os](auto&& v) { os << v; });
  return os.str();
}

// a short label of a value: strings unquoted, array elements joined with 'x'
std::string ValueLabel(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* a = node.as_array()) {
    std::string out;
    for (const toml::node& e : *a) out += (out.empty() ? "" : "x") + ValueLabel(e);
    return out;
  }
  return ValueText(node);
}

// a required-type accessor with one-line errors
template <typename T>
T Get(const toml::node& node, const std::string& key, const char* expected) {
  std::optional<T> value = node.value<T>();
  if (!value || (std::is_same_v<T, int64_t> && !node.is_integer())) {
    Fail(Where(node.source()), key, fmt::format("expected {}, got {}", expected, Describe(node)));
  }
  return *value;
}

// a string or a list of strings
std::vector<std::string> StringList(const toml::node& node, const std::string& key) {
  if (node.is_string()) return {node.as_string()->get()};
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    Fail(Where(node.source()), key,
         fmt::format("expected a string or a list of strings, got {}", Describe(node)));
  }
  std::vector<std::string> out;
  for (const toml::node& e : *array) out.push_back(Get<std::string>(e, key, "a string"));
  return out;
}

// leaves of a table as (dotted key path, node): [grid] optimizer.x = [...] or "optimizer.x"
void FlattenInto(const toml::table& table, const std::string& prefix,
                 std::vector<std::pair<std::string, const toml::node*>>* out) {
  for (const auto& [key, node] : table) {
    std::string path = config::JoinKey(prefix, std::string(key.str()));
    if (const toml::table* sub = node.as_table()) {
      FlattenInto(*sub, path, out);
    } else {
      out->emplace_back(path, &node);
    }
  }
}

// the leaves in the order they are written in the file (toml++ iterates tables by key)
std::vector<std::pair<std::string, const toml::node*>> Flatten(const toml::table& table) {
  std::vector<std::pair<std::string, const toml::node*>> out;
  FlattenInto(table, "", &out);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const toml::source_position& pa = a.second->source().begin;
    const toml::source_position& pb = b.second->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

// the list of values of a grid or zip key; an empty list or a non-list is an error
const toml::array& AxisList(const toml::node& node, const std::string& key) {
  const toml::array* array = node.as_array();
  if (array == nullptr || array->empty()) {
    Fail(Where(node.source()), key,
         fmt::format("expected a non-empty list of values, got {}", Describe(node)));
  }
  return *array;
}

// the last component of a key path ("optimizer.horizon" -> "horizon")
std::string ShortKey(const std::string& path) { return path.substr(path.rfind('.') + 1); }

// one axis from keys that vary together (a grid key alone, or a zip group)
std::vector<AxisValue> MakeAxis(const std::vector<std::pair<std::string, const toml::node*>>& keys,
                                const std::string& where) {
  size_t length = AxisList(*keys[0].second, keys[0].first).size();
  for (const auto& [key, node] : keys) {
    size_t n = AxisList(*node, key).size();
    if (n != length) {
      Fail(Where(node->source(), where), key,
           fmt::format("a [[zip]] group's lists must have equal lengths: {} has {}, {} has {}",
                       keys[0].first, length, key, n));
    }
  }
  std::vector<AxisValue> axis(length);
  for (size_t i = 0; i < length; ++i) {
    for (const auto& [key, node] : keys) {
      const toml::node& value = *node->as_array()->get(i);
      if (value.is_table() || value.is_date() || value.is_time() || value.is_date_time()) {
        Fail(Where(value.source()), key, fmt::format("cannot set a value of {}", Describe(value)));
      }
      axis[i].overrides.push_back(key + "=" + ValueText(value));
      axis[i].label += (axis[i].label.empty() ? "" : ",") + ShortKey(key) + "=" + ValueLabel(value);
    }
  }
  return axis;
}

// the [slurm] table
SlurmResources ReadSlurm(const toml::table& table) {
  SlurmResources s;
  for (const auto& [k, node] : table) {
    std::string key = "slurm." + std::string(k.str());
    if (!kSlurmKeys.count(std::string(k.str()))) {
      Fail(Where(node.source()), key,
           fmt::format("unknown key (expected one of {})", fmt::join(kSlurmKeys, ", ")));
    }
    if (k == "partition") s.partition = Get<std::string>(node, key, "a string");
    if (k == "time") s.time = Get<std::string>(node, key, "a string like \"12:00:00\"");
    if (k == "mem") s.mem = Get<std::string>(node, key, "a string like \"16G\"");
    if (k == "cpus_per_task") s.cpus_per_task = Get<int64_t>(node, key, "an integer");
    if (k == "gpus") s.gpus = Get<int64_t>(node, key, "an integer");
    if (k == "max_parallel") s.max_parallel = Get<int64_t>(node, key, "an integer");
    if (k == "setup") s.setup = StringList(node, key);
  }
  return s;
}

}  // namespace

Batch LoadBatch(const std::string& path) {
  config::SourceLines lines;
  toml::table root = config::LoadTomlFile(path, &lines);
  Batch batch;
  batch.path = path;
  batch.name = fs::path(path).stem().string();
  fs::path folder = fs::path(path).parent_path();

  // top-level keys
  for (const auto& [k, node] : root) {
    std::string key(k.str());
    if (!kBatchKeys.count(key)) {
      Fail(Where(node.source(), path), key,
           fmt::format("unknown key (expected one of {})", fmt::join(kBatchKeys, ", ")));
    }
  }
  const toml::node* base = root.get("base");
  if (base == nullptr) Fail(path, "base", "missing: the experiment file(s) the batch runs");
  for (const std::string& e : StringList(*base, "base")) {
    fs::path file = fs::path(e).is_absolute() ? fs::path(e) : folder / e;
    if (!fs::is_regular_file(file)) {
      Fail(Where(base->source(), path), "base", fmt::format("no such file '{}'", file.string()));
    }
    batch.experiments.push_back(file.lexically_normal().string());
  }
  if (const toml::node* n = root.get("name")) {
    batch.name = SafeName(Get<std::string>(*n, "name", "a string"));
  }
  if (const toml::node* n = root.get("presets")) batch.presets = StringList(*n, "presets");
  if (const toml::node* n = root.get("set")) batch.fixed = StringList(*n, "set");
  if (const toml::node* n = root.get("threads"))
    batch.threads = Get<int64_t>(*n, "threads", "an integer");
  if (const toml::node* n = root.get("retries"))
    batch.retries = Get<int64_t>(*n, "retries", "an integer");
  if (batch.retries < 0) Fail(path, "retries", "expected an integer >= 0");
  if (const toml::node* n = root.get("seeds")) {
    batch.seeds.clear();
    const std::string key = "seeds";  // a named key: the list outlives no temporary
    for (const toml::node& s : AxisList(*n, key)) {
      batch.seeds.push_back(Get<int64_t>(s, "seeds", "integers"));
    }
  }

  // the experiments are an axis when there are several
  if (batch.experiments.size() > 1) {
    std::vector<AxisValue> axis;
    for (const std::string& e : batch.experiments) {
      axis.push_back({{}, SafeName(fs::path(e).stem().string())});
    }
    batch.axes.push_back(axis);
  }
  // [grid]: one axis per key
  if (const toml::node* n = root.get("grid")) {
    if (!n->is_table()) Fail(Where(n->source(), path), "grid", "expected a table of lists");
    for (const auto& key : Flatten(*n->as_table())) batch.axes.push_back(MakeAxis({key}, path));
  }
  // [[zip]]: one axis per group
  if (const toml::node* n = root.get("zip")) {
    const toml::array* groups = n->as_array();
    if (groups == nullptr || !groups->is_array_of_tables()) {
      Fail(Where(n->source(), path), "zip", "expected [[zip]] tables of equal-length lists");
    }
    for (const toml::node& group : *groups) {
      auto keys = Flatten(*group.as_table());
      if (keys.empty()) Fail(Where(group.source(), path), "zip", "an empty [[zip]] group");
      batch.axes.push_back(MakeAxis(keys, path));
    }
  }
  if (const toml::node* n = root.get("slurm")) {
    if (!n->is_table()) Fail(Where(n->source(), path), "slurm", "expected a table");
    batch.slurm = ReadSlurm(*n->as_table());
  }
  return batch;
}

std::vector<BatchRun> ExpandBatch(const Batch& batch) {
  // the points: odometer over the axes, the last varying fastest
  std::vector<size_t> index(batch.axes.size(), 0);
  std::vector<BatchRun> points;
  while (true) {
    BatchRun point;
    point.experiment = batch.experiments[0];
    point.presets = batch.presets;
    point.overrides = batch.fixed;
    for (size_t a = 0; a < batch.axes.size(); ++a) {
      const AxisValue& v = batch.axes[a][index[a]];
      if (batch.experiments.size() > 1 && a == 0) point.experiment = batch.experiments[index[0]];
      point.overrides.insert(point.overrides.end(), v.overrides.begin(), v.overrides.end());
      point.name += (point.name.empty() ? "" : ",") + v.label;
    }
    point.name = point.name.empty() ? "base" : SafeName(point.name);
    points.push_back(point);
    size_t a = batch.axes.size();
    while (a > 0 && ++index[a - 1] == batch.axes[a - 1].size()) index[--a] = 0;
    if (a == 0) break;
  }
  // unique names, then one run per seed
  std::set<std::string> names;
  std::vector<BatchRun> runs;
  for (const BatchRun& point : points) {
    if (!names.insert(point.name).second) {
      Fail(batch.path, "",
           fmt::format("two points of the batch have the same name '{}'; "
                       "give their values distinct labels",
                       point.name));
    }
    for (int64_t seed : batch.seeds) {
      BatchRun run = point;
      run.seed = seed;
      runs.push_back(run);
    }
  }
  return runs;
}

std::vector<std::string> RunArguments(const BatchRun& run, const std::string& batch_dir,
                                      int64_t threads) {
  std::vector<std::string> args = {"run", run.experiment};
  for (const std::string& p : run.presets) args.insert(args.end(), {"--preset", p});
  for (const std::string& o : run.overrides) args.insert(args.end(), {"--set", o});
  args.insert(args.end(), {"--set", fmt::format("name=\"{}\"", run.name)});
  args.insert(args.end(), {"--set", fmt::format("seed={}", run.seed)});
  if (threads > 0) args.insert(args.end(), {"--set", fmt::format("threads={}", threads)});
  args.insert(args.end(), {"--runs-dir", batch_dir});
  return args;
}

std::string ExpansionToml(const Batch& batch, const std::vector<BatchRun>& runs) {
  toml::table root;
  root.insert("batch", batch.name);
  root.insert("source", batch.path);
  toml::array list;
  for (const BatchRun& run : runs) {
    toml::array presets, overrides;
    for (const auto& p : run.presets) presets.push_back(p);
    for (const auto& o : run.overrides) overrides.push_back(o);
    list.push_back(toml::table{{"name", run.name},
                               {"seed", run.seed},
                               {"experiment", run.experiment},
                               {"presets", presets},
                               {"overrides", overrides}});
  }
  root.insert("run", list);
  std::ostringstream os;
  os << "# The runs of batch " << batch.path << " (written by `imitate batch`)\n" << root << "\n";
  return os.str();
}

}  // namespace imitate::engine
