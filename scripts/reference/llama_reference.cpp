// Reference speed of the vendored llama.cpp called directly through llama.h, for comparison with
// `clef model bench`: same sources, GGUF, machine and run. Prefill is one batch of N prompt
// tokens; decode is greedy, one token per llama_decode. Prints median tokens/s over repetitions.
#include "llama.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

static double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

int main(int argc, char ** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s MODEL PROMPT_TOKENS GEN_TOKENS THREADS [REPS]\n", argv[0]);
        return 2;
    }
    const int n_prompt = std::atoi(argv[2]);
    const int n_gen = std::atoi(argv[3]);
    const int threads = std::atoi(argv[4]);
    const int reps = argc > 5 ? std::atoi(argv[5]) : 3;

    llama_log_set([](ggml_log_level, const char *, void *) {}, nullptr);
    llama_backend_init();
    auto load_start = std::chrono::steady_clock::now();
    llama_model_params model_params = llama_model_default_params();
    model_params.n_gpu_layers = 0;
    llama_model * model = llama_model_load_from_file(argv[1], model_params);
    if (!model) {
        std::fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    const double load_seconds = seconds_since(load_start);

    llama_context_params context_params = llama_context_default_params();
    context_params.n_ctx = 2048;
    context_params.n_batch = std::max(512, n_prompt);
    context_params.n_threads = threads;
    context_params.n_threads_batch = threads;
    llama_context * ctx = llama_init_from_model(model, context_params);
    const llama_vocab * vocab = llama_model_get_vocab(model);

    // A prompt of ordinary text tokens, like the engine benchmark's filler.
    std::string text;
    while ((int) text.size() < n_prompt * 8) {
        text += "river stone light paper ";
    }
    std::vector<llama_token> prompt(n_prompt * 2);
    const int n_tokens = llama_tokenize(vocab, text.c_str(), (int) text.size(), prompt.data(), (int) prompt.size(), true, false);
    prompt.resize(std::min(n_tokens, n_prompt));

    std::vector<double> prefill_rates, decode_rates;
    for (int rep = 0; rep < reps; rep++) {
        llama_memory_clear(llama_get_memory(ctx), true);
        auto prefill_start = std::chrono::steady_clock::now();
        if (llama_decode(ctx, llama_batch_get_one(prompt.data(), (int) prompt.size())) != 0) {
            std::fprintf(stderr, "prefill failed\n");
            return 1;
        }
        prefill_rates.push_back(prompt.size() / seconds_since(prefill_start));

        const int n_vocab = llama_vocab_n_tokens(vocab);
        auto decode_start = std::chrono::steady_clock::now();
        for (int i = 0; i < n_gen; i++) {
            const float * logits = llama_get_logits_ith(ctx, -1);
            llama_token next = (llama_token) (std::max_element(logits, logits + n_vocab) - logits);
            if (llama_decode(ctx, llama_batch_get_one(&next, 1)) != 0) {
                std::fprintf(stderr, "decode failed\n");
                return 1;
            }
        }
        decode_rates.push_back(n_gen / seconds_since(decode_start));
    }
    std::printf("load_seconds %.3f\n", load_seconds);
    std::printf("prompt_tokens %zu\n", prompt.size());
    std::printf("prefill_tokens_per_second %.1f\n", median(prefill_rates));
    std::printf("decode_tokens_per_second %.1f\n", median(decode_rates));
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
