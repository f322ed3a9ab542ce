#!/usr/bin/env bash
# Engine figures beside llama.cpp's own llama-bench, built from the same vendored sources, on the
# same GGUF, machine and run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
threads="${THREADS:-2}"
src=$(ls -d "$HOME"/.cargo/registry/src/*/llama-cpp-sys-2-0.1.160/llama.cpp | head -1)
build="$CARGO_TARGET_DIR/llama-bench"
if [ ! -x "$build/bin/llama-bench" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF >/dev/null
  cmake --build "$build" --target llama-bench -j "$(nproc)" >/dev/null
fi
export OMP_WAIT_POLICY=passive
echo "== llama.cpp llama-bench (reference), $threads threads"
"$build/bin/llama-bench" -m "$CLEF_TEST_MODEL" -t "$threads" -p 512 -n 128 -r 3 -o md
echo "== clef model bench, $threads threads"
"$CLEF_BIN" model bench "$CLEF_TEST_MODEL" --threads "$threads"
