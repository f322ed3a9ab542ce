//! The worker's own empty network namespace: llama.cpp can reach nothing, not even loopback.

/// Move this process into a new network namespace. Must run while single-threaded.
/// Returns how the worker is isolated, or why it is not.
pub fn isolate_network() -> String {
    // Root (or CAP_SYS_ADMIN) can unshare the network alone; an unprivileged user needs a
    // user namespace first, where the distribution allows them.
    // SAFETY: plain syscalls with constant flags, before any thread is started.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0 {
        return "own network namespace".to_owned();
    }
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } == 0 {
        return "own user and network namespace".to_owned();
    }
    let error = std::io::Error::last_os_error();
    tracing::warn!(%error, "the model worker could not get its own network namespace");
    format!("none: {error}")
}
