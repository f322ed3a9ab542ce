//! A tiny HTTP/1.1 server on 127.0.0.1 (or any listener a test opens) for fixture pages, with
//! the misbehaviours tests need; it remembers every request it was sent.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A request as a [`Route::Dynamic`] handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (any case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A handler's answer: status, content type, body.
pub type Response = (u16, &'static str, Vec<u8>);

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// What the server does for one path. A path ending in `*` serves every path it starts.
#[derive(Clone)]
pub enum Route {
    /// A response with this status, content type and body.
    Page {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Accept the request, send nothing, hold the connection for this long.
    Hang(Duration),
    /// Answered by a function of the request (files from a folder, a POST's body kept).
    Dynamic(Arc<Handler>),
    /// A redirect (301, 302, 303, 307, 308) to `location`, absolute or relative, sent as is.
    Redirect { status: u16, location: String },
    /// The route after a delay (a slow server).
    Slow(Duration, Box<Route>),
    /// The route with more response headers (`Set-Cookie`, `Content-Disposition`).
    WithHeaders(Vec<(String, String)>, Box<Route>),
    /// The bytes the function returns, sent as they are (status line, headers and all), then
    /// the connection closed: range answers, a body cut short.
    Raw(Arc<RawHandler>),
    /// A body of `total` bytes sent `chunk` at a time, one chunk per `interval` (a slow
    /// download: progress shows, and a cancel arrives before the end).
    Trickle {
        content_type: &'static str,
        total: usize,
        chunk: usize,
        interval: Duration,
    },
}

type RawHandler = dyn Fn(&Request) -> Vec<u8> + Send + Sync;

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Page { status, .. } => write!(f, "Page({status})"),
            Self::Hang(duration) => write!(f, "Hang({duration:?})"),
            Self::Dynamic(_) => write!(f, "Dynamic"),
            Self::Redirect { status, location } => write!(f, "Redirect({status} {location})"),
            Self::Slow(delay, route) => write!(f, "Slow({delay:?}, {route:?})"),
            Self::WithHeaders(headers, route) => write!(f, "WithHeaders({headers:?}, {route:?})"),
            Self::Raw(_) => write!(f, "Raw"),
            Self::Trickle { total, .. } => write!(f, "Trickle({total})"),
        }
    }
}

impl Route {
    pub fn html(body: impl Into<String>) -> Self {
        Self::Page {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: body.into(),
        }
    }

    pub fn dynamic(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Self {
        Self::Dynamic(Arc::new(handler))
    }

    pub fn redirect(status: u16, location: impl Into<String>) -> Self {
        Self::Redirect {
            status,
            location: location.into(),
        }
    }

    pub fn slow(delay: Duration, route: Route) -> Self {
        Self::Slow(delay, Box::new(route))
    }

    pub fn raw(handler: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static) -> Self {
        Self::Raw(Arc::new(handler))
    }

    /// This route, answered with `headers` too.
    pub fn with_headers(self, headers: &[(&str, &str)]) -> Self {
        let headers = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Self::WithHeaders(headers, Box::new(self))
    }

    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Page {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into(),
        }
    }
}

/// Serves its routes until dropped; every connection is handled on its own thread.
pub struct TestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    connections: Arc<AtomicUsize>,
}

impl TestServer {
    pub fn start(
        routes: impl IntoIterator<Item = (impl Into<String>, Route)>,
    ) -> std::io::Result<Self> {
        Self::on(TcpListener::bind("127.0.0.1:0")?, routes)
    }

