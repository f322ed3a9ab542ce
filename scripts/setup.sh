#!/usr/bin/env bash
# Idempotent set-up on Debian: packages, the test model, and a release build of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

packages=(
  # Servo: SpiderMonkey is compiled from source; its bindgen step needs libclang >= 19.
  cmake clang clang-19 libclang-19-dev ccache pkg-config python3 python3-pip m4 make g++
  # The MCP clients the tests drive (Python SDK in a venv; Inspector and conformance via npm).
  python3-venv nodejs
  libfontconfig1-dev libfreetype-dev libssl-dev ca-certificates
  # Headless software rendering (surfman falls back to Mesa's surfaceless EGL) and the window.
  libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 libx11-6 libx11-dev libxkbcommon-x11-0
  libxcursor1 libxi6 libxrandr2 fonts-dejavu-core
  # Window tests and screenshots; network namespaces and the egress test's packet capture.
  xvfb xauth imagemagick xdotool iproute2 util-linux openssl tcpdump
  # Saved passwords: a real Secret Service (GNOME Keyring) on a private D-Bus in the tests.
  gnome-keyring dbus-daemon
  # Downloads: "open" and "show in folder" go through the desktop's opener.
  xdg-utils
  # The benchmark compares against Debian's Chromium.
  chromium
  # The GPU path, tested without a GPU: llama.cpp's Vulkan backend on Mesa's lavapipe.
  libvulkan-dev libvulkan1 glslc mesa-vulkan-drivers spirv-headers
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# npm: Debian's package, unless the installed Node distribution brings its own.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/fetch-model.sh

bash scripts/fetch-mcp-clients.sh

bash scripts/fetch-vulkan-headers.sh

# llama-cpp-sys-2 hands the CMAKE_* flags to CMake but does not ask Cargo to rebuild when they
# change, so a build made with other flags (another -march, AMX still on) is cleaned first.
clean_llama_if_flags_changed() {
  local target_dir="$1" stamp="$1/clef-llama-flags" flags="$CMAKE_C_FLAGS | $CMAKE_CXX_FLAGS"
  if [ -d "$target_dir/release" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
    echo "setup: llama.cpp's compiler flags changed; rebuilding it in $target_dir"
    CARGO_TARGET_DIR="$target_dir" cargo clean --release -p llama-cpp-sys-2
  fi
  mkdir -p "$target_dir"
  printf '%s' "$flags" > "$stamp"
}

clean_llama_if_flags_changed "$CARGO_TARGET_DIR"
echo "setup: building (target dir $CARGO_TARGET_DIR; a cold build took 48 minutes on 2 cores here)"
cargo build --release --locked --workspace --all-targets

clean_llama_if_flags_changed "$CLEF_VULKAN_TARGET_DIR"
echo "setup: building the Vulkan model worker (target dir $CLEF_VULKAN_TARGET_DIR)"
VULKAN_SDK="$CLEF_VULKAN_SDK" CARGO_TARGET_DIR="$CLEF_VULKAN_TARGET_DIR" \
  cargo build --release --locked -p clef-engine --features vulkan --bin clef-engine-worker
