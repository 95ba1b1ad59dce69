//! A scripted stand-in for the Anthropic Messages API on 127.0.0.1, for
//! driving the real Claude Code client offline.
//!
//! Claude Code (2.1.x, `-p`, with non-essential traffic off) makes one
//! `POST /v1/messages?beta=true` per model turn, streaming server-sent
//! events: `message_start`, then per content block `content_block_start`,
//! `content_block_delta` (`text_delta`, or `input_json_delta` with a tool's
//! input) and `content_block_stop`, then `message_delta` and
//! `message_stop`. The script answers the first request of the main
//! conversation with one tool call (when it has one) and any request that
//! carries a `tool_result` with text, so one run drives one full turn,
//! hooks included. Every request body is kept for assertions; anything the
//! server does not expect is answered with an error and recorded, and
//! `unexpected()` lets the test fail on it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// What the model does in a run.
#[derive(Clone, Debug)]
pub enum Script {
    /// Answer with text only.
    Text,
    /// Call Bash with this command, then answer with text.
    Bash(String),
    /// Call this tool with this input, then answer with text.
    Tool(String, Value),
}

/// The text the model answers with once it has a tool result (or no tool).
pub const FINAL: &str = "FINAL: done";

struct Shared {
    script: Mutex<Script>,
    requests: Mutex<Vec<Value>>,
    unexpected: Mutex<Vec<String>>,
    ids: AtomicUsize,
    stop: AtomicBool,
}

pub struct MessagesApi {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MessagesApi {
    pub fn start(script: Script) -> MessagesApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            requests: Mutex::new(Vec::new()),
            unexpected: Mutex::new(Vec::new()),
            ids: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            while !s.stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let s = s.clone();
                        std::thread::spawn(move || serve(stream, &s));
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
                }
            }
        });
        MessagesApi { port, shared, thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the next runs do.
    pub fn script(&self, script: Script) {
        *self.shared.script.lock().unwrap() = script;
    }

    /// The bodies of every `/v1/messages` request so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.shared.requests.lock().unwrap().clear();
    }

    /// Requests the server did not expect (each answered with an error).
    pub fn unexpected(&self) -> Vec<String> {
        self.shared.unexpected.lock().unwrap().clone()
    }
}

impl Drop for MessagesApi {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One HTTP request: method, path, body.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 || h == "\r\n" {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, body))
}

fn serve(stream: TcpStream, s: &Shared) {
    stream.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    // One request per connection: the answer says `Connection: close`.
    let Some((method, path, body)) = read_request(&mut reader) else { return };
    let route = path.split('?').next().unwrap_or_default().to_string();
    let respond = |w: &mut TcpStream, code: u16, kind: &str, body: &[u8]| {
        let _ = write!(w, "HTTP/1.1 {code} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        let _ = w.write_all(body);
    };
    match (method.as_str(), route.as_str()) {
        ("HEAD", "/api/hello") => respond(&mut w, 200, "text/plain", b""),
        ("POST", "/v1/messages") => match serde_json::from_slice::<Value>(&body) {
            Ok(request) => {
                s.requests.lock().unwrap().push(request.clone());
                let script = s.script.lock().unwrap().clone();
                let (blocks, stop) = answer(&request, &script, s);
                let id = format!("msg_{:024}", s.ids.fetch_add(1, Ordering::Relaxed));
                let model = request["model"].as_str().unwrap_or("claude-test").to_string();
                if request["stream"] == true {
                    let _ = write!(
                        w,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
                    );
                    let _ = w.write_all(&events(&id, &model, &blocks, stop));
                } else {
                    let message = json!({
                        "id": id, "type": "message", "role": "assistant", "model": model, "content": blocks,
                        "stop_reason": stop, "stop_sequence": null, "usage": usage(10, 5),
                    });
                    respond(&mut w, 200, "application/json", message.to_string().as_bytes());
                }
            }
            Err(e) => {
                s.unexpected.lock().unwrap().push(format!("POST /v1/messages with a body that is not JSON: {e}"));
                respond(
                    &mut w,
                    400,
                    "application/json",
                    br#"{"type":"error","error":{"type":"invalid_request_error","message":"not JSON"}}"#,
                );
            }
        },
        _ => {
            s.unexpected.lock().unwrap().push(format!("{method} {path}"));
            let error = json!({"type": "error", "error": {"type": "not_found_error", "message": format!("the test server does not expect {method} {path}")}});
            respond(&mut w, 404, "application/json", error.to_string().as_bytes());
        }
    }
    let _ = w.flush();
    let _ = w.shutdown(std::net::Shutdown::Both);
}

fn usage(input: u64, output: u64) -> Value {
    json!({"input_tokens": input, "output_tokens": output, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
}

/// Whether the last message of a request carries a tool result.
pub fn carries_tool_result(request: &Value) -> bool {
    request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_array())
        .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "tool_result"))
}

/// The content blocks and stop reason of the answer to `request`.
fn answer(request: &Value, script: &Script, s: &Shared) -> (Vec<Value>, &'static str) {
    let text = || (vec![json!({"type": "text", "text": FINAL})], "end_turn");
    // A subagent's requests, and every request after a tool result, get text.
    let subagent = request["system"].to_string().contains("cc_is_subagent=true");
    if carries_tool_result(request) || subagent {
        return text();
    }
    let (name, input) = match script {
        Script::Text => return text(),
        Script::Bash(command) => ("Bash".to_string(), json!({"command": command, "description": "scripted by the test"})),
        Script::Tool(name, input) => (name.clone(), input.clone()),
    };
    let id = format!("toolu_{:020}", s.ids.fetch_add(1, Ordering::Relaxed));
    (vec![json!({"type": "tool_use", "id": id, "name": name, "input": input})], "tool_use")
}

/// The server-sent events of one answer.
fn events(id: &str, model: &str, blocks: &[Value], stop: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut event = |name: &str, data: Value| out.extend_from_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
    event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": usage(10, 1),
        }}),
    );
    for (i, block) in blocks.iter().enumerate() {
        if block["type"] == "tool_use" {
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": i, "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}),
            );
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": block["input"].to_string()}}),
            );
        } else {
            event("content_block_start", json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}));
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block["text"]}}),
            );
        }
        event("content_block_stop", json!({"type": "content_block_stop", "index": i}));
    }
    event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 5}}),
    );
    event("message_stop", json!({"type": "message_stop"}));
    out
}