    /// Serve on a listener the caller opened (another address, another network namespace).
    pub fn on(
        listener: TcpListener,
        routes: impl IntoIterator<Item = (impl Into<String>, Route)>,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let routes: Arc<HashMap<String, Route>> = Arc::new(
            routes
                .into_iter()
                .map(|(path, route)| (path.into(), route))
                .collect(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (stop_flag, request_log, count) = (stop.clone(), requests.clone(), connections.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (routes, request_log, stop) =
                    (routes.clone(), request_log.clone(), stop_flag.clone());
                thread::spawn(move || serve(stream, &routes, &request_log, &stop));
            }
        });
        Ok(Self {
            addr,
            stop,
            requests,
            connections,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many requests reached `path` (any method, any query).
    pub fn hits(&self, path: &str) -> usize {
        self.targets()
            .iter()
            .filter(|request| {
                request
                    .split_once(' ')
                    .is_some_and(|(_, p)| p.split('?').next() == Some(path))
            })
            .count()
    }

    /// Every request so far, in arrival order, as "METHOD /path".
    pub fn requests(&self) -> Vec<String> {
        self.targets()
            .into_iter()
            .map(|request| match request.split_once('?') {
                Some((start, _)) => start.to_owned(),
                None => request,
            })
            .collect()
    }

    /// Every request so far with its query, as "METHOD /path?query".
    pub fn targets(&self) -> Vec<String> {
        self.received()
            .into_iter()
            .map(|request| format!("{} {}", request.method, request.target))
            .collect()
    }

    /// Every request so far, whole: method, target and body. One server is one origin, so
    /// this is the log of what reached that origin.
    pub fn received(&self) -> Vec<Request> {
        self.requests
            .lock()
            .map(|requests| requests.clone())
            .unwrap_or_default()
    }

    /// Whether any request (its target, percent-decoded, or its body) contained `text`.
    pub fn received_text(&self, text: &str) -> bool {
        self.received().iter().any(|request| {
            let target = percent_decode(&request.target);
            target.contains(text)
                || String::from_utf8_lossy(&request.body).contains(text)
                || percent_decode(&String::from_utf8_lossy(&request.body)).contains(text)
        })
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Unblock the accept loop so its thread ends.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    stream: TcpStream,
    routes: &HashMap<String, Route>,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(reader_stream) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader_stream);
    let mut writer = stream;
    // Keep-alive: answer requests on this connection until the client closes it.
    loop {
        let mut request_line = String::new();
        // A dropped server answers nothing, even on a connection kept alive from before.
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 || stop.load(Ordering::SeqCst) {
            return;
        }
        let mut header = String::new();
        let mut length = 0usize;
        let mut headers = Vec::new();
        while reader.read_line(&mut header).unwrap_or(0) > 2 {
            if let Some((name, value)) = header.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
            header.clear();
        }
        let mut body = vec![0; length.min(1 << 20)];
        if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or("/");
        let path = target.split('?').next().unwrap_or("/").to_owned();
        let request = Request {
            method: method.clone(),
            target: target.to_owned(),
            headers,
            body,
        };
        if let Ok(mut requests) = requests.lock() {
            requests.push(request.clone());
        }
        let mut route = routes
            .get(&path)
            .or_else(|| {
                routes
                    .iter()
                    .filter_map(|(key, route)| Some((key.strip_suffix('*')?, route)))
                    .filter(|(prefix, _)| path.starts_with(prefix))
                    .max_by_key(|(prefix, _)| prefix.len())
                    .map(|(_, route)| route)
            })
            .cloned()
            .unwrap_or_else(|| Route::status(404, "<title>Not found</title>Not found"));
        let mut extra_headers = String::new();
        let route = loop {
            match route {
                Route::Slow(delay, then) => {
                    if !pause(delay, stop) {
                        return;
                    }
                    route = *then;
                }
                Route::WithHeaders(headers, then) => {
                    for (name, value) in headers {
                        extra_headers.push_str(&format!("{name}: {value}\r\n"));
                    }
                    route = *then;
                }
                other => break other,
            }
        };
        if let Route::Raw(handler) = &route {
            let _ = writer.write_all(&handler(&request));
            return;
        }
        if let Route::Trickle {
            content_type,
            total,
            chunk,
            interval,
        } = route
        {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {total}\r\n{extra_headers}Connection: close\r\n\r\n"
            );
            if writer.write_all(head.as_bytes()).is_err() {
                return;
            }
            let block = vec![b'x'; chunk.max(1)];
            let mut sent = 0;
            while sent < total {
                let size = block.len().min(total - sent);
                if writer.write_all(&block[..size]).is_err() || !pause(interval, stop) {
                    return;
                }
                sent += size;
            }
            return;
        }
        let mut location = None;
        let (status, content_type, body): Response = match route {
            Route::Dynamic(handler) => handler(&request),
            Route::Redirect {
                status,
                location: to,
            } => {
                location = Some(to);
                (status, "text/html; charset=utf-8", b"Moved".to_vec())
            }
            Route::Slow(..) | Route::WithHeaders(..) | Route::Raw(_) | Route::Trickle { .. } => {
                unreachable!("slow, header, raw and trickle routes were handled above")
            }
            Route::Page {
                status,
                content_type,
                body,
            } => (status, content_type, body.into_bytes()),
            Route::Hang(duration) => {
                pause(duration, stop);
                return;
            }
        };
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            500 => "Internal Server Error",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            _ => "Status",
        };
        let location = location
            .map(|to| format!("Location: {to}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\n{location}{extra_headers}Content-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\r\n",
            body.len()
        );
        let body: &[u8] = if method == "HEAD" { &[] } else { &body };
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(body))
            .is_err()
        {
            return;
        }
    }
}

/// Sleep for `duration` in short steps; false when the server was dropped meanwhile.
fn pause(duration: Duration, stop: &AtomicBool) -> bool {
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    while waited < duration {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep(step.min(duration - waited));
        waited += step;
    }
    true
}

/// `%XX` and `+` (a form's space) decoded.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}
