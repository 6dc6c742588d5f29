//! What providers answer through the proxy: a few Notion routes (including the three-step file
//! upload), `/echo` (the request as the provider saw it) and `/files/{name}` downloads.

use bytes::Bytes;
use serde_json::{Value, json};

use super::wire::json_response;
use super::{Request, Response};

/// A provider's answer to a revoked or expired credential.
pub fn unauthorized() -> Response {
    json_response(401, json!({"object": "error", "status": 401, "code": "unauthorized", "message": "API token is invalid."}))
}

fn not_found(path: &str) -> Response {
    json_response(404, json!({"object": "error", "status": 404, "code": "object_not_found", "message": format!("Could not find {path}.")}))
}

/// The deterministic content served for `/files/{name}`; `large-{N}m.bin` is N MiB.
pub fn file_bytes(name: &str) -> Vec<u8> {
    if let Some(mib) = name.strip_prefix("large-").and_then(|n| n.strip_suffix("m.bin")).and_then(|n| n.parse::<usize>().ok()) {
        return (0..mib << 20).map(|i| (i % 251) as u8).collect();
    }
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend(name.bytes().cycle().take(64));
    bytes.extend([0u8, 159, 146, 150, 255, 10]);
    bytes
}

/// The file part of a multipart body: (filename, content type, size).
fn uploaded_file(req: &Request) -> Option<(String, String, usize)> {
    let boundary = req.header("content-type")?.split("boundary=").nth(1)?.trim_matches('"').to_owned();
    let body = &req.body[..];
    let head_at = body.windows(10).position(|w| w == b"filename=\"")?;
    let head_end = head_at + body[head_at..].windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&body[head_at + 10..head_end]).into_owned();
    let filename = head.split('"').next()?.to_owned();
    let content_type = head.lines().find_map(|l| l.strip_prefix("Content-Type: "))?.trim().to_owned();
    let closing = format!("\r\n--{boundary}");
    let content_start = head_end + 4;
    let size = body[content_start..].windows(closing.len()).position(|w| w == closing.as_bytes())?;
    Some((filename, content_type, size))
}

/// Answers a proxied request for a provider.
pub fn answer(provider: &str, req: &Request, path: &str) -> Response {
    let method = req.method.as_str();
    if path == "/echo" || path.ends_with("/echo") {
        let headers: Vec<&(String, String)> = req
            .headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "authorization" | "host" | "content-length" | "user-agent"))
            .collect();
        let body = serde_json::from_slice::<Value>(&req.body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&req.body).into_owned()));
        return json_response(200, json!({"method": method, "path": path, "query": req.query, "headers": headers, "body": body}));
    }
    if let Some(name) = path.strip_prefix("/files/") {
        let content_type = mime_for(name);
        return Response { status: 200, content_type: content_type.into(), headers: Vec::new(), body: Bytes::from(file_bytes(name)) };
    }
    if provider != "NOTION" {
        return not_found(path);
    }
    match (method, path) {
        ("GET", "/v1/users/me") => json_response(200, json!({"object": "user", "id": "b2c3d4e5-0000-4000-8000-000000000001", "name": "Alice's integration", "type": "bot", "bot": {"workspace_name": "Acme"}})),
        ("POST", "/v1/search") => json_response(200, json!({"object": "list", "results": [{"object": "page", "id": "59833787-2cf9-4fdf-8782-e53db20768a5"}], "has_more": false, "next_cursor": null})),
        ("POST", "/v1/file_uploads") => json_response(200, json!({"object": "file_upload", "id": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", "status": "pending",
            "upload_url": "https://api.notion.com/v1/file_uploads/2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d/send"})),
        ("POST", p) if p.starts_with("/v1/file_uploads/") && p.ends_with("/send") => match uploaded_file(req) {
            Some((filename, content_type, size)) if content_type != "application/octet-stream" => json_response(200, json!({
                "object": "file_upload", "id": p.trim_start_matches("/v1/file_uploads/").trim_end_matches("/send"),
                "status": "uploaded", "filename": filename, "content_type": content_type, "content_length": size})),
            Some((_, content_type, _)) => json_response(400, json!({"object": "error", "status": 400, "code": "validation_error",
                "message": format!("Unsupported content type: {content_type}.")})),
            None => json_response(400, json!({"object": "error", "status": 400, "code": "validation_error", "message": "Expected a multipart body with a file part."})),
        },
        _ => not_found(path),
    }
}

fn mime_for(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}
