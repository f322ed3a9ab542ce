//! Which model this machine runs well, and how: RAM, VRAM and CPU features decide the size and
//! quantization to suggest, and for a given model the context and GPU layers to use. Every
//! figure comes with the reason, for `clef model info` and `clef model list` to say.

use clef_engine::gguf::Summary;

const GB: f64 = 1e9;
/// Kept free for the browser itself (Servo, pages, the pane).
const BROWSER_RESERVE: u64 = 1_500_000_000;
/// Memory bandwidth a CPU-only machine is assumed to have for decoding (a dual-channel DDR4 or
/// DDR5 desktop or laptop); each token reads every weight once.
const CPU_BANDWIDTH: f64 = 12.0 * GB;
/// Tokens per second below which an answer feels slow.
const INTERACTIVE: f64 = 5.0;
/// Parameters a CPU core reads a page with in reasonable time: a page is a prompt of thousands
/// of tokens, and reading it scales with cores (a 1.5B model summarized a long article in 41 s on
/// 2 cores here).
const PARAMETERS_PER_CORE: f64 = 1.0e9;
/// Bytes per parameter of a Q4_K_M file (≈ 4.9 bits a weight).
const Q4_K_M_BYTES: f64 = 0.61;

/// What this machine has.
#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub total_memory: Option<u64>,
    pub available_memory: Option<u64>,
    pub cores: usize,
    /// The CPU features llama.cpp's speed depends on that this CPU has.
    pub cpu_features: Vec<&'static str>,
    pub gpus: Vec<Gpu>,
}

#[derive(Debug, Clone)]
pub struct Gpu {
    pub name: String,
    /// Its own memory, where the driver says.
    pub memory: Option<u64>,
    /// A software rasterizer (llvmpipe, lavapipe): not an accelerator.
    pub software: bool,
}

impl Machine {
    /// This machine: `/proc/meminfo`, `/proc/cpuinfo`, Vulkan adapters, and the GPU memory
    /// the AMD driver (sysfs) or NVIDIA's `nvidia-smi` report.
    pub fn probe() -> Self {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let mut gpus: Vec<Gpu> = clef_engine::gpu::list_adapters()
            .into_iter()
            .map(|adapter| Gpu {
                software: adapter.is_software(),
                name: adapter.name,
                memory: None,
            })
            .collect();
        let memories = gpu_memories();
        for gpu in gpus.iter_mut().filter(|gpu| !gpu.software) {
            gpu.memory = memories
                .iter()
                .find(|(name, _)| name.is_empty() || gpu.name.contains(name.as_str()))
                .map(|(_, memory)| *memory);
        }
        Self {
            total_memory: meminfo_bytes(&meminfo, "MemTotal:"),
            available_memory: meminfo_bytes(&meminfo, "MemAvailable:"),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_features: cpu_features(&cpuinfo),
            gpus,
        }
    }

    /// The GPU with the most memory, if one is an accelerator whose memory is known.
    fn best_gpu(&self) -> Option<&Gpu> {
        self.gpus
            .iter()
            .filter(|gpu| !gpu.software && gpu.memory.is_some())
            .max_by_key(|gpu| gpu.memory)
    }

    /// One line about the machine.
    pub fn describe(&self) -> String {
        let gigabytes = |bytes: Option<u64>| {
            bytes.map_or("?".to_owned(), |bytes| {
                format!("{:.1} GB", bytes as f64 / GB)
            })
        };
        let gpus: Vec<String> = self
            .gpus
            .iter()
            .map(|gpu| match (gpu.software, gpu.memory) {
                (true, _) => format!("{} (software)", gpu.name),
                (false, Some(memory)) => format!("{} ({:.1} GB)", gpu.name, memory as f64 / GB),
                (false, None) => format!("{} (memory unknown)", gpu.name),
            })
            .collect();
        format!(
            "RAM {} ({} free), {} cores{}, GPU: {}",
            gigabytes(self.total_memory),
            gigabytes(self.available_memory),
            self.cores,
            if self.cpu_features.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.cpu_features.join(", "))
            },
            if gpus.is_empty() {
                "none".to_owned()
            } else {
                gpus.join("; ")
            }
        )
    }
}

