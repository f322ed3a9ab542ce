//! Runs named tests in order on one headless browser and prints a summary line.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clef_browser::{Headless, HeadlessOptions};

pub struct Ctx {
    pub browser: Headless,
}

pub type Test = fn(&Ctx) -> anyhow::Result<()>;

pub fn run(tests: &[(&str, Test)]) -> ExitCode {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let selected: Vec<_> = tests
        .iter()
        .filter(|(name, _)| {
            filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()))
        })
        .collect();
    // Pages the tests' `clef` processes keep go to a cache of the run's own, not the user's.
    let cache = std::env::temp_dir().join(format!("clef-e2e-cache-{}", std::process::id()));
    // SAFETY: no other thread exists yet (Servo starts below).
    unsafe { std::env::set_var("XDG_CACHE_HOME", &cache) };
    let ctx = Ctx {
        browser: Headless::new(HeadlessOptions {
            viewport: (800, 600),
            load_timeout: Duration::from_secs(20),
            step_timeout: Duration::from_secs(10),
        }),
    };
    println!("running {} tests", selected.len());
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in selected {
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| test(&ctx)));
        let elapsed = started.elapsed().as_secs_f64();
        match outcome {
            Ok(Ok(())) => {
                passed += 1;
                println!("test {name} ... ok ({elapsed:.2} s)");
            }
            Ok(Err(error)) => {
                failed += 1;
                println!("test {name} ... FAILED ({elapsed:.2} s)\n    {error:#}");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED (panicked)");
            }
        }
    }
    println!("\ne2e: {passed} passed, {failed} failed");
    let _ = std::fs::remove_dir_all(&cache);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `anyhow::ensure!` reads better with a value shown: fail with what was seen.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {{
        let holds: bool = $cond;
        if !holds {
            anyhow::bail!($($fmt)+);
        }
    }};
}
