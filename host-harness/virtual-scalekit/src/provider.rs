//! What providers answer through the proxy: a few Notion routes, `/echo` (the request as the
//! provider saw it) and `/files/{name}` downloads. Notion keeps its files: an upload is created,
//! sent (multipart) and attached to a page as a file block; reading the block gives a pre-signed
//! URL, fresh on every read, served at `/presigned/{block}/{name}` without a bearer until it
//! expires, like a storage bucket's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_auth_contract::rfc3339;
use bytes::Bytes;
use serde_json::{Value, json};

use super::state::{BlockContent, NotionBlock, NotionUpload, State};
use super::wire::json_response;
use super::{Request, Response};

/// How long a pre-signed URL stays valid (Notion's file URLs last an hour).
const PRESIGNED_LIFETIME: Duration = Duration::from_secs(3600);

/// A provider's answer to a revoked or expired credential.
pub fn unauthorized() -> Response {
    json_response(
        401,
        json!({"object": "error", "status": 401, "code": "unauthorized", "message": "API token is invalid."}),
    )
}

fn not_found(path: &str) -> Response {
    json_response(
        404,
        json!({"object": "error", "status": 404, "code": "object_not_found", "message": format!("Could not find {path}.")}),
    )
}

/// The deterministic content served for `/files/{name}`; `large-{N}m.bin` is N MiB.
pub fn file_bytes(name: &str) -> Vec<u8> {
    if let Some(mib) =
        name.strip_prefix("large-").and_then(|n| n.strip_suffix("m.bin")).and_then(|n| n.parse::<usize>().ok())
    {
        return (0..mib << 20).map(|i| (i % 251) as u8).collect();
    }
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend(name.bytes().cycle().take(64));
    bytes.extend([0u8, 159, 146, 150, 255, 10]);
    bytes
}

/// The `file` part of a well-formed multipart body: (filename, content type, bytes).
fn uploaded_file(req: &Request) -> Option<(String, String, Bytes)> {
    let form = super::multipart::parse(req.header("content-type")?, &req.body).ok()?;
    let file = form.files.into_iter().find(|f| f.name == "file")?;
    Some((file.filename, file.content_type, Bytes::from(file.content)))
}

fn validation_error(message: String) -> Response {
    json_response(400, json!({"object": "error", "status": 400, "code": "validation_error", "message": message}))
}

/// Answers a proxied request for a provider.
pub fn answer(state: &mut State, provider: &str, req: &Request, path: &str) -> Response {
    let method = req.method.as_str();
    if path == "/echo" || path.ends_with("/echo") {
        let headers: Vec<&(String, String)> = req
            .headers
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "authorization" | "host" | "content-length" | "user-agent"))
            .collect();
        let body = serde_json::from_slice::<Value>(&req.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&req.body).into_owned()));
        return json_response(
            200,
            json!({"method": method, "path": path, "query": req.query, "headers": headers, "body": body}),
        );
    }
    if let Some(name) = path.strip_prefix("/files/") {
        let content_type = mime_for(name);
        return Response {
            status: 200,
            content_type: content_type.into(),
            headers: Vec::new(),
            body: Bytes::from(file_bytes(name)),
        };
    }
    if provider != "NOTION" {
        return not_found(path);
    }
    let owner = req.header("identifier").unwrap_or_default().to_owned();
    // The ids in `/v1/file_uploads/{id}/send`, `/v1/blocks/{id}/children` and `/v1/blocks/{id}`.
    let id_in = |prefix: &str, suffix: &str| {
        path.strip_prefix(prefix)?.strip_suffix(suffix).filter(|id| !id.is_empty() && !id.contains('/'))
    };
    let (sent, parent, block) =
        (id_in("/v1/file_uploads/", "/send"), id_in("/v1/blocks/", "/children"), id_in("/v1/blocks/", ""));
    match (method, path) {
        ("GET", "/v1/users/me") => json_response(
            200,
            json!({"object": "user", "id": "b2c3d4e5-0000-4000-8000-000000000001", "name": "Alice's integration", "type": "bot", "bot": {"workspace_name": "Acme"}}),
        ),
        ("POST", "/v1/search") => search(state, req, &owner),
        ("POST", "/v1/file_uploads") => create_upload(state, owner),
        _ => match (method, sent, parent, block) {
            ("POST", Some(id), _, _) => send_upload(state, req, &owner, id),
            ("PATCH", _, Some(id), _) => attach_children(state, req, owner, id),
            ("GET", _, Some(id), _) => children(state, &owner, id),
            ("GET", _, _, Some(id)) => read_file_block(state, &owner, id),
            _ => not_found(path),
        },
    }
}

/// `POST /v1/file_uploads`: a pending upload.
fn create_upload(state: &mut State, owner: String) -> Response {
    let id = state.uuid();
    state.notion_uploads.push(NotionUpload {
        id: id.clone(),
        owner,
        filename: String::new(),
        content_type: String::new(),
        bytes: None,
    });
    json_response(
        200,
        json!({"object": "file_upload", "id": id, "status": "pending", "upload_url": format!("https://api.notion.com/v1/file_uploads/{id}/send")}),
    )
}