/// Why a model file of `size` bytes cannot load on this machine at all (its weights beyond the
/// RAM and GPU memory together), said before loading rather than ended by the OOM killer.
pub fn too_large(size: u64) -> Option<String> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let total = meminfo_bytes(&meminfo, "MemTotal:")?;
    let vram = gpu_memories()
        .into_iter()
        .map(|(_, memory)| memory)
        .max()
        .unwrap_or(0);
    let needed = size + size / 10;
    (needed > total.saturating_add(vram)).then(|| {
        format!(
            "the model needs about {:.1} GB of memory and this machine has {:.1} GB{}: it cannot \
             load here (`clef model info` suggests a size that fits)",
            needed as f64 / GB,
            total as f64 / GB,
            if vram > 0 {
                format!(" of RAM and {:.1} GB on its GPU", vram as f64 / GB)
            } else {
                String::new()
            }
        )
    })
}

fn meminfo_bytes(meminfo: &str, key: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()
        .map(|kib| kib * 1024)
}

fn cpu_features(cpuinfo: &str) -> Vec<&'static str> {
    let flags: Vec<&str> = cpuinfo
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            matches!(key.trim(), "flags" | "Features").then_some(value)
        })
        .map(|value| value.split_whitespace().collect())
        .unwrap_or_default();
    [
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512_vnni",
        "asimd",
        "sve",
    ]
    .into_iter()
    .filter(|feature| flags.contains(feature))
    .collect()
}

/// GPU memory by name fragment: AMD's sysfs files (no name: matched to any adapter) and
/// `nvidia-smi`'s list.
fn gpu_memories() -> Vec<(String, u64)> {
    let mut found = Vec::new();
    if let Ok(cards) = std::fs::read_dir("/sys/class/drm") {
        for card in cards.flatten() {
            let total = card.path().join("device/mem_info_vram_total");
            if let Some(bytes) = std::fs::read_to_string(total)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
            {
                found.push((String::new(), bytes));
            }
        }
    }
    let nvidia = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,memory.total",
            "--format=csv,noheader,nounits",
        ])
        .stderr(std::process::Stdio::null())
        .output();
    if let Ok(output) = nvidia
        && output.status.success()
    {
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some((name, mebibytes)) = line.rsplit_once(',')
                && let Ok(mebibytes) = mebibytes.trim().parse::<u64>()
            {
                found.push((name.trim().to_owned(), mebibytes << 20));
            }
        }
    }
    found
}

/// A size of model to suggest.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// "7–8B", "3–4B", "1.5–2B", "0.5B".
    pub parameters: &'static str,
    pub quantization: &'static str,
    /// The file's approximate size.
    pub size: u64,
    /// Where it runs: "GPU" or "CPU".
    pub device: &'static str,
    pub why: Vec<String>,
}

/// The sizes Clef suggests among, largest first, with their parameter counts.
const TIERS: [(&str, f64); 4] = [
    ("7–8B", 7.6e9),
    ("3–4B", 3.5e9),
    ("1.5–2B", 1.6e9),
    ("0.5B", 0.5e9),
];

