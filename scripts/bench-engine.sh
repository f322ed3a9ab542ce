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
echo "== llama.cpp reference (direct llama.h calls), 512-token prompt, 128 generated"
for t in 2 1; do
  echo "-- $t thread(s) for prompt and generation"
  "$reference" "$CLEF_TEST_MODEL" 512 128 "$t" 3
done
echo "== clef model bench: worker process, Rust bindings, IPC per token (prompt ~512 tokens)"
echo "-- defaults: prompt on $threads threads, generation on 1"
"$CLEF_BIN" model bench "$CLEF_TEST_MODEL" --threads "$threads" --prompt-words "${PROMPT_WORDS:-472}" --tokens 128
echo "-- $threads threads for both, as the reference's first run"
"$CLEF_BIN" model bench "$CLEF_TEST_MODEL" --threads "$threads" --decode-threads "$threads" --prompt-words "${PROMPT_WORDS:-472}" --tokens 128 \
  | grep -E "^(prompt_tokens|prefill|decode)"

# Decode speed under each OpenMP wait policy with one and two decode threads.
thread_policies() {
  for policy in passive active; do
    for t in 1 2; do
      rates=$(OMP_WAIT_POLICY=$policy "$CLEF_BIN" model bench "$CLEF_TEST_MODEL" --threads 2 --decode-threads "$t" --prompt-words 100 --tokens 64 2>/dev/null \
        | awk '/^(prefill|decode)_tokens_per_second/ {printf "%s %s  ", $1, $2}')
      echo "OMP_WAIT_POLICY=$policy decode_threads=$t  $rates"
    done
  done
}

# Thread policy while the page engine is busy: headless Servo running page JavaScript non-stop
# (each run spins for its 10 s script limit, then the next starts).
echo "== decode tokens/s with Servo busy in another process (OpenMP wait policy x threads)"
spin='const t = Date.now(); while (Date.now() - t < 60000) {}'
( while true; do "$CLEF_BIN" headless "file://$PWD/resources/demo/index.html" --eval "$spin" >/dev/null 2>&1; done ) &
busy=$!
trap 'kill $busy 2>/dev/null' EXIT
sleep 2
thread_policies
kill $busy 2>/dev/null

# Both cores saturated (two busy loops): the case that decides the default.
echo "== both cores saturated by other processes"
( timeout 120 yes >/dev/null & timeout 120 yes >/dev/null & wait ) &
saturate=$!
trap 'kill $busy $saturate 2>/dev/null; pkill -P $saturate 2>/dev/null' EXIT
sleep 1
thread_policies
pkill -P $saturate 2>/dev/null || true
