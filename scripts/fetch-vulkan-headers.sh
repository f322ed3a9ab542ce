#!/usr/bin/env bash
# Vulkan headers new enough for ggml-vulkan (Debian trixie's libvulkan-dev 1.4.x), extracted into
# the cache. Uses a private apt configuration: the system's package sources stay as they are.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ -f "$CLEF_VULKAN_SDK/include/vulkan/vulkan.hpp" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb http://deb.debian.org/debian trixie main" > "$work/sources.list"
apt_options=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt_options[@]}" update -qq
(cd "$work" && apt-get "${apt_options[@]}" download libvulkan-dev >/dev/null)
mkdir -p "$(dirname "$CLEF_VULKAN_SDK")"
dpkg-deb -x "$work"/libvulkan-dev_*.deb "$work/extract"
rm -rf "$CLEF_VULKAN_SDK"
mv "$work/extract/usr" "$CLEF_VULKAN_SDK"
echo "vulkan headers: $CLEF_VULKAN_SDK ($(basename "$work"/libvulkan-dev_*.deb))"