/// The largest model this machine runs well.
pub fn suggest(machine: &Machine) -> Suggestion {
    let mut why = Vec::new();
    let ram_budget = machine
        .available_memory
        .map(|free| free.saturating_sub(BROWSER_RESERVE));
    if let Some(gpu) = machine.best_gpu() {
        let vram = gpu.memory.unwrap_or(0);
        // Weights and a few thousand tokens of context in the GPU's memory.
        let budget = (vram as f64 * 0.85) as u64;
        for (label, parameters) in TIERS {
            let q4 = (parameters * Q4_K_M_BYTES) as u64;
            if q4 + q4 / 5 <= budget {
                let (quantization, size) = if (parameters * 0.82) as u64 * 6 / 5 <= budget {
                    ("Q6_K", (parameters * 0.82) as u64)
                } else {
                    ("Q4_K_M", q4)
                };
                why.push(format!(
                    "{} has {:.1} GB of its own memory: a {label} model at {quantization} \
                     ({:.1} GB) fits there with room for its context",
                    gpu.name,
                    vram as f64 / GB,
                    size as f64 / GB
                ));
                return Suggestion {
                    parameters: label,
                    quantization,
                    size,
                    device: "GPU",
                    why,
                };
            }
        }
        why.push(format!(
            "{} has too little memory ({:.1} GB) for even the smallest model: the CPU runs it",
            gpu.name,
            vram as f64 / GB
        ));
    } else if machine.gpus.iter().any(|gpu| !gpu.software) {
        why.push("the GPU does not say how much memory it has: suggesting for the CPU".to_owned());
    } else {
        why.push("no GPU to offload to: the CPU runs the model".to_owned());
    }
    // On the CPU each token reads every weight: memory bandwidth sets the speed; reading a
    // page scales with cores; llama.cpp's fast paths need AVX2 (or NEON).
    let fast_enough = (CPU_BANDWIDTH / INTERACTIVE) as u64;
    let slow_cpu =
        !machine.cpu_features.contains(&"avx2") && !machine.cpu_features.contains(&"asimd");
    // Why the size above the one chosen was not: the reasons the user reads.
    let mut held_back: Vec<String> = Vec::new();
    for (label, parameters) in TIERS {
        let size = (parameters * Q4_K_M_BYTES) as u64;
        let mut blockers = Vec::new();
        if let Some(budget) = ram_budget
            && size + size / 5 > budget
        {
            blockers.push(format!(
                "a {label} model ({:.1} GB) does not fit the {:.1} GB free beyond what the \
                 browser needs",
                size as f64 / GB,
                budget as f64 / GB
            ));
        }
        if size > fast_enough {
            blockers.push(format!(
                "a {label} model would answer slower than about {INTERACTIVE:.0} tokens a second \
                 on a CPU (each token reads the whole model; {:.0} GB/s assumed)",
                CPU_BANDWIDTH / GB
            ));
        }
        if parameters > machine.cores.max(1) as f64 * PARAMETERS_PER_CORE {
            blockers.push(format!(
                "{} cores read a page's thousands of tokens slowly: a {label} model would take \
                 minutes a summary",
                machine.cores
            ));
        }
        if slow_cpu && parameters > 2.0e9 {
            blockers.push("this CPU lacks AVX2, which llama.cpp's fast paths need".to_owned());
        }
        if blockers.is_empty() {
            if let Some(budget) = ram_budget {
                why.push(format!(
                    "{:.1} GB free beyond what the browser needs: a {label} model at Q4_K_M \
                     ({:.1} GB) fits",
                    budget as f64 / GB,
                    size as f64 / GB
                ));
            }
            why.extend(held_back);
            return Suggestion {
                parameters: label,
                quantization: "Q4_K_M",
                size,
                device: "CPU",
                why,
            };
        }
        held_back = blockers;
    }
    why.push("very little memory is free: only the smallest models will load".to_owned());
    Suggestion {
        parameters: "0.5B",
        quantization: "Q4_K_M",
        size: (0.5e9 * Q4_K_M_BYTES) as u64,
        device: "CPU",
        why,
    }
}

/// How to run one model here.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Whether it loads at all (weights within the machine's memory).
    pub fits: bool,
    pub context: u32,
    pub gpu_layers: u32,
    pub why: Vec<String>,
}

/// Bytes of KV cache per token of context (f16 keys and values), from the model's shape.
pub fn kv_bytes_per_token(summary: &Summary) -> Option<u64> {
    let (layers, embedding, heads) = (summary.layers?, summary.embedding?, summary.heads?);
    let kv_heads = summary.kv_heads.unwrap_or(heads);
    if heads == 0 {
        return None;
    }
    Some(2 * layers * embedding * kv_heads / heads * 2)
}

