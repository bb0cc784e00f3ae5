#!/usr/bin/env bash
# The installed SDK builds a plugin outside the source tree, and the engine loads it:
#   1. cmake --install <build> --prefix <work>/prefix
#   2. configure + build tests/out_of_tree_plugin against that prefix into <work>/oot-build
#   3. with IMITATE_PLUGIN_PATH=<work>/oot-build/plugins, imitate_find_plugin creates and runs
#      line_world (with its expert), and `imitate plugins` (the build's and the installed one)
#      lists it
#
# usage: out_of_tree_test.sh --build-dir DIR --source-dir DIR --work-dir DIR --cxx COMPILER
#                            --find-plugin EXE [--imitate EXE]
set -euo pipefail

build_dir= source_dir= work_dir= cxx= find_plugin= imitate=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=$2 ;;
    --source-dir) source_dir=$2 ;;
    --work-dir) work_dir=$2 ;;
    --cxx) cxx=$2 ;;
    --find-plugin) find_plugin=$2 ;;
    --imitate) imitate=$2 ;;
    *) echo "out_of_tree_test: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
for v in build_dir source_dir work_dir cxx find_plugin; do
  [[ -n "${!v}" ]] || { echo "out_of_tree_test: --${v//_/-} is required" >&2; exit 2; }
done

step=""
fail() { echo "FAILED: $step: $*" >&2; exit 1; }
on_exit() {
  local rc=$?
  [[ $rc -eq 0 ]] || echo "out_of_tree_test: failed at step: $step (logs in $work_dir)" >&2
}
trap on_exit EXIT
# runs a step quietly, showing its log when it fails
run() {
  local log="$work_dir/$1.log"; shift
  local start=$SECONDS
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    fail "command failed: $*"
  fi
  echo "  ok ($((SECONDS - start)) s)"
}

# a clean work folder
rm -rf "$work_dir"
mkdir -p "$work_dir"
prefix="$work_dir/prefix"
oot_build="$work_dir/oot-build"

step="install"
echo "== cmake --install $build_dir --prefix $prefix"
run install cmake --install "$build_dir" --prefix "$prefix"
config=$(find "$prefix" -name imitate_sdkConfig.cmake -print -quit)
[[ -n "$config" ]] || fail "no imitate_sdkConfig.cmake under $prefix"
for f in imitate_sdk_targets.cmake imitate_sdkConfigVersion.cmake ImitatePlugin.cmake; do
  [[ -f "$(dirname "$config")/$f" ]] || fail "$f is not installed next to $config"
done
[[ -f "$prefix/include/imitate/sdk/registrar.h" ]] || fail "SDK headers are not installed"

step="configure"
echo "== configure $source_dir against $prefix"
run configure cmake -S "$source_dir" -B "$oot_build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx"
# the package must come from the install, not from the build tree
grep -q "imitate_sdk_DIR:PATH=$prefix" "$oot_build/CMakeCache.txt" ||
  fail "imitate_sdk was not found in $prefix: $(grep imitate_sdk_DIR "$oot_build/CMakeCache.txt")"

step="build"
echo "== build the out-of-tree plugin"
run build cmake --build "$oot_build" -j2
plugin_dir="$oot_build/plugins"
[[ -f "$plugin_dir/imitate_environment_line_world.so" ]] ||
  fail "no plugin in $plugin_dir: $(ls "$oot_build")"

step="load"
export IMITATE_PLUGIN_PATH="$plugin_dir"
echo "== IMITATE_PLUGIN_PATH=$plugin_dir $find_plugin line_world line_world"
run find_plugin "$find_plugin" line_world line_world
cat "$work_dir/find_plugin.log"
grep -q "^environment line_world:" "$work_dir/find_plugin.log" || fail "line_world is not listed"
grep -q "^expert line_world:" "$work_dir/find_plugin.log" || fail "expert line_world is not listed"
grep -q "success=1" "$work_dir/find_plugin.log" || fail "the expert did not reach the target"

step="imitate plugins"
[[ -x "$imitate" ]] || fail "no imitate executable at '$imitate'"
echo "== $imitate plugins"
run imitate_plugins "$imitate" plugins
grep -qw "line_world" "$work_dir/imitate_plugins.log" ||
  fail "'imitate plugins' does not list line_world: $(cat "$work_dir/imitate_plugins.log")"

step="run an experiment"
# demos from the plugin's own expert, then behaviour cloning in the plugin's environment
echo "== imitate demos line_world, then imitate run"
(cd "$work_dir" && run demos "$imitate" demos line_world --expert line_world --count 5 \
  --out "$work_dir/line_world.h5")
cat > "$work_dir/line_world.toml" <<'TOML'
name = "line-world-bc"
threads = 1
[environment]
kind = "line_world"
[demos]
path = "line_world.h5"
[encoder]
kind = "mlp"
hidden = [32]
[optimizer]
kind = "bc"
hidden = [32]
[schedule]
bc_updates = 50
batch_size = 8
batch_length = 4
eval_episodes = 2
TOML
(cd "$work_dir" && run experiment "$imitate" run line_world.toml --quiet)
grep -q "success" "$work_dir/experiment.log" || fail "the run printed no result table"
[[ -f "$work_dir/runs/line-world-bc/0/summary.csv" ]] || fail "the run did not finish"

step="installed imitate plugins"
if [[ -x "$prefix/bin/imitate" ]]; then
  # the installed engine finds its own plugins in <prefix>/lib/imitate/plugins, and ours
  echo "== $prefix/bin/imitate plugins"
  run installed_plugins "$prefix/bin/imitate" plugins
  grep -qw "line_world" "$work_dir/installed_plugins.log" ||
    fail "installed 'imitate plugins' does not list line_world:" \
      "$(<"$work_dir/installed_plugins.log")"
fi

step="done"
rm -rf "$work_dir"
echo "out_of_tree_test: passed"
