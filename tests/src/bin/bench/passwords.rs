//! `clef-bench passwords`: the password store and downloads — the encrypted file's unlock
//! (key derivation), import, listing and one site's lookup at 1,000 logins; the same through a
//! real Secret Service (GNOME Keyring on a private D-Bus) when it is installed; a 200 MB
//! download from loopback: throughput and the memory it adds.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clef_browser::downloads::{DownloadRequest, DownloadState, Downloads};
use clef_browser::policies::Policies;
use clef_profile::secrets::{Secret, Secrets, StoreChoice};
use clef_tests::server::{Route, TestServer};

const LOGINS: usize = 1_000;
const LOOKUPS: usize = 50;
const DOWNLOAD_BYTES: usize = 200_000_000;

fn logins() -> Vec<Secret> {
    (0..LOGINS)
        .map(|index| {
            Secret::login(
                &format!("https://site{index}.example"),
                &format!("user{index}"),
                &format!("Pw-{index}-bench"),
            )
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn measure(label: &str, secrets: &Secrets, count: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    secrets.save_all(logins().into_iter().take(count).collect())?;
    let import = started.elapsed();
    let started = Instant::now();
    let listed = secrets.list()?.len();
    let list = started.elapsed();
    let mut lookups = Vec::new();
    for index in 0..LOOKUPS {
        let started = Instant::now();
        let found = secrets.logins(&format!("https://site{}.example", index * 7 % count))?;
        lookups.push(started.elapsed());
        anyhow::ensure!(found.len() == 1, "lookup {index} found {}", found.len());
    }
    println!(
        "  {label:<16} save {count} logins {:>8.1} ms   list ({listed}) {:>7.1} ms   one site's login (median of {LOOKUPS}) {:>6.2} ms",
        import.as_secs_f64() * 1000.0,
        list.as_secs_f64() * 1000.0,
        median(lookups).as_secs_f64() * 1000.0,
    );
    Ok(())
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

pub fn run() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("clef-bench-passwords-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    println!("\npasswords, 2 CPU cores");

    let mut file = Secrets::open(&dir.join("file"), StoreChoice::File)?;
    let started = Instant::now();
    file.unlock("a benchmark passphrase")?;
    println!(
        "  encrypted file: create + unlock (PBKDF2-HMAC-SHA256, 600,000 rounds) {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    measure("encrypted file", &file, LOGINS)?;
    let size = std::fs::metadata(dir.join("file/secrets.enc"))?.len();
    println!(
        "  encrypted file: {:.1} KB for {LOGINS} logins",
        size as f64 / 1000.0
    );

    match keyring(&dir) {
        Ok(Some((address, mut bus))) => {
            // SAFETY: set before any thread of this process reads the environment.
            unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address) };
            let service = Secrets::open(&dir.join("service"), StoreChoice::SecretService)?;
            let result = measure("Secret Service", &service, 200);
            let _ = Command::new("pkill")
                .args(["-f", "gnome-keyring-daemon --unlock --components=secrets"])
                .status();
            let _ = bus.kill();
            result?;
        }
        Ok(None) => {
            println!("  Secret Service: skipped (gnome-keyring-daemon or dbus-daemon missing)")
        }
        Err(error) => println!("  Secret Service: failed to start: {error}"),
    }

    let server = TestServer::start([(
        "/big.bin",
        Route::Trickle {
            content_type: "application/octet-stream",
            total: DOWNLOAD_BYTES,
            chunk: 1 << 20,
            interval: Duration::ZERO,
        },
    )])?;
    let mut downloads = Downloads::new(dir.join("Downloads"));
    let before = peak_rss_kb();
    let started = Instant::now();
    let id = downloads.start(
        DownloadRequest {
            url: url::Url::parse(&server.url("/big.bin"))?,
            cookies: None,
            referrer: None,
            suggested_name: None,
        },
        Policies::default(),
        Arc::new(|| {}),
    );
    let view = loop {
        let view = downloads
            .list()
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| anyhow::anyhow!("the download vanished"))?;
        if view.state != DownloadState::Running {
            break view;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    anyhow::ensure!(
        view.state == DownloadState::Done,
        "download: {}",
        view.status
    );
    println!(
        "  download of {} MB from loopback: {:.2} s, {:.0} MB/s, peak memory +{:.1} MB",
        DOWNLOAD_BYTES / 1_000_000,
        elapsed.as_secs_f64(),
        DOWNLOAD_BYTES as f64 / 1e6 / elapsed.as_secs_f64(),
        (peak_rss_kb().saturating_sub(before)) as f64 / 1000.0
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A private D-Bus with GNOME Keyring unlocked on it: its address and the bus process.
fn keyring(dir: &std::path::Path) -> anyhow::Result<Option<(String, std::process::Child)>> {
    let have = |program: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !have("dbus-daemon") || !have("gnome-keyring-daemon") {
        return Ok(None);
    }
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut address = String::new();
    if let Some(stdout) = bus.stdout.take() {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).read_line(&mut address)?;
    }
    let address = address.trim().to_owned();
    let home = dir.join("keyring-home");
    std::fs::create_dir_all(home.join("run"))?;
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = daemon.stdin.take() {
        use std::io::Write;
        stdin.write_all(b"bench keyring")?;
    }
    daemon.wait()?;
    Ok(Some((address, bus)))
}
