//! What graphics adapters this machine has, as wgpu sees them (logged at start; the worker
//! separately reports llama.cpp's own devices and how many layers it offloaded).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adapter {
    pub name: String,
    pub backend: String,
    pub kind: String,
    pub driver: String,
}

impl Adapter {
    /// Software rasterizers (llvmpipe, lavapipe) are adapters but not accelerators.
    pub fn is_software(&self) -> bool {
        self.kind == "Cpu"
    }
}

/// Every Vulkan adapter (what llama.cpp can offload to). GL is left out: probing it makes an
/// EGL context current on the calling thread, under the embedder's own GL state.
pub fn list_adapters() -> Vec<Adapter> {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.backends = wgpu::Backends::VULKAN;
    let instance = wgpu::Instance::new(descriptor);
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN));
    adapters
        .into_iter()
        .map(|adapter| {
            let info = adapter.get_info();
            Adapter {
                name: info.name,
                backend: format!("{:?}", info.backend),
                kind: format!("{:?}", info.device_type),
                driver: [info.driver, info.driver_info].join(" ").trim().to_owned(),
            }
        })
        .collect()
}
