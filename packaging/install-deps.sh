#!/usr/bin/env bash
# Installs the Debian 12 packages Checkpoint Inspector needs to build, test and run.
# Idempotent: packages already present are skipped, so a second run costs a second.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache clang lld libclang-rt-14-dev clang-format clang-tidy
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-qpa-plugins libgl1-mesa-dev libxkbcommon-dev
  libtorch-dev python3-torch python3-torchvision
  zlib1g-dev nlohmann-json3-dev libcli11-dev libxxhash-dev libdeflate-dev
  xvfb xauth imagemagick locales
  desktop-file-utils appstream dpkg-dev file libxml2-utils shared-mime-info libglib2.0-bin groff-base
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The locale test (tests/core/tst_graphbounds.cpp) parses numbers under a German locale, where "0.5" is "0,5".
ensure_test_locale() {
  if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
    [ "$(id -u)" -ne 0 ] && { echo "install-deps: run as root to generate de_DE.UTF-8"; return 0; }
    sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
    grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >/dev/null
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  ensure_test_locale
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
ensure_test_locale
