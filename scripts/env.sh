# Shared settings for Clef's scripts; sourced, not run.
# The cargo target dir lives outside the checkout, so fresh clones (CI) build incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clef/target}"
export CLEF_MODELS="${CLEF_MODELS:-$HOME/.cache/clef/models}"
export CLEF_TEST_MODEL="${CLEF_TEST_MODEL:-$CLEF_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf}"
# The 1.5B model for quality benchmarks, fetched only by scripts/fetch-quality-model.sh.
export CLEF_QUALITY_MODEL="${CLEF_QUALITY_MODEL:-$CLEF_MODELS/Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf}"
# llama.cpp's CMake picks up ccache from PATH by itself (setup installs it).
export CLEF_BIN="$CARGO_TARGET_DIR/release/clef"
# llama.cpp for this CPU, as its own build does (GGML_NATIVE): without this, llama-cpp-sys-2
# derives ggml's SIMD flags from Rust's x86-64 baseline and the kernels run without AVX2/FMA.
# Only llama-cpp-sys-2 reads these (it forwards CMAKE_* variables to CMake). -fPIC: Rust links PIE.
export CLEF_LLAMA_MARCH="${CLEF_LLAMA_MARCH:-native}"
# Without ggml's AMX kernels: on a CPU with AMX (Intel Sapphire Rapids and later) -march=native
# compiles them in, and llama.cpp 0.1.160's crash the model worker on its first matrix product
# (a general protection fault in ggml_backend_amx_mul_mat, with Q4_1 and Q4_K_M models alike).
# Its AVX-512 and VNNI kernels still run.
clef_llama_flags="-fPIC -march=$CLEF_LLAMA_MARCH"
if [ "$(uname -m)" = x86_64 ]; then
  clef_llama_flags="$clef_llama_flags -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
export CMAKE_C_FLAGS="${CMAKE_C_FLAGS:-$clef_llama_flags}"
export CMAKE_CXX_FLAGS="${CMAKE_CXX_FLAGS:-$clef_llama_flags}"
unset clef_llama_flags
# The Vulkan build of the model worker (GPU-path test on lavapipe): its own target dir, so the
# main build's artifacts and fingerprints never change. Bookworm's Vulkan headers are too old for
# ggml-vulkan; setup extracts trixie's libvulkan-dev headers here.
export CLEF_VULKAN_TARGET_DIR="${CLEF_VULKAN_TARGET_DIR:-$HOME/.cache/clef/target-vulkan}"
export CLEF_VULKAN_SDK="${CLEF_VULKAN_SDK:-$HOME/.cache/clef/vulkan-sdk/usr}"
export CLEF_VULKAN_WORKER="$CLEF_VULKAN_TARGET_DIR/release/clef-engine-worker"
