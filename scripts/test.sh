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
cargo test --release --locked --workspace