/// Context and GPU layers for a model of `size` bytes on this machine.
pub fn settings_for(machine: &Machine, size: u64, summary: &Summary) -> Settings {
    let mut why = Vec::new();
    let trained = summary
        .context_length
        .unwrap_or(4_096)
        .min(u64::from(u32::MAX));
    let total = machine.total_memory.unwrap_or(u64::MAX);
    let gpu = machine.best_gpu();
    let vram = gpu.and_then(|gpu| gpu.memory).unwrap_or(0);
    if size + size / 10 > total.saturating_add(vram) {
        why.push(format!(
            "the model needs about {:.1} GB and this machine has {:.1} GB in all",
            (size + size / 10) as f64 / GB,
            total.saturating_add(vram) as f64 / GB
        ));
        return Settings {
            fits: false,
            context: 0,
            gpu_layers: 0,
            why,
        };
    }
    let layers = summary.layers.unwrap_or(0);
    // GPU layers: as many as its memory holds beside a share for the context.
    let mut gpu_layers = 0;
    if let Some(gpu) = gpu
        && layers > 0
    {
        let per_layer = size / (layers + 1);
        let room = (vram as f64 * 0.85) as u64;
        gpu_layers = (room / per_layer.max(1)).min(layers + 1);
        why.push(format!(
            "{} of {} layers on {} ({:.1} GB of memory)",
            gpu_layers,
            layers + 1,
            gpu.name,
            vram as f64 / GB
        ));
    } else {
        why.push("no GPU with known memory: every layer on the CPU".to_owned());
    }
    let on_gpu = if layers > 0 {
        size * gpu_layers / (layers + 1)
    } else {
        0
    };
    let free = machine
        .available_memory
        .unwrap_or(total)
        .saturating_sub(BROWSER_RESERVE)
        .saturating_sub(size - on_gpu.min(size));
    let context = match kv_bytes_per_token(summary) {
        Some(per_token) if per_token > 0 => {
            let room = free / per_token;
            // Whole thousands, within what the model was trained for and Clef's cap.
            let context = (room.min(trained).min(32_768) / 1_024 * 1_024).max(2_048);
            why.push(format!(
                "context {context} tokens: {} KB of cache a token, {:.1} GB free after the \
                 weights and the browser (trained for {trained})",
                per_token / 1_000,
                free as f64 / GB
            ));
            context
        }
        _ => {
            why.push("context 4096 tokens: the model does not give its shape".to_owned());
            4_096
        }
    };
    Settings {
        fits: true,
        context: u32::try_from(context).unwrap_or(4_096),
        gpu_layers: u32::try_from(gpu_layers).unwrap_or(0),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(free_gb: f64, features: &[&'static str], gpu: Option<f64>) -> Machine {
        Machine {
            total_memory: Some((free_gb * 1.5 * GB) as u64),
            available_memory: Some((free_gb * GB) as u64),
            cores: 8,
            cpu_features: features.to_vec(),
            gpus: gpu
                .map(|memory| Gpu {
                    name: "Test GPU".to_owned(),
                    memory: Some((memory * GB) as u64),
                    software: false,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn memory_gpu_and_cpu_features_decide_the_size() {
        let laptop = suggest(&machine(6.0, &["avx2", "fma"], None));
        assert_eq!(
            (laptop.parameters, laptop.device),
            ("3–4B", "CPU"),
            "{laptop:?}"
        );
        let small = suggest(&machine(3.0, &["avx2"], None));
        assert_eq!(small.parameters, "1.5–2B", "{small:?}");
        let old_cpu = suggest(&machine(16.0, &[], None));
        assert_eq!(old_cpu.parameters, "1.5–2B", "{old_cpu:?}");
        assert!(old_cpu.why.iter().any(|why| why.contains("AVX2")));
        let gaming = suggest(&machine(16.0, &["avx2"], Some(12.0)));
        assert_eq!(
            (gaming.parameters, gaming.quantization, gaming.device),
            ("7–8B", "Q6_K", "GPU")
        );
        let eight_gb = suggest(&machine(16.0, &["avx2"], Some(8.0)));
        assert_eq!(
            (eight_gb.parameters, eight_gb.quantization),
            ("7–8B", "Q4_K_M")
        );
        let tiny = suggest(&machine(0.5, &["avx2"], None));
        assert_eq!(tiny.parameters, "0.5B");
        let two_cores = suggest(&Machine {
            cores: 2,
            ..machine(20.0, &["avx2"], None)
        });
        assert_eq!(two_cores.parameters, "1.5–2B", "{two_cores:?}");
    }

    #[test]
    fn context_and_layers_follow_the_models_shape() {
        // Qwen2.5-1.5B's shape: 28 layers, 1536 wide, 12 heads, 2 for keys and values.
        let summary = Summary {
            context_length: Some(32_768),
            layers: Some(28),
            embedding: Some(1_536),
            heads: Some(12),
            kv_heads: Some(2),
            ..Summary::default()
        };
        assert_eq!(kv_bytes_per_token(&summary), Some(28_672));
        let cpu = settings_for(&machine(3.0, &["avx2"], None), 1_117_320_768, &summary);
        assert!(cpu.fits && cpu.gpu_layers == 0, "{cpu:?}");
        assert_eq!(cpu.context, 13_312, "{cpu:?}");
        let gpu = settings_for(&machine(3.0, &["avx2"], Some(8.0)), 1_117_320_768, &summary);
        assert_eq!(gpu.gpu_layers, 29, "{gpu:?}");
        assert_eq!(gpu.context, 32_768, "{gpu:?}");
        let too_big = settings_for(&machine(1.0, &["avx2"], None), 40_000_000_000, &summary);
        assert!(
            !too_big.fits && too_big.why[0].contains("needs about 44.0 GB"),
            "{too_big:?}"
        );
    }
}
