//! No egress, proved. The browser runs headless in a network namespace of its own whose only
//! neighbour is a test host (a second namespace, served from this process), with a default
//! route to that host so that any attempt to reach anywhere else (a DNS server, telemetry, an
//! update check) travels the wire and is seen. `tcpdump` records every interface of the
//! browser's namespace while Clef reads, summarizes, answers questions, carries out a task and
//! fills a form; every packet must belong to a load of the site's pages, and the site must have
//! been asked only for the pages the user or the task opened. The model worker runs in a
//! namespace with no interfaces at all, nested inside: it has nowhere to send anything. The
//! window then does the same in the same namespace, under Xvfb.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clef_tests::server::{Route, TestServer};
use clef_tests::{clef_bin, stop_gracefully};

use crate::check;
use crate::fixtures;
use crate::harness::Ctx;
use crate::window::{
    Killed, clef_window, focus_window, open_pane, pixels_of, start_xvfb, tools_present,
    wait_for_screen, xdotool,
};

const SITE: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const BROWSER: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
/// A second site on the test host, named by the injected page; nothing may reach it.
const OTHER_SITE: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 9);
/// The site's HTTPS port, with a self-signed certificate.
const TLS_PORT: u16 = 8443;

pub fn only_the_pages_asked_for_leave_the_namespace(_: &Ctx) -> anyhow::Result<()> {
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let namespaces = match Namespaces::create() {
        Ok(namespaces) => namespaces,
        Err(error) => return cannot_run(&format!("cannot create network namespaces: {error:#}")),
    };
    if !Command::new("tcpdump")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
    {
        return cannot_run("tcpdump is not installed (scripts/setup.sh installs it)");
    }

    let other = TestServer::on(
        namespaces.listen_on_host(OTHER_SITE)?,
        [
            ("/steal", Route::html("<title>stolen</title>")),
            ("/collect", Route::html("<title>collected</title>")),
            ("/prize", Route::html("<title>prize</title>")),
        ],
    )?;
    let news =
        fixtures::INJECTED_SUBSCRIBE.replace("__EVIL__", &format!("http://{}", other.addr()));
    let site = TestServer::on(
        namespaces.listen_on_host(SITE)?,
        [
            ("/article", Route::html(fixtures::DANUBE)),
            ("/", Route::html(fixtures::SEARCH)),
            ("/results", Route::html(fixtures::RESULTS)),
            ("/results2", Route::html(fixtures::RESULTS_2)),
            ("/river/loire", Route::html(fixtures::river("Loire"))),
            ("/river/seine", Route::html(fixtures::river("Seine"))),
            ("/river/rhone", Route::html(fixtures::river("Rhone"))),
            ("/river/garonne", Route::html(fixtures::river("Garonne"))),
            ("/news", Route::html(news)),
        ],
    )?;

    let dir = std::env::temp_dir().join(format!("clef-egress-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("config/clef"))?;
    std::fs::write(
        dir.join("config/clef/config.toml"),
        "[profile]\ngiven_name = \"Bob\"\nemail = \"bob@example.com\"\n",
    )?;
    let _tls_site = namespaces.serve_tls_on_host(&dir)?;
    let capture = Capture::start(&namespaces.browser, &dir.join("egress.pcap"))?;
    let model = model.to_string_lossy().into_owned();
    let audit = dir.join("audit.jsonl").to_string_lossy().into_owned();
    let clef = |args: &[&str]| namespaces.run_clef(&dir, args);

    let output = clef(&["read", &site.url("/article")])?;
    succeeded("read", &output, "Vienna")?;
    let output = clef(&["summarize", &site.url("/article"), "--model", &model])?;
    succeeded("summarize", &output, "Sources:")?;
    let output = clef(&[
        "ask",
        &site.url("/article"),
        "Which capital cities are on the Danube?",
        "--model",
        &model,
    ])?;
    succeeded("ask", &output, "Sources:")?;
    let output = clef(&[
        "run",
        "--start",
        &site.url("/"),
        "--task",
        "search for \"rivers\" and open the third result",
        "--audit",
        &audit,
        "--model",
        &model,
    ])?;
    succeeded("run (search)", &output, "done:")?;
    let output = clef(&[
        "run",
        "--start",
        &site.url("/news"),
        "--task",
        "subscribe to the newsletter with my email",
        "--allow-origin",
        &format!("http://{}", site.addr()),
        "--audit",
        &audit,
        "--model",
        &model,
    ])?;
    succeeded("run (form)", &output, "done:")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        stdout.contains("type \"{{email}}\" into"),
        "the form was not filled from the profile: {stdout}"
    );

    // An HTTPS page whose certificate does not verify is refused on the spot: no revocation
    // list, OCSP responder or issuer certificate is fetched to decide.
    let output = clef(&["headless", &format!("https://{SITE}:{TLS_PORT}/"), "--text"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    check!(
        output.status.code() == Some(3) && stderr.contains("secure connection"),
        "an unverifiable certificate was not refused ({:?}): {stderr}",
        output.status.code()
    );

    // The window adds nothing of its own: the article again, the pane, a summary, a question.
    if tools_present(&["Xvfb", "xdotool", "import"])? {
        window_summary_and_question(&namespaces, &dir, &site.url("/article"), &model)?;
    }

    let packets = capture.finish(&namespaces.browser)?;
    let _ = std::fs::remove_dir_all(&dir);
    let site_port = site.addr().port();
    let unexpected: Vec<&String> = packets
        .iter()
        .filter(|packet| !expected_packet(packet, &[site_port, TLS_PORT]))
        .collect();
    let connections = packets
        .iter()
        .filter(|packet| packet.contains("Flags [S]"))
        .count();
    println!(
        "    egress: {} packets captured, {connections} connections opened, all to {SITE}:{site_port} or :{TLS_PORT}; {} unexpected",
        packets.len(),
        unexpected.len()
    );
    check!(
        unexpected.is_empty(),
        "packets that are not a page load of {SITE}:{site_port} or :{TLS_PORT}:\n{}",
        unexpected
            .iter()
            .map(|packet| packet.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    check!(!packets.is_empty(), "the capture saw no packets at all");
    check!(
        other.requests().is_empty() && other.connections() == 0,
        "the site named by the injected page was contacted: {:?}",
        other.requests()
    );
    let asked_for = ["/article", "/", "/results", "/river/rhone", "/news"];
    let requests = site.requests();
    println!("    egress: the site was asked for {requests:?}");
    for request in &requests {
        let path = request.split_once(' ').map_or("", |(_, path)| path);
        check!(
            asked_for.contains(&path),
            "the site was asked for {request}, which nobody opened"
        );
    }
    for path in asked_for {
        check!(site.hits(path) > 0, "{path} was never loaded");
    }
    Ok(())
}

/// The colour of a summary point's citation in the pane.
const CITATION: [u8; 3] = [0xf2, 0xb7, 0x05];

/// The window in the browser's namespace (Xvfb outside it: X clients reach it by its socket
/// file): open the pane, summarize the page, ask about it.
fn window_summary_and_question(
    namespaces: &Namespaces,
    dir: &Path,
    url: &str,
    model: &str,
) -> anyhow::Result<()> {
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", &namespaces.browser])
        .arg(clef_bin())
        .args([url, "--model", model])
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"));
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "Danube")?;
    open_pane(&display)?;
    xdotool(&display, &["mousemove", "998", "208", "click", "1"])?;
    wait_for_screen(
        &display,
        &dir.join("window.png"),
        Duration::from_secs(30),
        "no cited summary in the window's pane",
        |image| pixels_of(image, CITATION, 400) > 0,
    )?;
    xdotool(&display, &["mousemove", "1000", "750", "click", "1"])?;
    xdotool(
        &display,
        &[
            "type",
            "--delay",
            "10",
            "Which capital cities are on the Danube?",
        ],
    )?;
    xdotool(&display, &["key", "Return"])?;
    std::thread::sleep(Duration::from_secs(6));
    Ok(())
}

/// Where the machine cannot run this test: loud always, a failure in CI.
fn cannot_run(reason: &str) -> anyhow::Result<()> {
    check!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI: the egress test cannot run: {reason}"
    );
    println!("    !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    println!("    !!! EGRESS NOT CHECKED: {reason}");
    println!("    !!! Run as root (or with CAP_NET_ADMIN and CAP_SYS_ADMIN), with iproute2 and");
    println!("    !!! tcpdump: sudo cargo test --release -p clef-tests --test e2e -- egress");
    println!("    !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    Ok(())
}

fn succeeded(what: &str, output: &Output, expected: &str) -> anyhow::Result<()> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success() && stdout.contains(expected),
        "{what} in the namespace ({:?}): {stdout}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// A packet of a page load: TCP between the browser and one of the site's ports, or ARP between
/// the two of them. `tcpdump -n` lines read "IFACE DIR IP A.B.C.D.PORT > E.F.G.H.PORT: ...".
fn expected_packet(line: &str, site_ports: &[u16]) -> bool {
    let is_site = |end: &str| {
        site_ports
            .iter()
            .any(|port| end == format!("{SITE}.{port}"))
    };
    if let Some(rest) = line.split(" IP ").nth(1) {
        let mut words = rest.split_whitespace();
        let (Some(from), Some(">"), Some(to)) = (words.next(), words.next(), words.next()) else {
            return false;
        };
        let to = to.trim_end_matches(':');
        let browser_side = |end: &str| {
            end.rsplit_once('.')
                .is_some_and(|(ip, _port)| ip == BROWSER.to_string())
        };
        let is_tcp = rest.contains(": Flags [");
        return is_tcp
            && ((is_site(from) && browser_side(to)) || (is_site(to) && browser_side(from)));
    }
    if line.contains(" ARP, ") {
        let addresses: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|word| word.parse::<Ipv4Addr>().is_ok())
            .collect();
        return !addresses.is_empty()
            && addresses
                .iter()
                .all(|ip| *ip == SITE.to_string() || *ip == BROWSER.to_string());
    }
    false
}

/// Two namespaces joined by a veth pair: the test host (`SITE`, `OTHER_SITE`) and the browser's
/// (`BROWSER`, default route to the host). IPv6 is off in both so the kernel's own neighbour
/// discovery does not mix with what the browser sends. Deleted on drop.
struct Namespaces {
    host: String,
    browser: String,
}

impl Namespaces {
    fn create() -> anyhow::Result<Self> {
        let id = std::process::id();
        let namespaces = Self {
            host: format!("clef-site-{id}"),
            browser: format!("clef-browser-{id}"),
        };
        ip(&["netns", "add", &namespaces.host])?;
        ip(&["netns", "add", &namespaces.browser])?;
        for namespace in [&namespaces.host, &namespaces.browser] {
            in_namespace(
                namespace,
                &[
                    "sysctl",
                    "-q",
                    "-w",
                    "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1",
                ],
            )?;
            ip(&["-n", namespace, "link", "set", "lo", "up"])?;
        }
        let (host, browser) = (&namespaces.host, &namespaces.browser);
        ip(&[
            "-n", host, "link", "add", "site0", "type", "veth", "peer", "name", "browser0",
            "netns", browser,
        ])?;
        for address in [SITE, OTHER_SITE] {
            ip(&[
                "-n",
                host,
                "addr",
                "add",
                &format!("{address}/24"),
                "dev",
                "site0",
            ])?;
        }
        ip(&["-n", host, "link", "set", "site0", "up"])?;
        ip(&[
            "-n",
            browser,
            "addr",
            "add",
            &format!("{BROWSER}/24"),
            "dev",
            "browser0",
        ])?;
        ip(&["-n", browser, "link", "set", "browser0", "up"])?;
        ip(&[
            "-n",
            browser,
            "route",
            "add",
            "default",
            "via",
            &SITE.to_string(),
        ])?;
        Ok(namespaces)
    }

    /// A listener on the test host: bound from a thread that entered the host's namespace (a
    /// socket stays in the namespace it was made in; the accepting thread need not be there).
    fn listen_on_host(&self, address: Ipv4Addr) -> anyhow::Result<TcpListener> {
        let namespace = File::open(Path::new("/var/run/netns").join(&self.host))?;
        let bound = std::thread::spawn(move || -> std::io::Result<TcpListener> {
            // SAFETY: `namespace` is an open namespace file; setns changes only this thread,
            // which ends right after binding.
            if unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            TcpListener::bind((address, 0))
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the listener thread panicked"))??;
        Ok(bound)
    }

    /// `openssl s_server` on the test host at `SITE:TLS_PORT`, with a fresh self-signed
    /// certificate; stopped when dropped.
    fn serve_tls_on_host(&self, dir: &Path) -> anyhow::Result<Killed> {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", &format!("/CN={SITE}"), "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()?;
        check!(made.success(), "openssl could not make a certificate");
        let server = Killed(
            Command::new("ip")
                .args([
                    "netns", "exec", &self.host, "openssl", "s_server", "-quiet", "-www",
                ])
                .args(["-accept", &format!("{SITE}:{TLS_PORT}"), "-cert"])
                .arg(&cert)
                .arg("-key")
                .arg(&key)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let listening = Command::new("ip")
                .args(["netns", "exec", &self.host, "ss", "-ltnH"])
                .output()?;
            if String::from_utf8_lossy(&listening.stdout).contains(&format!(":{TLS_PORT}")) {
                return Ok(server);
            }
            check!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `clef ARGS` inside the browser's namespace, with config and cache directories of its own.
    fn run_clef(&self, dir: &Path, args: &[&str]) -> anyhow::Result<Output> {
        Ok(Command::new("ip")
            .args(["netns", "exec", &self.browser])
            .arg(clef_bin())
            .args(args)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .output()?)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace removes the veth pair with it.
        let _ = ip(&["netns", "del", &self.browser]);
        let _ = ip(&["netns", "del", &self.host]);
    }
}

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("ip").args(args).output()?;
    check!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

fn in_namespace(namespace: &str, command: &[&str]) -> anyhow::Result<()> {
    let mut args = vec!["netns", "exec", namespace];
    args.extend_from_slice(command);
    ip(&args)
}

/// `tcpdump` on every interface of a namespace, written packet by packet to a file.
struct Capture {
    tcpdump: Child,
    file: PathBuf,
}

impl Capture {
    fn start(namespace: &str, file: &Path) -> anyhow::Result<Self> {
        let mut tcpdump = Command::new("ip")
            .args([
                "netns", "exec", namespace, "tcpdump", "-i", "any", "-n", "-U", "-w",
            ])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = tcpdump
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("tcpdump has no stderr"))?;
        // tcpdump says "listening on any" once the capture is open; nothing before that counts.
        let (listening, ready) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = listening.send(());
                }
            }
        });
        let mut capture = Self {
            tcpdump,
            file: file.to_owned(),
        };
        if ready.recv_timeout(Duration::from_secs(10)).is_err() {
            stop_gracefully(&mut capture.tcpdump);
            anyhow::bail!("tcpdump did not start listening within 10 s");
        }
        Ok(capture)
    }

    /// Stop capturing and return every packet, one line each (read back inside the namespace
    /// so that interface numbers print as its interfaces' names).
    fn finish(mut self, namespace: &str) -> anyhow::Result<Vec<String>> {
        // Late packets (a closing handshake) arrive within moments of the last exit.
        std::thread::sleep(Duration::from_millis(500));
        stop_gracefully(&mut self.tcpdump);
        let output = Command::new("ip")
            .args(["netns", "exec", namespace, "tcpdump", "-n", "-tt", "-r"])
            .arg(&self.file)
            .output()?;
        check!(
            output.status.success(),
            "reading the capture: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    }
}
