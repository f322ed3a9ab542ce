#!/usr/bin/env bash
# Fuzz what Clef reads from outside (tasks, page snapshots, model replies, HTML, the injection
# screen) with cargo-fuzz on the nightly toolchain, FUZZ_SECONDS each (default 600). Not part of
# CI: run by hand, and put the figures it prints in docs/benchmarks.md.
# Usage: scripts/fuzz.sh [target ...]   (default: every target in fuzz/Cargo.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (crates.io)…"
    cargo +nightly install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^clef-fuzz$')
fi
# Its own target dir: the fuzz build's instrumented artifacts never touch the main build's.
export CARGO_TARGET_DIR="${CLEF_FUZZ_TARGET_DIR:-$HOME/.cache/clef/target-fuzz}"
cd fuzz
for target in "${targets[@]}"; do
    cargo +nightly fuzz build --release "$target" >/dev/null
done
failed=0
for target in "${targets[@]}"; do
    log="$(mktemp)"
    mkdir -p "corpus/$target"
    status=0
    cargo +nightly fuzz run --release "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=4096 >"$log" 2>&1 || status=$?
    runs="$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')"
    crashes="$(ls artifacts/"$target" 2>/dev/null | wc -l)"
    echo "$target: ${seconds} s, ${runs} runs, exit ${status}, ${crashes} crash files"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        tail -30 "$log"
    fi
    rm -f "$log"
done
exit "$failed"