/// `POST /v1/file_uploads/{id}/send`: the file, as multipart with a `file` part.
fn send_upload(state: &mut State, req: &Request, owner: &str, id: &str) -> Response {
    let Some(upload) = state.notion_uploads.iter_mut().find(|u| u.id == id && u.owner == owner) else {
        return not_found(&format!("file upload {id}"));
    };
    if upload.bytes.is_some() {
        return validation_error(format!("File upload {id} was already sent."));
    }
    match uploaded_file(req) {
        Some((_, content_type, _)) if content_type == "application/octet-stream" => {
            validation_error(format!("Unsupported content type: {content_type}."))
        }
        Some((filename, content_type, bytes)) => {
            let size = bytes.len();
            upload.filename.clone_from(&filename);
            upload.content_type.clone_from(&content_type);
            upload.bytes = Some(bytes);
            json_response(
                200,
                json!({"object": "file_upload", "id": id, "status": "uploaded", "filename": filename, "content_type": content_type, "content_length": size}),
            )
        }
        None => validation_error("Expected a multipart body with a file part.".into()),
    }
}

/// `POST /v1/search`: the pages `owner` can see whose titles hold the `query`, as the
/// `notion_page_search` tool finds them.
fn search(state: &State, req: &Request, owner: &str) -> Response {
    let body = serde_json::from_slice::<Value>(&req.body).unwrap_or_default();
    let asked = json!({"query": body["query"], "page_size": body["page_size"], "start_cursor": body["start_cursor"]});
    let found = match super::toolbox::search_pages(state, owner, &asked) {
        Ok(found) => found,
        Err(refusal) => return validation_error(refusal.message),
    };
    let results: Vec<Value> =
        found["results"].as_array().into_iter().flatten().map(|p| json!({"object": "page", "id": p["id"]})).collect();
    json_response(
        200,
        json!({"object": "list", "results": results, "has_more": found["has_more"], "next_cursor": found["next_cursor"]}),
    )
}

/// `GET /v1/blocks/{id}/children`: a page's text, one paragraph block per paragraph, then the
/// blocks `owner` appended to it, in order.
fn children(state: &State, owner: &str, id: &str) -> Response {
    if !known_parent(state, owner, id) {
        return not_found(&format!("block {id}"));
    }
    let page = state.workspace.notion_page(id, owner);
    let text =
        page.into_iter().flat_map(|p| p.paragraphs.iter().enumerate().map(move |(i, t)| (format!("{}-p{i}", p.id), t)));
    let mut blocks: Vec<Value> = text.map(|(block_id, t)| paragraph_json(&block_id, t)).collect();
    for block in state.notion_blocks.iter().filter(|b| b.owner == owner && bare(&b.parent) == bare(id)) {
        blocks.push(match &block.content {
            BlockContent::Paragraph(t) => paragraph_json(&block.id, t),
            BlockContent::File(upload_id) => match state.notion_uploads.iter().find(|u| &u.id == upload_id) {
                Some(upload) => file_json(state, block, upload),
                None => continue,
            },
        });
    }
    json_response(200, json!({"object": "list", "results": blocks, "has_more": false, "next_cursor": null}))
}

/// A Notion id without its dashes, to compare ids written either way.
fn bare(id: &str) -> String {
    id.replace('-', "").to_ascii_lowercase()
}

fn paragraph_json(id: &str, text: &str) -> Value {
    json!({"object": "block", "id": id, "type": "paragraph", "has_children": false,
        "paragraph": {"rich_text": [{"type": "text", "plain_text": text, "text": {"content": text}}]}})
}

/// The text of a paragraph block in a request: its rich text, joined.
fn paragraph_text(child: &Value) -> String {
    let parts = child["paragraph"]["rich_text"].as_array().into_iter().flatten();
    parts.filter_map(|r| r["text"]["content"].as_str().or_else(|| r["plain_text"].as_str())).collect()
}

/// Whether `id` (dashes optional) is a page `owner` can see or a block `owner` made.
fn known_parent(state: &State, owner: &str, id: &str) -> bool {
    state.workspace.notion_page(id, owner).is_some()
        || state.notion_blocks.iter().any(|b| b.owner == owner && bare(&b.id) == bare(id))
}

