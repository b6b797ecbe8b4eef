//! A small HTTP/1.1 file server on 127.0.0.1 for tests: serves a directory,
//! records every request path, one connection at a time, answers the
//! paths it is told to redirect with a 302, and, when told to, refuses
//! requests without the right basic authentication with a 401.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub struct Server {
    /// The base URL, ending in `/`.
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
    redirects: Arc<Mutex<std::collections::HashMap<String, String>>>,
    authorization: Arc<Mutex<Option<String>>>,
}

impl Server {
    /// Serves the files in `dir` until the test process ends.
    pub fn serve(dir: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let redirects = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let moved = Arc::clone(&redirects);
        let authorization = Arc::new(Mutex::new(None::<String>));
        let required = Arc::clone(&authorization);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut given = None;
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" => break,
                        Ok(_) => {
                            if let Some((name, value)) = header.split_once(':') {
                                if name.eq_ignore_ascii_case("authorization") {
                                    given = Some(value.trim().to_string());
                                }
                            }
                        }
                    }
                }
                let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
                log.lock().unwrap().push(path.clone());
                let wanted = required.lock().unwrap().clone();
                if wanted.is_some() && given != wanted {
                    let head = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"charts\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = stream.write_all(head.as_bytes());
                    continue;
                }
                if let Some(location) = moved.lock().unwrap().get(&path).cloned() {
                    let head = format!(
                        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = stream.write_all(head.as_bytes());
                    continue;
                }
                let file = path.trim_start_matches('/');
                let body = if file.split('/').any(|c| c == "..") {
                    None
                } else {
                    std::fs::read(dir.join(file)).ok()
                };
                let (status, body) = match body {
                    Some(body) => ("200 OK", body),
                    None => ("404 Not Found", b"not found\n".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Server {
            url,
            requests,
            redirects,
            authorization,
        }
    }

    /// From now on, answers only requests with basic authentication as
    /// `username` and `password`; others get a 401.
    pub fn require_basic_auth(&self, username: &str, password: &str) {
        use base64::Engine;
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        *self.authorization.lock().unwrap() = Some(format!("Basic {token}"));
    }

    /// Answers requests for `path` (`/index.yaml`) with a redirect to `location`.
    pub fn redirect(&self, path: &str, location: &str) {
        self.redirects
            .lock()
            .unwrap()
            .insert(path.to_string(), location.to_string());
    }

    /// The paths requested so far, in order, forgetting them.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().unwrap())
    }
}
