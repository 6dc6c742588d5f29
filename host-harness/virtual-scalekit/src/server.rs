//! Serves a [`VirtualScalekit`] over HTTP/1.1 on loopback (a thread per connection, keep-alive).
//! Requests in absolute form (`GET http://host/path`) are counted: they came through an HTTP proxy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agent_auth_contract::http_date;
use bytes::Bytes;

use super::faults::{Fault, STALL};
use super::{Request, Response, VirtualScalekit};

/// A running loopback server.
pub struct Loopback {
    /// Where it listens.
    pub addr: SocketAddr,
    /// How many requests arrived through an HTTP proxy.
    pub proxied: Arc<AtomicUsize>,
}

impl Loopback {
    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests that arrived through an HTTP proxy so far.
    pub fn proxied_requests(&self) -> usize {
        self.proxied.load(Ordering::SeqCst)
    }
}

/// Decodes `a=1&b=x%20y` into pairs (`+` is a space).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Percent-encodes `text` for a URL path segment or query value: RFC 3986 unreserved characters
/// are kept, every other byte becomes `%XX` (a space is `%20`, as the component sends it).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Binds `addr` (port 0 picks a free one), builds the environment for its URL with `make`, and
/// serves it from background threads.
pub fn spawn(
    addr: &str,
    make: impl FnOnce(&str) -> VirtualScalekit,
) -> std::io::Result<(Arc<VirtualScalekit>, Loopback)> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let double = Arc::new(make(&format!("http://{local}")));
    let served = double.clone();
    let proxied = Arc::new(AtomicUsize::new(0));
    let counter = proxied.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let double = served.clone();
            let counter = counter.clone();
            std::thread::spawn(move || {
                if stream.set_nodelay(true).is_ok() {
                    let _ = serve_stream(stream, &double, &counter);
                }
            });
        }
    });
    Ok((double, Loopback { addr: local, proxied }))
}

/// Serves HTTP/1.1 requests from one connection (plain or TLS) until it closes.
pub fn serve_stream<S: Read + Write>(
    stream: S,
    double: &VirtualScalekit,
    proxied: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return Ok(()) };
        let (method, mut target) = (method.to_owned(), target.to_owned());
        if let Some(rest) = target.strip_prefix("http://") {
            proxied.fetch_add(1, Ordering::SeqCst);
            target = rest.find('/').map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned());
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            read_chunked(&mut reader)?
        } else {
            let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body)?;
            body
        };
        let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
        let request = Request {
            method,
            path: path.to_owned(),
            query: parse_query(query),
            headers: headers.clone(),
            body: Bytes::from(body),
        };
        let fault = double.faults.strike(&request.method, &request.path);
        let response = match &fault {
            Some(f) if !f.runs_the_request() => {
                double.receive(&request);
                match gateway_answer(f) {
                    Some(response) => response,
                    None => return Ok(()), // reset: closed without an answer
                }
            }
            _ => double.handle(&request),
        };
        let message = encode(&response);
        let stream = reader.get_mut();
        match fault {
            None => stream.write_all(&message)?,
            Some(Fault::ResetAfterHandling) => return Ok(()),
            Some(Fault::SlowFirstByte { ms }) => {
                std::thread::sleep(std::time::Duration::from_millis(ms));
                stream.write_all(&message)?;
            }
            Some(ref spoil @ (Fault::TruncateBody { after_bytes } | Fault::StallBody { after_bytes })) => {
                let head = message.len() - response.body.len();
                stream.write_all(&message[..head + after_bytes.min(response.body.len())])?;
                stream.flush()?;
                if matches!(spoil, Fault::StallBody { .. }) {
                    std::thread::sleep(STALL);
                }
                return Ok(());
            }
            Some(Fault::InvalidJson) => {
                let spoiled = Response {
                    status: 200,
                    content_type: "application/json".into(),
                    headers: Vec::new(),
                    body: Bytes::from_static(b"{\"connections\": [{\"key_id\": "),
                };
                stream.write_all(&encode(&spoiled))?;
            }
            Some(_) => stream.write_all(&message)?,
        }
        stream.flush()?;
        if header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            return Ok(());
        }
    }
}

/// The gateway's own answer to a fault that stops the request before it runs; `None`: no answer.
fn gateway_answer(fault: &Fault) -> Option<Response> {
    let json = |status: u16, body: serde_json::Value| Response {
        status,
        content_type: "application/json".into(),
        headers: Vec::new(),
        body: Bytes::from(body.to_string()),
    };
    match fault {
        Fault::Status { status, retry_after } => {
            let mut response =
                json(*status, serde_json::json!({"code": status, "message": "injected fault", "details": []}));
            response.headers.extend(retry_after.iter().map(|v| ("retry-after".to_owned(), v.clone())));
            Some(response)
        }
        Fault::Redirect { location } => Some(Response {
            status: 302,
            content_type: String::new(),
            headers: vec![("location".into(), location.clone())],
            body: Bytes::new(),
        }),
        Fault::Oversize { bytes } => {
            let pad = "x".repeat(bytes.saturating_sub(10));
            Some(json(200, serde_json::json!({"pad": pad})))
        }
        _ => None,
    }
}

/// The whole HTTP/1.1 message of `response`: one write per response, since a separate body write
/// would wait on Nagle plus delayed ACK.
fn encode(response: &Response) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let mut head = format!(
        "HTTP/1.1 {} {}\r\ndate: {}\r\ncontent-length: {}\r\n",
        response.status,
        reason(response.status),
        http_date::format(now),
        response.body.len()
    );
    if !response.content_type.is_empty() {
        head.push_str(&format!("content-type: {}\r\n", response.content_type));
    }
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(&response.body);
    message
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        429 => "Too Many Requests",
        _ => "Status",
    }
}
