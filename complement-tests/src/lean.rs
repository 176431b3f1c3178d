//! A bare HTTP/1.1 keep-alive connection for load programs. A general client (pool, URL
//! parsing, header maps, a task per connection) costs the load program more CPU than the
//! server spends on some requests, and on 2 shared cores that CPU is taken from the server
//! being measured. One connection per task, requests written as text, answers read by
//! their `Content-Length`: what a load generator needs and nothing more.

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

use crate::Client;

pub struct LeanConnection {
    stream: BufReader<TcpStream>,
    host: String,
    head: String,
}

/// A response: status and body.
pub struct LeanResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl LeanConnection {
    /// Opens a connection to the client's server (plain HTTP).
    pub async fn open(client: &Client) -> Self {
        let host = client
            .base_url
            .strip_prefix("http://")
            .expect("the lean connection speaks plain HTTP")
            .to_owned();
        let stream = TcpStream::connect(&host).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream: BufReader::with_capacity(64 * 1024, stream),
            host,
            head: String::new(),
        }
    }

    /// Sends one request as `client` (its access token; `body` as JSON when given) and
    /// reads the whole response.
    pub async fn request(
        &mut self,
        client: &Client,
        method: &str,
        path_and_query: &str,
        body: Option<&[u8]>,
    ) -> LeanResponse {
        let mut request = format!(
            "{method} {path_and_query} HTTP/1.1\r\nhost: {}\r\n",
            self.host
        );
        if let Some(token) = &client.access_token {
            request.push_str(&format!("authorization: Bearer {token}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.stream
            .get_mut()
            .write_all(&bytes)
            .await
            .expect("write request");
        self.read_response().await
    }

    async fn read_response(&mut self) -> LeanResponse {
        self.head.clear();
        let read = self
            .stream
            .read_line(&mut self.head)
            .await
            .expect("read status line");
        assert!(read > 0, "the server closed the connection");
        let status = self
            .head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("an HTTP/1.1 status line");
        let mut length = 0;
        loop {
            self.head.clear();
            self.stream
                .read_line(&mut self.head)
                .await
                .expect("read header");
            let line = self.head.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().expect("a length");
            }
            assert!(
                !name.eq_ignore_ascii_case("transfer-encoding"),
                "the lean connection reads only responses with a Content-Length"
            );
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("read body");
        LeanResponse { status, body }
    }
}
