//! A tiny HTTP/1.1 client over std `TcpStream` for the todo tests and benchmark: one request per
//! connection (`http_get`, `http_post`) or many on one keep-alive connection (`HttpConnection`).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response: status code and body (headers other than framing are not kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// `GET target` (e.g. `/entries?list=bob&date=2023-12-19`) on 127.0.0.1:`port`, on a connection
/// closed after the response.
pub fn http_get(port: u16, target: &str) -> io::Result<HttpResponse> {
    HttpConnection::open(port)?.request_once("GET", target)
}

/// `POST target` with an empty body, as the book's `curl -d ''`.
pub fn http_post(port: u16, target: &str) -> io::Result<HttpResponse> {
    HttpConnection::open(port)?.request_once("POST", target)
}

/// Percent-encodes a query-string value (everything but unreserved characters).
pub fn url_encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// One keep-alive connection: requests are sent one at a time and each response read in full.
pub struct HttpConnection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    port: u16,
    /// The request was a HEAD: its response has headers only, whatever content-length says.
    head_only: bool,
}

impl HttpConnection {
    /// Connects to 127.0.0.1:`port`; reads and writes time out after 30 s.
    pub fn open(port: u16) -> io::Result<HttpConnection> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        Ok(HttpConnection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            port,
            head_only: false,
        })
    }

    /// Sends `METHOD target` (empty body) and reads the response; the connection stays open.
    pub fn request(&mut self, method: &str, target: &str) -> io::Result<HttpResponse> {
        self.send(method, target, false)?;
        self.head_only = method == "HEAD";
        self.read_response()
    }

    /// Sends raw bytes as they are (for malformed requests) and reads one response.
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<HttpResponse> {
        self.writer.write_all(bytes)?;
        self.head_only = bytes.starts_with(b"HEAD ");
        self.read_response()
    }

    fn request_once(mut self, method: &str, target: &str) -> io::Result<HttpResponse> {
        self.send(method, target, true)?;
        self.read_response()
    }

    fn send(&mut self, method: &str, target: &str, close: bool) -> io::Result<()> {
        let connection = if close { "close" } else { "keep-alive" };
        let body_header = if method == "POST" {
            "content-length: 0\r\n"
        } else {
            ""
        };
        let request = format!(
            "{method} {target} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n{body_header}connection: {connection}\r\n\r\n",
            self.port
        );
        self.writer.write_all(request.as_bytes())
    }

    fn read_response(&mut self) -> io::Result<HttpResponse> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a response",
            ));
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
        let mut content_length = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(bad("connection closed in the headers".into()));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                content_length = Some(value.parse::<usize>().map_err(|_| bad(line.clone()))?);
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
        let body = if self.head_only {
            Vec::new()
        } else if chunked {
            self.read_chunked()?
        } else if let Some(length) = content_length {
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
            body
        } else {
            let mut body = Vec::new();
            self.reader.read_to_end(&mut body)?;
            body
        };
        let body = String::from_utf8(body).map_err(|e| bad(format!("body not UTF-8: {e}")))?;
        Ok(HttpResponse { status, body })
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let size_text = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    line.clear();
                    if self.reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        return Ok(body);
                    }
                }
            }
            let start = body.len();
            body.resize(start + size, 0);
            self.reader.read_exact(&mut body[start..])?;
            line.clear();
            self.reader.read_line(&mut line)?;
        }
    }
}

fn bad(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