/// `PATCH /v1/blocks/{parent}/children`: appends blocks to a known page or block; a file block
/// must name a sent upload. Nothing is stored unless every child is valid.
fn attach_children(state: &mut State, req: &Request, owner: String, parent: &str) -> Response {
    if !known_parent(state, &owner, parent) {
        return not_found(&format!("block {parent}"));
    }
    let body = serde_json::from_slice::<Value>(&req.body).unwrap_or_default();
    let Some(children) = body["children"].as_array().filter(|c| !c.is_empty()).cloned() else {
        return validation_error("body.children should be a non-empty array.".into());
    };
    for child in children.iter().filter(|c| c["type"] == "file") {
        let upload_id = child["file"]["file_upload"]["id"]
            .as_str()
            .filter(|_| child["file"]["type"] == "file_upload")
            .unwrap_or_default();
        if !state.notion_uploads.iter().any(|u| u.id == upload_id && u.owner == owner && u.bytes.is_some()) {
            return validation_error(format!(
                "body.children[].file.file_upload.id should name a sent file upload, got {upload_id:?}."
            ));
        }
    }
    let mut results = Vec::new();
    for child in &children {
        let kind = child["type"].as_str().unwrap_or("paragraph");
        let id = state.uuid();
        let content = match child["file"]["file_upload"]["id"].as_str().filter(|_| kind == "file") {
            Some(upload_id) => BlockContent::File(upload_id.to_owned()),
            None => BlockContent::Paragraph(paragraph_text(child)),
        };
        state.notion_blocks.push(NotionBlock {
            id: id.clone(),
            owner: owner.clone(),
            parent: parent.to_owned(),
            content,
        });
        results.push(json!({"object": "block", "id": id, "type": kind, "has_children": false}));
    }
    json_response(200, json!({"object": "list", "results": results, "has_more": false, "next_cursor": null}))
}

/// The signature of a pre-signed URL for `key` (block and encoded name) that expires at `epoch`.
pub(super) fn signature(state: &State, key: &str, epoch: u64) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(format!("{}|{key}|{epoch}", state.base_url)))[..32].to_owned()
}

/// The file block `block_id` (made by `owner`, when given) and the upload it holds.
fn block_file<'a>(
    state: &'a State,
    block_id: &str,
    owner: Option<&str>,
) -> Option<(&'a NotionBlock, &'a NotionUpload)> {
    let block = state.notion_blocks.iter().find(|b| b.id == block_id && owner.is_none_or(|o| b.owner == o))?;
    let BlockContent::File(upload_id) = &block.content else { return None };
    Some((block, state.notion_uploads.iter().find(|u| &u.id == upload_id)?))
}

/// Where a block's file sits in the bucket: `{block}/{encoded name}`.
fn object_key(block: &NotionBlock, upload: &NotionUpload) -> String {
    format!("{}/{}", block.id, super::server::percent_encode(&upload.filename))
}

/// `GET /v1/blocks/{id}`: a file block, whose URL is pre-signed now (fresh on every read).
fn read_file_block(state: &State, owner: &str, block_id: &str) -> Response {
    let Some((block, upload)) = block_file(state, block_id, Some(owner)) else {
        return not_found(&format!("block {block_id}"));
    };
    json_response(200, file_json(state, block, upload))
}

/// A file block as Notion returns it, its URL pre-signed now (fresh on every read).
fn file_json(state: &State, block: &NotionBlock, upload: &NotionUpload) -> Value {
    let expires = SystemTime::now() + PRESIGNED_LIFETIME;
    let epoch = expires.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let key = object_key(block, upload);
    let url = format!(
        "{}/presigned/{key}?AWSAccessKeyId=AKIAVIRTUAL&Expires={epoch}&Signature={}",
        state.base_url,
        signature(state, &key, epoch)
    );
    json!({"object": "block", "id": block.id, "type": "file", "has_children": false,
        "file": {"caption": [], "type": "file", "name": upload.filename, "file": {"url": url, "expiry_time": rfc3339::format_system_time(expires)}}})
}

/// `GET /presigned/{block}/{name}?...&Expires={epoch}&Signature=...`: the file while the URL is
/// valid and its signature matches, else the storage bucket's 403 (404 for an unknown block).
pub fn presigned(state: &State, req: &Request, key: &str) -> Response {
    let param = |name: &str| req.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let expires = param("Expires").and_then(|v| v.parse::<u64>().ok());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let bucket_error = |status: u16, code: &str, message: &str| Response {
        status,
        content_type: "application/xml".into(),
        headers: Vec::new(),
        body: Bytes::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )),
    };
    let Some(epoch) = expires.filter(|_| req.method == "GET") else {
        return bucket_error(
            403,
            "AccessDenied",
            "Query-string authentication requires the Signature and Expires parameters",
        );
    };
    if param("Signature") != Some(signature(state, key, epoch).as_str()) {
        return bucket_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    if now > epoch {
        return bucket_error(403, "AccessDenied", "Request has expired");
    }
    let block_id = key.split('/').next().unwrap_or_default();
    match block_file(state, block_id, None).filter(|(block, upload)| key == object_key(block, upload)) {
        Some((_, NotionUpload { content_type, bytes: Some(bytes), .. })) => {
            Response { status: 200, content_type: content_type.clone(), headers: Vec::new(), body: bytes.clone() }
        }
        _ => bucket_error(404, "NoSuchKey", "The specified key does not exist."),
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
