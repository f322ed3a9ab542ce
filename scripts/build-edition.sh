#!/usr/bin/env bash
# Build a company's own edition of Clef: bash scripts/build-edition.sh EDITION.toml OUTPUT
# EDITION.toml is like resources/edition/clef.toml (name, start page, built-in policies.json,
# model pin, icon). The shared target dir is rebuilt as the default edition afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
edition="$(realpath "$1")"
output="$2"
CLEF_EDITION="$edition" cargo build --release --locked -p clef-browser --bin clef
mkdir -p "$(dirname "$output")"
cp "$CARGO_TARGET_DIR/release/clef" "$output"
cargo build --release --locked -p clef-browser --bin clef
echo "built $("$output" edition | head -1) into $output"
