#!/usr/bin/env bash
# Haven set-up: installs the Debian 12 packages Haven needs (only those missing), configures and builds.
#
#   tools/setup.sh run     install, build, run the default scenario        (README command 1)
#                          (HAVEN_SCENARIO picks another; the file goes to output/)
#   tools/setup.sh test    install, build, run the whole test suite (CTest) (README command 2)
#   tools/setup.sh deps    install the missing packages only (and the report's npm map data)
#   tools/setup.sh deps-clang  install the optional clang packages the fuzz and tsan presets need (tools/fuzz/run,
#                          .ci/run); nothing else needs them
#   tools/setup.sh build   install and build only
#
# Environment: HAVEN_PRESET (default: default) picks the CMake preset; HAVEN_JOBS the build parallelism.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
preset="${HAVEN_PRESET:-default}"
jobs="${HAVEN_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Build tools and libraries (all Debian 12 packages; nothing is downloaded at build time).
packages=(
  build-essential cmake ninja-build git pkg-config ca-certificates time clang-format
  libeigen3-dev libboost-graph-dev libboost-random-dev libyaml-cpp-dev libhdf5-dev hdf5-tools
  doctest-dev libcli11-dev libfmt-dev libspdlog-dev librandom123-dev libssl-dev libnlopt-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev
  python3 python3-h5py python3-xarray python3-h5netcdf python3-netcdf4 python3-matplotlib python3-pytest
  python3-nbformat python3-nbconvert python3-ipykernel jupyter-nbconvert python3-jsonschema python3-yaml
  gdal-bin
  libjs-leaflet libjs-chart.js
  libcpp-httplib-dev nlohmann-json3-dev
  chromium chromium-driver python3-selenium
)

# Optional: clang, libFuzzer, clang's sanitizer runtimes (libclang-rt-16-dev: clang-16 only recommends it, so
# --no-install-recommends leaves it out and the tsan preset fails to link) and LLVM's OpenMP runtime (with Archer,
# which tells ThreadSanitizer about OpenMP's synchronisation) for the `fuzz` and `tsan` presets only.
clang_packages=(clang-16 libfuzzer-16-dev libclang-rt-16-dev libomp-16-dev)

install_missing() {
  local wanted=("$@")
  local missing=()
  for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#wanted[@]} packages are installed"
    return
  fi
  echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# haven report's map data (country outlines) from npm, at the versions tools/report/package-lock.json pins;
# inlined into each report when it is written, never fetched when one is viewed.
report_assets() {
  if [ -f tools/report/node_modules/world-atlas/countries-50m.json ] &&
     [ -f tools/report/node_modules/topojson-client/dist/topojson-client.min.js ]; then
    return
  fi
  # Debian's nodejs and npm, unless a node with npm is already installed (e.g. NodeSource's, which conflicts).
  command -v npm >/dev/null || install_missing nodejs npm
  echo "setup: installing the report's map data (npm ci --prefix tools/report)"
  npm ci --prefix tools/report --no-audit --no-fund --ignore-scripts
}

build() {
  echo "setup: configuring and building (preset '$preset', $jobs jobs)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
}

case "${1:-build}" in
  deps) install_missing "${packages[@]}"; report_assets ;;
  deps-clang) install_missing "${clang_packages[@]}" ;;
  build) install_missing "${packages[@]}"; report_assets; build ;;
  run)
    install_missing "${packages[@]}"; report_assets; build
    "build/$preset/bin/haven" run "${HAVEN_SCENARIO:-scenarios/idlib_2019_2020.yaml}" --overwrite
    ;;
  test)
    install_missing "${packages[@]}"; report_assets; build
    ctest --preset "$preset"
    ;;
  *) echo "usage: tools/setup.sh [deps|deps-clang|build|run|test]" >&2; exit 2 ;;
esac
