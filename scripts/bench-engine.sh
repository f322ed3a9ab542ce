#!/usr/bin/env bash
# Engine figures beside the vendored llama.cpp called directly (scripts/reference/), built from
# the same sources with llama.cpp's default native flags; same GGUF, machine and run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
threads="${THREADS:-2}"
src=$(ls -d "$HOME"/.cargo/registry/src/*/llama-cpp-sys-2-0.1.160/llama.cpp | head -1)
build="$CARGO_TARGET_DIR/llama-reference"
if [ ! -f "$build/src/libllama.a" ]; then
  # llama-cpp-sys-2 ships the library sources but not llama.cpp's tools (no llama-bench).
  env -u CMAKE_C_FLAGS -u CMAKE_CXX_FLAGS cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TOOLS=OFF \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF >/dev/null
  cmake --build "$build" --target llama -j "$(nproc)" >/dev/null
fi
reference="$build/llama-reference"
if [ ! -x "$reference" ] || [ scripts/reference/llama_reference.cpp -nt "$reference" ]; then
  g++ -O3 -march=native -std=c++17 scripts/reference/llama_reference.cpp -o "$reference" \
    -I "$src/include" -I "$src/ggml/include" \
    "$build/src/libllama.a" $(find "$build/ggml/src" -name 'libggml*.a' | sort -r) -fopenmp -lpthread
fi
export OMP_WAIT_POLICY=passive
echo "== llama.cpp reference (direct llama.h calls), $threads threads, 512-token prompt, 128 generated"
"$reference" "$CLEF_TEST_MODEL" 512 128 "$threads" 3
echo "== clef model bench (worker process, Rust bindings), $threads threads"
"$CLEF_BIN" model bench "$CLEF_TEST_MODEL" --threads "$threads" --prompt-words "${PROMPT_WORDS:-500}" --tokens 128

# Thread policy while the page engine is busy: a headless Servo loading pages in a loop.
echo "== decode tokens/s with Servo busy in another process (OpenMP wait policy x threads)"
( while true; do "$CLEF_BIN" headless "file://$PWD/resources/demo/index.html" --text >/dev/null 2>&1; done ) &
busy=$!
trap 'kill $busy 2>/dev/null' EXIT
sleep 2
for policy in passive active; do
  for t in 1 2; do
    rate=$(OMP_WAIT_POLICY=$policy "$CLEF_BIN" model bench "$CLEF_TEST_MODEL" --threads "$t" --prompt-words 100 --tokens 64 2>/dev/null \
      | awk '/^decode_tokens_per_second/ {print $2}')
    echo "OMP_WAIT_POLICY=$policy threads=$t decode_tokens_per_second $rate"
  done
done
