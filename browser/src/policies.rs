//! Where the organisation's policy comes from (the system file, `CLEF_POLICIES`, or the one
//! built into an edition) and the parts of it that need the browser: the page cache and model
//! hashes. What the policy says and allows is the `clef-policy` crate.

use std::path::{Path, PathBuf};

pub use clef_policy::{Access, Feature, Policies, PolicyError, SYSTEM_PATH};

/// The policy from `CLEF_POLICIES` or the system path; without either file, the policy built
/// into this edition, if any.
pub fn load() -> Policies {
    let path = std::env::var_os("CLEF_POLICIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SYSTEM_PATH));
    if !path.exists()
        && let Some(built_in) = crate::edition::POLICIES
    {
        let source = PathBuf::from(format!("built into the {} edition", crate::edition::NAME));
        return Policies::parse(&source, built_in);
    }
    Policies::load_from(&path)
}

/// Where copies of opened pages are kept, unless the policy says none are (or is broken).
pub fn page_cache(policies: &Policies) -> Option<crate::page_cache::PageCache> {
    if !policies.page_cache_enabled() {
        return None;
    }
    crate::page_cache::PageCache::user_default()
}

/// Refuse a model file not on the organisation's allow-list.
pub fn check_model(policies: &Policies, path: &Path) -> Result<(), PolicyError> {
    policies.check_model(path, |path| {
        clef_engine::gguf::sha256_file(path).map_err(|error| error.to_string())
    })
}
