#!/usr/bin/env bash
# Set up again (idempotent), then formatting, lints and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
if [ "${CI:-}" = "true" ] && [ ! -d ../shared/data ]; then
  echo "CI: ../shared/data is missing" >&2
  exit 1
fi
cargo fmt --all --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
# ggml skips CPU-type Vulkan devices (lavapipe) unless told which to use; the CPU worker ignores it.
export GGML_VK_VISIBLE_DEVICES=0
cargo test --release --locked --workspace
# A company edition built at build time carries its name, policy and model pin.
bash scripts/check-edition.sh
