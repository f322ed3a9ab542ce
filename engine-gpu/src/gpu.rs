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

/// Every adapter on every backend wgpu was built with (Vulkan, GL).
pub fn list_adapters() -> Vec<Adapter> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
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
