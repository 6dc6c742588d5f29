//! The double on its own, through [`VirtualScalekit::handle`]: its strictness (so a client cannot
//! pass by accident), the authorization pages, the account listing and the MCP endpoints.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use super::{Request, Response, VirtualScalekit, server};

const BASE: &str = "http://virtual-scalekit.test";

/// A fresh double and a bearer it accepts.
fn world() -> (VirtualScalekit, String) {
    world_with(VirtualScalekit::new(BASE, None))
}

fn world_with(double: VirtualScalekit) -> (VirtualScalekit, String) {
    let form = "grant_type=client_credentials&client_id=skc_test&client_secret=s3cret";
    let response = double.handle(&request("POST", "/oauth/token", &[], form));
    let token = json_of(&response)["access_token"].as_str().expect("a token").to_owned();
    (double, token)
}

fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Request {
        method: method.into(),
        path: path.into(),
        query: server::parse_query(query),
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        body: Bytes::from(body.to_owned()),
    }
}

fn json_of(response: &Response) -> Value {
    serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&response.body)))
}

fn text_of(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// An authenticated API call: (status, JSON body).
fn call(double: &VirtualScalekit, bearer: &str, method: &str, target: &str, body: Value) -> (u16, Value) {
    let auth = format!("Bearer {bearer}");
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let response = double.handle(&request(method, target, &[("authorization", &auth)], &body));
    (response.status, json_of(&response))
}

/// A browser request to an authorization page (no bearer).
fn browse(double: &VirtualScalekit, method: &str, link: &str) -> Response {
    let path = link.strip_prefix(BASE).expect("a link of this double");
    let form = if method == "POST" { &[("content-type", "application/x-www-form-urlencoded")][..] } else { &[] };
    double.handle(&request(method, path, form, ""))
}

fn new_link(double: &VirtualScalekit, bearer: &str, connector: &str, identifier: &str) -> String {
    let (status, body) = call(
        double,
        bearer,
        "POST",
        "/api/v1/connected_accounts/magic_link",
        json!({"connector": connector, "identifier": identifier}),
    );
    assert_eq!(status, 200, "{body}");
    body["link"].as_str().expect("a link").to_owned()
}

fn account(double: &VirtualScalekit, bearer: &str, connector: &str, identifier: &str) -> Value {
    let (status, body) = call(
        double,
        bearer,
        "GET",
        &format!("/api/v1/connected_accounts/details?connector={connector}&identifier={identifier}"),
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    body["connected_account"].clone()
}

fn error_code(body: &Value) -> &str {
    body["details"][0]["error_code"].as_str().unwrap_or_default()
}

// Strictness.

#[test]
fn execute_tool_rejects_tool_input_in_place_of_params() {
    let (double, bearer) = world();
    let body = json!({"tool_name": "notion_page_get", "connector": "notion-ijIQedmJ", "identifier": "alice", "tool_input": {"page_id": "59833787"}});
    let (status, error) = call(&double, &bearer, "POST", "/api/v1/execute_tool", body);
    assert_eq!((status, error["code"].as_u64(), error_code(&error)), (400, Some(3), "INVALID_ARGUMENT"), "{error}");
    assert!(error["message"].as_str().unwrap().contains("\"tool_input\""), "{error}");

    let body = json!({"tool_name": "notion_page_get", "connector": "notion-ijIQedmJ", "identifier": "alice", "params": {"page_id": "598337872cf94fdf8782e53db20768a5"}});
    assert_eq!(call(&double, &bearer, "POST", "/api/v1/execute_tool", body).0, 200);
}

#[test]
fn connections_page_size_above_30_is_rejected() {
    let (double, bearer) = world();
    let (status, error) =
        call(&double, &bearer, "GET", "/api/v1/connections/app?page_size=31&page_token=", Value::Null);
    assert_eq!((status, error_code(&error)), (400, "INVALID_ARGUMENT"), "{error}");
    let violation = &error["details"][0]["validation_error_info"]["field_violations"][0];
    assert_eq!(
        (violation["field"].as_str(), violation["constraint"].as_str()),
        (Some("page_size"), Some("uint32.lte")),
        "{error}"
    );

    let (status, page) = call(&double, &bearer, "GET", "/api/v1/connections/app?page_size=30&page_token=", Value::Null);
    assert_eq!((status, page["connections"].as_array().map(Vec::len)), (200, Some(30)));
}

#[test]
fn invalid_bearer_is_refused_with_a_gateway_error() {
    let (double, _) = world();
    let (status, error) = call(&double, "eyJhbGciOiJSUzI1NiJ9.forged.sig", "GET", "/api/v1/tools", Value::Null);
    assert_eq!((status, error["code"].as_u64(), error_code(&error)), (401, Some(16), "UNAUTHENTICATED"), "{error}");
    assert_eq!(error["message"], "Invalid token");
    assert_eq!(error["details"][0]["@type"], "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo");

    let missing = double.handle(&request("GET", "/api/v1/mcp/configs", &[], ""));
    assert_eq!((missing.status, json_of(&missing)["message"].as_str()), (401, Some("Token empty")));
}

#[test]
fn wrongly_typed_fields_are_rejected() {
    let (double, bearer) = world();
    let (status, error) = call(&double, &bearer, "POST", "/api/v1/execute_tool", json!({"tool_name": 7}));
    assert_eq!((status, error_code(&error)), (400, "INVALID_ARGUMENT"), "{error}");
    assert!(error["message"].as_str().unwrap().contains("tool_name"), "{error}");
}

// Authorization pages.

#[test]
fn magic_link_page_authorizes_once() {
    let (double, bearer) = world();
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "PENDING_AUTH");
    let link = new_link(&double, &bearer, "gmail", "alice");
    assert!(link.starts_with(&format!("{BASE}/magic/")), "{link}");
    let token = link.rsplit('/').next().unwrap();

    let review = browse(&double, "GET", &link);
    let html = text_of(&review);
    assert_eq!((review.status, review.content_type.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("<title>Authorize gmail — agent-auth sandbox</title>"), "{html}");
    assert!(html.contains(&format!("<form method=\"post\" action=\"/magic/{token}\">")), "{html}");
    assert!(html.contains("<button type=\"submit\">Authorize</button>"), "{html}");
    assert!(html.contains("GMAIL") && html.contains("alice"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://"),
        "self-contained: {html}"
    );
    assert_eq!(
        account(&double, &bearer, "gmail", "alice")["status"],
        "PENDING_AUTH",
        "opening the page changes nothing"
    );

    let done = browse(&double, "POST", &link);
    assert_eq!(done.status, 200);
    assert!(
        text_of(&done)
            .contains("<strong>gmail</strong> is now connected for <strong>alice</strong>. You can close this window."),
        "{}",
        text_of(&done)
    );
    let active = account(&double, &bearer, "gmail", "alice");
    assert_eq!(active["status"], "ACTIVE");
    assert!(active["token_expires_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{active}");

    let again = browse(&double, "POST", &link);
    assert_eq!(again.status, 409);
    assert!(text_of(&again).contains("already used"));
    let reopened = browse(&double, "GET", &link);
    assert_eq!(reopened.status, 409);
    assert!(!text_of(&reopened).contains("<button"), "a used link offers no button");
    assert_eq!(double.complete_authorization(&link).unwrap_err(), "this authorization link was already used");
}

#[test]
fn expired_link_is_refused_on_sight() {
    let (double, bearer) = world_with(VirtualScalekit::new(BASE, None).with_link_lifetime(Duration::ZERO));
    let link = new_link(&double, &bearer, "gmail", "alice");
    let review = browse(&double, "GET", &link);
    let html = text_of(&review);
    assert_eq!(review.status, 410);
    assert!(html.contains("expired") && html.contains("Ask for a new link") && !html.contains("<button"), "{html}");
    assert_eq!(browse(&double, "POST", &link).status, 410);
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "PENDING_AUTH");
    assert_eq!(double.complete_authorization(&link).unwrap_err(), "this authorization link has expired");
}

#[test]
fn unknown_link_and_other_methods_are_refused() {
    let (double, _) = world();
    for method in ["GET", "POST"] {
        let response = browse(&double, method, &format!("{BASE}/magic/ml_00000000"));
        assert_eq!(response.status, 404, "{method}");
        assert!(text_of(&response).contains("not valid") && !text_of(&response).contains("<button"));
    }
    let put = browse(&double, "PUT", &format!("{BASE}/magic/ml_00000000"));
    assert_eq!(put.status, 405);
    assert!(put.headers.contains(&("allow".to_owned(), "GET, POST".to_owned())));
}

#[test]
fn a_new_link_leaves_earlier_ones_valid() {
    let (double, bearer) = world();
    let first = new_link(&double, &bearer, "github-connect", "alice");
    let second = new_link(&double, &bearer, "github-connect", "alice");
    assert_ne!(first, second);
    assert_eq!(browse(&double, "GET", &first).status, 200, "the first link survives the second");
    assert_eq!(browse(&double, "POST", &second).status, 200);
    assert_eq!(browse(&double, "POST", &first).status, 200, "completing one link leaves the other usable");
    assert_eq!(account(&double, &bearer, "github-connect", "alice")["status"], "ACTIVE");
}

#[test]
fn pages_escape_what_they_show() {
    let (double, bearer) = world();
    let identifier = r#"<img src=x onerror="alert(1)">&co"#;
    let (status, body) = call(
        &double,
        &bearer,
        "POST",
        "/api/v1/connected_accounts/magic_link",
        json!({"connector": "gmail", "identifier": identifier}),
    );
    assert_eq!(status, 200, "{body}");
    let link = body["link"].as_str().unwrap();
    for response in [browse(&double, "GET", link), browse(&double, "POST", link), browse(&double, "GET", link)] {
        let html = text_of(&response);
        assert!(
            !html.contains("<img") && html.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;co"),
            "{html}"
        );
    }
}

#[test]
fn magic_link_by_account_id() {
    let (double, bearer) = world();
    let id = account(&double, &bearer, "gmail", "alice")["id"].as_str().unwrap().to_owned();
    let (status, body) = call(&double, &bearer, "POST", "/api/v1/connected_accounts/magic_link", json!({"id": id}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(browse(&double, "POST", body["link"].as_str().unwrap()).status, 200);
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "ACTIVE");
    let (status, body) =
        call(&double, &bearer, "POST", "/api/v1/connected_accounts/magic_link", json!({"id": "ca_missing"}));
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"));
}

// Listing connected accounts.

#[test]
fn lists_connected_accounts_with_filters_and_pages() {
    let (double, bearer) = world();
    let (status, all) = call(&double, &bearer, "GET", "/api/v1/connected_accounts?identifier=alice", Value::Null);
    assert_eq!((status, all["total_size"].as_u64()), (200, Some(8)), "{all}");
    assert!(
        all["connected_accounts"].as_array().unwrap().iter().all(|a| a.get("authorization_details").is_none()),
        "{all}"
    );

    let (_, notion) = call(&double, &bearer, "GET", "/api/v1/connected_accounts?provider=NOTION", Value::Null);
    assert_eq!(notion["connected_accounts"][0]["connector"], "notion-ijIQedmJ");
    assert_eq!(notion["total_size"], 1);
    let (_, gmail) =
        call(&double, &bearer, "GET", "/api/v1/connected_accounts?connector=gmail&identifier=alice", Value::Null);
    assert_eq!(
        (gmail["total_size"].as_u64(), gmail["connected_accounts"][0]["status"].as_str()),
        (Some(1), Some("PENDING_AUTH"))
    );

    let (_, first) = call(&double, &bearer, "GET", "/api/v1/connected_accounts?page_size=3", Value::Null);
    assert_eq!(
        (first["connected_accounts"].as_array().unwrap().len(), first["prev_page_token"].as_str()),
        (3, Some(""))
    );
    let next = first["next_page_token"].as_str().unwrap();
    let (_, last) = call(
        &double,
        &bearer,
        "GET",
        &format!("/api/v1/connected_accounts?page_size=3&page_token={next}"),
        Value::Null,
    );
    assert_eq!(last["connected_accounts"][0]["connector"], all["connected_accounts"][3]["connector"]);
    assert_eq!(last["prev_page_token"], "pt_0");

    assert_eq!(call(&double, &bearer, "GET", "/api/v1/connected_accounts?page_size=99", Value::Null).0, 200);
    let (status, error) = call(&double, &bearer, "GET", "/api/v1/connected_accounts?page_size=100", Value::Null);
    let violation = &error["details"][0]["validation_error_info"]["field_violations"][0];
    assert_eq!((status, violation["constraint"].as_str()), (400, Some("uint32.lt")), "{error}");
    assert_eq!(violation["description"], "value must be less than 100");
}

// Notion files: upload, attach, and download through a pre-signed URL.

const PAGE: &str = "59833787-2cf9-4fdf-8782-e53db20768a5";

/// A proxied Notion call for `identifier`'s account.
fn notion_as(
    double: &VirtualScalekit,
    bearer: &str,
    identifier: &str,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    let auth = format!("Bearer {bearer}");
    let headers = [
        ("authorization", auth.as_str()),
        ("connection_name", "notion-ijIQedmJ"),
        ("identifier", identifier),
        ("content-type", content_type),
    ];
    let response = double.handle(&request(method, &format!("/proxy{path}"), &headers, body));
    (response.status, json_of(&response))
}

fn notion(
    double: &VirtualScalekit,
    bearer: &str,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    notion_as(double, bearer, "alice", method, path, content_type, body)
}

fn attach(double: &VirtualScalekit, bearer: &str, parent: &str, upload_ids: &[&str]) -> (u16, Value) {
    let children: Vec<Value> = upload_ids
        .iter()
        .map(|id| json!({"type": "file", "file": {"type": "file_upload", "file_upload": {"id": id}}}))
        .collect();
    notion(
        double,
        bearer,
        "PATCH",
        &format!("/v1/blocks/{parent}/children"),
        "application/json",
        &json!({"children": children}).to_string(),
    )
}

#[test]
fn notion_keeps_uploaded_files_and_serves_them_by_fresh_presigned_urls() {
    let (double, bearer) = world();
    let (_, created) =
        notion(&double, &bearer, "POST", "/v1/file_uploads", "application/json", r#"{"mode": "single_part"}"#);
    let upload_id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(attach(&double, &bearer, PAGE, &[&upload_id]).0, 400, "an upload must be sent before it is attached");

    let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Q3 report#1.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF q3\r\n--XyZ--\r\n";
    let send = format!("/v1/file_uploads/{upload_id}/send");
    let (status, sent) = notion(&double, &bearer, "POST", &send, "multipart/form-data; boundary=XyZ", multipart);
    assert_eq!(
        (status, sent["status"].as_str(), sent["content_length"].as_u64()),
        (200, Some("uploaded"), Some(7)),
        "{sent}"
    );
    assert_eq!(
        notion(&double, &bearer, "POST", &format!("{send}/send"), "multipart/form-data; boundary=XyZ", multipart).0,
        404
    );
    assert_eq!(
        notion(&double, &bearer, "POST", "/v1/file_uploads/nope/send", "multipart/form-data; boundary=XyZ", multipart)
            .0,
        404
    );

    assert_eq!(attach(&double, &bearer, "not-a-page", &[&upload_id]).0, 404, "blocks go under a known page or block");
    assert_eq!(attach(&double, &bearer, PAGE, &[&upload_id, "never-sent"]).0, 400);
    assert_eq!(attach(&double, &bearer, &PAGE.replace('-', ""), &[&upload_id]).0, 200, "dashes are optional in ids");
    let blocks_before = double.state.lock().unwrap().notion_blocks.len();
    assert_eq!(blocks_before, 1, "a rejected request stores nothing");

    let (status, attached) = attach(&double, &bearer, PAGE, &[&upload_id]);
    assert_eq!(status, 200, "{attached}");
    let block_id = attached["results"][0]["id"].as_str().unwrap();
    let (_, listed) = notion(&double, &bearer, "GET", &format!("/v1/blocks/{PAGE}/children"), "application/json", "");
    let files: Vec<&str> = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "file")
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(files.last(), Some(&block_id), "the page lists the file block attached to it");
    let (status, block) = notion(&double, &bearer, "GET", &format!("/v1/blocks/{block_id}"), "application/json", "");
    assert_eq!((status, block["file"]["name"].as_str()), (200, Some("Q3 report#1.pdf")), "{block}");
    assert_eq!(
        notion(&double, &bearer, "GET", "/v1/blocks/6c1d2e3f", "application/json", "").0,
        404,
        "unknown blocks are not found"
    );
    {
        let mut state = double.state.lock().unwrap();
        let mut bobs = state.accounts.iter().find(|a| a.connector == "notion-ijIQedmJ").cloned().unwrap();
        bobs.identifier = "bob".into();
        state.accounts.push(bobs);
    }
    let (status, for_bob) =
        notion_as(&double, &bearer, "bob", "GET", &format!("/v1/blocks/{block_id}"), "application/json", "");
    assert_eq!(
        (status, for_bob["code"].as_str()),
        (404, Some("object_not_found")),
        "another user's account does not see alice's blocks"
    );

    let url = block["file"]["file"]["url"].as_str().unwrap();
    assert!(url.contains("/Q3%20report%231.pdf?"), "the name is one encoded path segment: {url}");
    let download = double.handle(&request("GET", url.strip_prefix(BASE).expect("a URL of this environment"), &[], ""));
    assert_eq!(
        (download.status, &download.body[..], download.content_type.as_str()),
        (200, &b"%PDF q3"[..], "application/pdf"),
        "no bearer needed"
    );

    let key = format!("{block_id}/Q3%20report%231.pdf");
    let signed = |key: &str, epoch: u64| {
        format!(
            "/presigned/{key}?Expires={epoch}&Signature={}",
            super::provider::signature(&double.state.lock().unwrap(), key, epoch)
        )
    };
    let body_of = |target: &str| {
        let r = double.handle(&request("GET", target, &[], ""));
        (r.status, String::from_utf8_lossy(&r.body).into_owned())
    };
    let (status, expired) = body_of(&signed(&key, 1_700_000_000));
    assert_eq!(status, 403);
    assert!(expired.contains("Request has expired"), "{expired}");
    let tampered = url.replace("Expires=", "Expires=9");
    let (status, mismatch) = body_of(tampered.strip_prefix(BASE).unwrap());
    assert_eq!(status, 403);
    assert!(mismatch.contains("SignatureDoesNotMatch"), "{mismatch}");
    assert_eq!(body_of(&signed(&format!("{block_id}/other.pdf"), 4_000_000_000)).0, 404, "the name is part of the key");
    assert_eq!(body_of(&format!("/presigned/{key}")).0, 403, "unsigned");
}

// MCP configs and instances.

fn create_config(double: &VirtualScalekit, bearer: &str, body: Value) -> (u16, Value) {
    call(double, bearer, "POST", "/api/v1/mcp/configs", body)
}

fn summarizer() -> Value {
    json!({"name": "daily-summarizer", "description": "Mail and chat digest", "connection_tool_mappings": [
        {"connection_name": "gmail", "tools": ["gmail_fetch_mails"]},
        {"connection_name": "slack-main", "tools": []},
        {"connection_name": "exa"},
        {"connection_name": "notion-team", "tools": ["notion_page_search"]},
    ]})
}

#[test]
fn creates_and_lists_mcp_configs() {
    let (double, bearer) = world();
    let (status, created) = create_config(&double, &bearer, summarizer());
    assert_eq!(status, 201, "{created}");
    let config = &created["config"];
    assert!(config["id"].as_str().unwrap().starts_with("cfg_"), "{config}");
    assert_eq!(
        (config["name"].as_str(), config["description"].as_str()),
        (Some("daily-summarizer"), Some("Mail and chat digest"))
    );
    assert!(config["mcp_server_url"].as_str().unwrap().starts_with(&format!("{BASE}/mcp/v3/servers/")), "{config}");
    let gmail = &config["connection_tool_mappings"][0];
    assert!(gmail["connection_id"].as_str().unwrap().starts_with("conn_"));
    assert_eq!((gmail["connection_name"].as_str(), gmail["provider"].as_str()), (Some("gmail"), Some("GMAIL")));
    assert_eq!(gmail["tools"], json!(["gmail_fetch_mails"]));
    assert_eq!(config["connection_tool_mappings"][2]["tools"], json!([]));

    let (status, duplicate) = create_config(&double, &bearer, summarizer());
    assert_eq!(
        (status, duplicate["code"].as_u64(), error_code(&duplicate)),
        (409, Some(6), "ALREADY_EXISTS"),
        "{duplicate}"
    );

    let other = json!({"name": "crm_sync", "connection_tool_mappings": [{"connection_name": "hubspot"}]});
    assert_eq!(create_config(&double, &bearer, other).0, 201);
    let (status, listed) = call(&double, &bearer, "GET", "/api/v1/mcp/configs", Value::Null);
    assert_eq!(
        (status, listed["total_size"].as_u64(), listed["next_page_token"].as_str()),
        (200, Some(3), Some("")),
        "{listed}: the seeded inbox-summary and the two created here"
    );
    let (_, named) = call(&double, &bearer, "GET", "/api/v1/mcp/configs?filter.name=crm_sync", Value::Null);
    assert_eq!((named["total_size"].as_u64(), named["configs"][0]["name"].as_str()), (Some(1), Some("crm_sync")));
    let (_, by_provider) = call(&double, &bearer, "GET", "/api/v1/mcp/configs?filter.provider=slack", Value::Null);
    let slack: Vec<&str> =
        by_provider["configs"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(slack, ["inbox-summary", "daily-summarizer"]);
    let (_, searched) = call(&double, &bearer, "GET", "/api/v1/mcp/configs?search=DIGEST", Value::Null);
    assert_eq!(searched["total_size"], 1);
    let (_, paged) = call(&double, &bearer, "GET", "/api/v1/mcp/configs?page_size=1", Value::Null);
    assert_eq!((paged["configs"].as_array().unwrap().len(), paged["next_page_token"].as_str()), (1, Some("pt_1")));
    let (status, error) = call(&double, &bearer, "GET", "/api/v1/mcp/configs?page_size=31", Value::Null);
    assert_eq!(
        (status, error["details"][0]["validation_error_info"]["field_violations"][0]["field"].as_str()),
        (400, Some("page_size"))
    );
}

#[test]
fn mcp_config_requests_are_checked() {
    let (double, bearer) = world();
    let invalid_field = |body: Value| {
        let (status, error) = create_config(&double, &bearer, body);
        assert_eq!(status, 400, "{error}");
        error["details"][0]["validation_error_info"]["field_violations"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(invalid_field(json!({"connection_tool_mappings": []})), "name");
    assert_eq!(invalid_field(json!({"name": "Daily Summarizer"})), "name");
    assert_eq!(invalid_field(json!({"name": "x".repeat(101)})), "name");
    assert_eq!(
        invalid_field(json!({"name": "ok", "connection_tool_mappings": [{"tools": []}]})),
        "connection_tool_mappings[0].connection_name"
    );
    let many: Vec<Value> = (0..26).map(|_| json!({"connection_name": "gmail"})).collect();
    assert_eq!(invalid_field(json!({"name": "ok", "connection_tool_mappings": many})), "connection_tool_mappings");

    let (status, error) = create_config(&double, &bearer, json!({"name": "ok", "connections": []}));
    assert!(status == 400 && error["message"].as_str().unwrap().contains("\"connections\""), "{error}");
    let (status, error) = create_config(
        &double,
        &bearer,
        json!({"name": "ok", "connection_tool_mappings": [{"connection_name": "gmail", "tool_names": []}]}),
    );
    assert!(status == 400 && error["message"].as_str().unwrap().contains("\"tool_names\""), "{error}");
    let (status, error) = create_config(
        &double,
        &bearer,
        json!({"name": "ok", "connection_tool_mappings": [{"connection_name": "no-such"}]}),
    );
    assert_eq!((status, error_code(&error)), (404, "NOT_FOUND"), "{error}");
    let (status, error) = create_config(
        &double,
        &bearer,
        json!({"name": "ok", "connection_tool_mappings": [{"connection_name": "gmail", "tools": ["slack_send_message"]}]}),
    );
    assert!(status == 400 && error["message"].as_str().unwrap().contains("slack_send_message"), "{error}");
    let names: Vec<Value> = call(&double, &bearer, "GET", "/api/v1/mcp/configs", Value::Null).1["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("inbox-summary")], "nothing was created beside the seeded config");
}

#[test]
fn mcp_instances_are_ensured_once_per_user() {
    let (double, bearer) = world();
    assert_eq!(create_config(&double, &bearer, summarizer()).0, 201);
    let ensure = |user: &str| {
        call(
            &double,
            &bearer,
            "POST",
            "/api/v1/mcp/instances",
            json!({"config_name": "daily-summarizer", "user_identifier": user}),
        )
    };
    let (status, first) = ensure("alice");
    assert_eq!(status, 200, "{first}");
    let instance = &first["instance"];
    let id = instance["id"].as_str().unwrap();
    assert_eq!(
        (instance["user_identifier"].as_str(), instance["config"]["name"].as_str()),
        (Some("alice"), Some("daily-summarizer"))
    );
    let url = instance["url"].as_str().unwrap();
    let token = url.strip_prefix(&format!("{BASE}/mcp/v3/instances/{id}?token=")).expect("instance url");
    assert!(token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()), "{url}");
    assert!(instance["last_used_at"].is_null() && instance["updated_at"].as_str().is_some(), "{instance}");

    assert_eq!(ensure("alice").1, first, "ensuring again returns the same instance");
    assert_ne!(ensure("bob").1["instance"]["id"], instance["id"]);

    let (status, got) = call(&double, &bearer, "GET", &format!("/api/v1/mcp/instances/{id}"), Value::Null);
    assert_eq!((status, &got), (200, &first));
    let (status, missing) = call(&double, &bearer, "GET", "/api/v1/mcp/instances/mcpi_missing", Value::Null);
    assert_eq!((status, error_code(&missing)), (404, "NOT_FOUND"));

    let (status, error) =
        call(&double, &bearer, "POST", "/api/v1/mcp/instances", json!({"config_name": "daily-summarizer"}));
    let field = &error["details"][0]["validation_error_info"]["field_violations"][0]["field"];
    assert_eq!((status, field.as_str()), (400, Some("user_identifier")), "{error}");
    let (status, error) = call(
        &double,
        &bearer,
        "POST",
        "/api/v1/mcp/instances",
        json!({"config_name": "nope", "user_identifier": "alice"}),
    );
    assert_eq!((status, error_code(&error)), (404, "NOT_FOUND"));
}

#[test]
fn mcp_auth_state_reports_accounts_and_issues_links() {
    let (double, bearer) = world();
    assert_eq!(create_config(&double, &bearer, summarizer()).0, 201);
    let (_, ensured) = call(
        &double,
        &bearer,
        "POST",
        "/api/v1/mcp/instances",
        json!({"config_name": "daily-summarizer", "user_identifier": "alice"}),
    );
    let id = ensured["instance"]["id"].as_str().unwrap().to_owned();
    let state = |query: &str| {
        let (status, body) =
            call(&double, &bearer, "POST", &format!("/api/v1/mcp/instances/{id}:get_auth_state{query}"), Value::Null);
        assert_eq!(status, 200, "{body}");
        body["connections"].as_array().unwrap().clone()
    };
    let row = |rows: &[Value], i: usize| {
        let r = &rows[i];
        (
            r["connection_name"].as_str().unwrap().to_owned(),
            r["connected_account_status"].as_str().unwrap().to_owned(),
            r["authentication_link"].as_str().unwrap().to_owned(),
        )
    };

    let plain = state("");
    assert_eq!(plain.len(), 4);
    assert_eq!(row(&plain, 0), ("gmail".into(), "PENDING_AUTH".into(), String::new()));
    assert_eq!(row(&plain, 1), ("slack-main".into(), "ACTIVE".into(), String::new()));
    assert_eq!(row(&plain, 2), ("exa".into(), "ACTIVE".into(), String::new()));
    assert_eq!(row(&plain, 3), ("notion-team".into(), String::new(), String::new()), "no account yet");
    assert_eq!((plain[3]["connected_account_id"].as_str(), plain[0]["provider"].as_str()), (Some(""), Some("GMAIL")));
    assert!(plain[0]["connection_id"].as_str().unwrap().starts_with("conn_"));

    let linked = state("?include_auth_links=true");
    let (_, gmail_status, gmail_link) = row(&linked, 0);
    assert_eq!(gmail_status, "PENDING_AUTH");
    assert!(gmail_link.starts_with(&format!("{BASE}/magic/")), "{gmail_link}");
    assert_eq!(row(&linked, 1).2, "", "an ACTIVE account needs no link");
    assert_eq!(row(&linked, 2).2, "", "API-key connections get no link");
    let (_, notion_status, notion_link) = row(&linked, 3);
    assert_eq!(notion_status, "PENDING_AUTH", "issuing a link creates the account");
    assert!(linked[3]["connected_account_id"].as_str().unwrap().starts_with("ca_"));
    assert!(!notion_link.is_empty());

    assert_eq!(browse(&double, "POST", &gmail_link).status, 200);
    let after = state("?include_auth_links=1");
    assert_eq!(row(&after, 0), ("gmail".into(), "ACTIVE".into(), String::new()));
    assert_ne!(row(&after, 3).2, notion_link, "each call issues a fresh link");
    assert_eq!(browse(&double, "GET", &notion_link).status, 200, "and earlier links stay valid");

    let (status, error) = call(
        &double,
        &bearer,
        "POST",
        &format!("/api/v1/mcp/instances/{id}:get_auth_state?include_auth_links=maybe"),
        Value::Null,
    );
    assert_eq!((status, error_code(&error)), (400, "INVALID_ARGUMENT"));
    let (status, error) =
        call(&double, &bearer, "POST", "/api/v1/mcp/instances/mcpi_missing:get_auth_state", Value::Null);
    assert_eq!((status, error_code(&error)), (404, "NOT_FOUND"));
    assert_eq!(call(&double, &bearer, "POST", &format!("/api/v1/mcp/instances/{id}:get_state"), Value::Null).0, 404);
}

// The MCP servers behind the URLs.

/// Posts one JSON-RPC request to an MCP URL of this double: (status, content type, body text).
fn mcp_post(double: &VirtualScalekit, url: &str, headers: &[(&str, &str)], message: Value) -> (u16, String, String) {
    let target = url.strip_prefix(BASE).expect("a URL of this double");
    let mut all = vec![("accept", "application/json, text/event-stream"), ("content-type", "application/json")];
    all.extend_from_slice(headers);
    let response = double.handle(&request("POST", target, &all, &message.to_string()));
    (response.status, response.content_type.clone(), text_of(&response))
}

/// A JSON-RPC request's result (or error) from a JSON answer.
fn mcp_rpc(double: &VirtualScalekit, url: &str, headers: &[(&str, &str)], method: &str, params: Value) -> Value {
    let (status, content_type, body) =
        mcp_post(double, url, headers, json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}));
    assert_eq!((status, content_type.as_str()), (200, "application/json"), "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((reply["jsonrpc"].as_str(), reply["id"].as_u64()), (Some("2.0"), Some(7)), "{reply}");
    reply
}

/// alice's instance of the summarizer config: its URL.
fn summarizer_instance(double: &VirtualScalekit, bearer: &str, user: &str) -> String {
    assert_eq!(create_config(double, bearer, summarizer()).0, 201);
    let (_, ensured) = call(
        double,
        bearer,
        "POST",
        "/api/v1/mcp/instances",
        json!({"config_name": "daily-summarizer", "user_identifier": user}),
    );
    ensured["instance"]["url"].as_str().expect("an instance URL").to_owned()
}

#[test]
fn an_instance_url_serves_the_config_s_tools_for_its_user() {
    let (double, bearer) = world();
    let url = summarizer_instance(&double, &bearer, "alice");
    let init = mcp_rpc(
        &double,
        &url,
        &[],
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    );
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    assert!(init["result"]["capabilities"]["tools"].is_object(), "{init}");
    let newest = mcp_rpc(&double, &url, &[], "initialize", json!({"protocolVersion": "2031-01-01"}));
    assert_eq!(newest["result"]["protocolVersion"], "2025-11-25");
    let (status, _, body) =
        mcp_post(&double, &url, &[], json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert_eq!((status, body.as_str()), (202, ""));

    let listed = mcp_rpc(&double, &url, &[], "tools/list", json!({}));
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["gmail_fetch_mails", "slack_list_channels", "slack_send_message", "exa_search", "notion_page_search"]
    );
    assert_eq!(listed["result"]["tools"][3]["inputSchema"]["required"], json!(["query"]), "{listed}");

    let ran =
        mcp_rpc(&double, &url, &[], "tools/call", json!({"name": "exa_search", "arguments": {"query": "rust wasm"}}));
    assert_eq!(ran["result"]["isError"], false, "{ran}");
    assert!(ran["result"]["structuredContent"]["results"].is_array(), "{ran}");
    let text: Value = serde_json::from_str(ran["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, ran["result"]["structuredContent"], "the text block holds the same data");

    let outside = mcp_rpc(&double, &url, &[], "tools/call", json!({"name": "notion_page_get", "arguments": {}}));
    assert_eq!(outside["result"]["isError"], true, "{outside}");
    assert!(outside["result"]["content"][0]["text"].as_str().unwrap().contains("not on this MCP server"));
    let invalid = mcp_rpc(&double, &url, &[], "tools/call", json!({"name": "exa_search", "arguments": {"qeury": "x"}}));
    assert!(
        invalid["result"]["content"][0]["text"].as_str().unwrap().starts_with("invalid arguments for exa_search"),
        "{invalid}"
    );
    let unknown = mcp_rpc(&double, &url, &[], "resources/list", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
}

#[test]
fn a_connection_the_user_has_not_authorized_answers_with_a_fresh_link() {
    let (double, bearer) = world();
    let url = summarizer_instance(&double, &bearer, "alice");
    let refused = mcp_rpc(&double, &url, &[], "tools/call", json!({"name": "gmail_fetch_mails", "arguments": {}}));
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let text = refused["result"]["content"][0]["text"].as_str().unwrap();
    let link = text.rsplit(' ').next().unwrap();
    assert!(
        text.starts_with("Authorization required: gmail is not connected for alice")
            && link.starts_with(&format!("{BASE}/magic/")),
        "{text}"
    );
    assert_eq!(browse(&double, "POST", link).status, 200);
    let ran = mcp_rpc(&double, &url, &[], "tools/call", json!({"name": "gmail_fetch_mails", "arguments": {}}));
    assert_eq!(ran["result"]["isError"], false, "{ran}");
}

#[test]
fn mcp_credentials_are_checked_and_messages_framed_as_asked() {
    let (double, bearer) = world();
    let url = summarizer_instance(&double, &bearer, "alice");
    let forged = url.replace("token=", "token=0");
    let (status, _, body) = mcp_post(&double, &forged, &[], json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
    assert_eq!(status, 401, "{body}");
    let (status, _, _) = mcp_post(
        &double,
        &format!("{BASE}/mcp/v3/instances/mcpi_missing"),
        &[],
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    );
    assert_eq!(status, 404);
    let (status, content_type, body) = mcp_post(
        &double,
        &url,
        &[("accept", "text/event-stream")],
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled"}),
    );
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (202, "", ""),
        "a notification is accepted, with no body"
    );
    let (status, _, body) = mcp_post(&double, &url, &[], json!({}));
    assert_eq!(status, 400, "neither a request, a notification nor a response: {body}");
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let (status, _, _) = mcp_post(&double, &url, &[("origin", "http://evil.example")], ping.clone());
    assert_eq!(status, 403, "a page of another site is refused");
    let (status, _, body) = mcp_post(&double, &url, &[("mcp-protocol-version", "1999-01-01")], ping.clone());
    assert_eq!(status, 400, "an unsupported protocol version is refused: {body}");
    let (status, _, _) = mcp_post(&double, &url, &[("mcp-protocol-version", "2025-06-18"), ("origin", BASE)], ping);
    assert_eq!(status, 200);
    let response =
        double.handle(&request("GET", url.strip_prefix(BASE).unwrap(), &[("accept", "text/event-stream")], ""));
    assert_eq!(response.status, 405);
    let response = double.handle(&request("POST", url.strip_prefix(BASE).unwrap(), &[], "{not json"));
    assert_eq!((response.status, json_of(&response)["error"]["code"].as_i64()), (400, Some(-32700)));

    let sse_only = [("accept", "text/event-stream")];
    let target = url.strip_prefix(BASE).unwrap();
    let ping = json!({"jsonrpc": "2.0", "id": 3, "method": "ping"}).to_string();
    let response = double.handle(&request("POST", target, &sse_only, &ping));
    assert_eq!(
        (response.content_type.as_str(), text_of(&response)),
        ("text/event-stream", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n\n".to_owned())
    );
    let with_progress = json!({"name": "exa_search", "arguments": {"query": "x"}, "_meta": {"progressToken": "p1"}});
    let (status, content_type, body) = mcp_post(
        &double,
        &url,
        &[],
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": with_progress}),
    );
    assert_eq!((status, content_type.as_str()), (200, "text/event-stream"));
    let events: Vec<Value> = body
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("event: message\ndata: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(
        (events.len(), events[0]["method"].as_str(), events[1]["id"].as_u64()),
        (2, Some("notifications/progress"), Some(4)),
        "{body}"
    );
}

#[test]
fn session_tokens_open_a_config_s_server_url_for_one_user() {
    let (double, bearer) = world();
    let (_, created) = create_config(
        &double,
        &bearer,
        json!({"name": "search-only", "connection_tool_mappings": [{"connection_name": "exa", "tools": ["exa_search"]}]}),
    );
    let (id, server) =
        (created["config"]["id"].as_str().unwrap(), created["config"]["mcp_server_url"].as_str().unwrap().to_owned());
    let tokens = format!("/api/v1/mcp/configs/{id}/tokens");
    let (status, issued) = call(&double, &bearer, "POST", &tokens, json!({"identifier": "alice", "expiry": "120s"}));
    assert_eq!(status, 200, "{issued}");
    let token = issued["token"].as_str().unwrap();
    assert!(issued["expires_at"].as_str().unwrap().ends_with('Z'), "{issued}");
    let auth = format!("Bearer {token}");
    let listed = mcp_rpc(&double, &server, &[("authorization", &auth)], "tools/list", json!({}));
    assert_eq!(listed["result"]["tools"].as_array().unwrap().len(), 1, "{listed}");
    let (status, _, _) = mcp_post(
        &double,
        &server,
        &[("authorization", "Bearer nope")],
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    );
    assert_eq!(status, 401);
    let (status, _, _) = mcp_post(&double, &server, &[], json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}));
    assert_eq!(status, 401);

    let (status, error) = call(&double, &bearer, "POST", &tokens, json!({"identifier": "bob"}));
    assert_eq!((status, error_code(&error)), (400, "FAILED_PRECONDITION"), "bob has no ACTIVE exa account: {error}");
    for expiry in ["59s", "86401s", "1h"] {
        let (status, error) = call(&double, &bearer, "POST", &tokens, json!({"identifier": "alice", "expiry": expiry}));
        assert_eq!((status, error_code(&error)), (400, "INVALID_ARGUMENT"), "{expiry}");
    }
    let (status, _) =
        call(&double, &bearer, "POST", "/api/v1/mcp/configs/cfg_missing/tokens", json!({"identifier": "alice"}));
    assert_eq!(status, 404);

    for t in &mut double.state.lock().unwrap().mcp_session_tokens {
        t.expires = std::time::SystemTime::now() - Duration::from_secs(1);
    }
    let (status, _, _) =
        mcp_post(&double, &server, &[("authorization", &auth)], json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}));
    assert_eq!(status, 401, "an expired session token opens nothing");

    let accounts = format!("/api/v1/mcp/configs/{id}/connected_accounts");
    let (status, listed) =
        call(&double, &bearer, "POST", &accounts, json!({"identifier": "alice", "include_auth_link": true}));
    assert_eq!(status, 200, "{listed}");
    let row = &listed["connected_accounts"][0];
    assert_eq!(
        (row["connection_name"].as_str(), row["connected_account_status"].as_str()),
        (Some("exa"), Some("ACTIVE"))
    );
}

// Tools answer from their input.

/// Runs `tool` with `params` on `connector` for alice: (status, body).
fn execute(double: &VirtualScalekit, bearer: &str, tool: &str, connector: &str, params: Value) -> (u16, Value) {
    let body = json!({"tool_name": tool, "connector": connector, "identifier": "alice", "params": params});
    call(double, bearer, "POST", "/api/v1/execute_tool", body)
}

/// The provider's refusal of a tool call: (tool_error_code, tool_error_message).
fn tool_error(status: u16, body: &Value) -> (String, String) {
    assert_eq!((status, error_code(body)), (500, "TOOL_ERROR"), "{body}");
    let info = &body["details"][0]["tool_error_info"];
    assert!(info["execution_id"].as_str().unwrap().starts_with("exec_"), "{body}");
    (info["tool_error_code"].as_str().unwrap().to_owned(), info["tool_error_message"].as_str().unwrap().to_owned())
}

#[test]
fn notion_pages_list_their_text_and_the_blocks_appended_to_them() {
    let (double, bearer) = world();
    let children =
        |id: &str| notion(&double, &bearer, "GET", &format!("/v1/blocks/{id}/children"), "application/json", "");
    let texts = |listing: &Value| -> Vec<String> {
        listing["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["paragraph"]["rich_text"][0]["plain_text"].as_str().unwrap_or("<file>").to_owned())
            .collect()
    };
    let (status, seeded) = children(PAGE);
    assert_eq!(
        (status, texts(&seeded)),
        (200, vec!["Ship agent-auth 1.0.".to_owned(), "MCP server for every client.".to_owned()])
    );
    let paragraph = json!({"children": [{"type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": "Launch on Monday."}}]}}]});
    let (status, added) = notion(
        &double,
        &bearer,
        "PATCH",
        &format!("/v1/blocks/{PAGE}/children"),
        "application/json",
        &paragraph.to_string(),
    );
    assert_eq!(status, 200, "{added}");
    assert_eq!(texts(&children(PAGE).1).last().map(String::as_str), Some("Launch on Monday."));
    assert_eq!(children("00000000000040008000000000000000").0, 404);

    let (_, search) = notion(
        &double,
        &bearer,
        "POST",
        "/v1/search",
        "application/json",
        r#"{"query": "plan", "start_cursor": "nope"}"#,
    );
    assert_eq!(search["code"], "validation_error", "{search}");
    let (_, users) = execute(&double, &bearer, "notion_user_list", "notion-ijIQedmJ", json!({"page_size": 1}));
    assert_eq!(
        (users["data"]["results"].as_array().map(Vec::len), users["data"]["has_more"].as_bool()),
        (Some(1), Some(true))
    );
}

#[test]
fn notion_tools_read_and_write_the_pages_they_are_asked_for() {
    let (double, bearer) = world();
    let notion = "notion-ijIQedmJ";
    let (status, got) = execute(
        &double,
        &bearer,
        "notion_page_get",
        notion,
        json!({"page_id": "1f0b3c55-9a2e-4c1d-8e7f-3a9b2c4d5e6f"}),
    );
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["data"]["properties"]["title"]["title"][0]["plain_text"], "Hiring plan");
    let (status, missing) = execute(
        &double,
        &bearer,
        "notion_page_get",
        notion,
        json!({"page_id": "00000000-0000-4000-8000-000000000000"}),
    );
    assert_eq!(tool_error(status, &missing).0, "object_not_found");

    let (_, found) = execute(&double, &bearer, "notion_page_search", notion, json!({"query": "roadmap"}));
    let titles: Vec<&str> =
        found["data"]["results"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Q3 roadmap"]);
    let (_, paged) =
        execute(&double, &bearer, "notion_page_search", notion, json!({"page_size": 1, "sort_direction": "ascending"}));
    assert_eq!(
        (paged["data"]["results"][0]["title"].as_str(), paged["data"]["has_more"].as_bool()),
        (Some("Hiring plan"), Some(true))
    );

    let (status, created) = execute(
        &double,
        &bearer,
        "notion_page_create",
        notion,
        json!({"parent_page_id": "59833787-2cf9-4fdf-8782-e53db20768a5", "title": "Launch checklist", "paragraphs": ["Write the notes."]}),
    );
    assert_eq!(status, 200, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    let (_, read) = execute(&double, &bearer, "notion_page_get", notion, json!({"page_id": id}));
    assert_eq!(read["data"]["parent"]["page_id"], "59833787-2cf9-4fdf-8782-e53db20768a5");
    assert_eq!(read["data"]["properties"]["title"]["title"][0]["plain_text"], "Launch checklist");
    let (status, orphan) =
        execute(&double, &bearer, "notion_page_create", notion, json!({"parent_page_id": "nope", "title": "x"}));
    assert_eq!(tool_error(status, &orphan).0, "object_not_found");
}

#[test]
fn other_tools_answer_from_their_input() {
    let (double, bearer) = world();
    let (status, sent) = execute(
        &double,
        &bearer,
        "slack_send_message",
        "slack-main",
        json!({"channel": "#eng", "text": "Deploy done"}),
    );
    assert_eq!(
        (status, sent["data"]["channel"].as_str(), sent["data"]["message"]["text"].as_str()),
        (200, Some("C024BE92M"), Some("Deploy done"))
    );
    let (status, lost) =
        execute(&double, &bearer, "slack_send_message", "slack-main", json!({"channel": "#nowhere", "text": "hi"}));
    assert_eq!(tool_error(status, &lost), ("channel_not_found".into(), "Slack API error: channel_not_found".into()));
    let (_, limited) = execute(&double, &bearer, "slack_list_channels", "slack-main", json!({"limit": 1}));
    assert_eq!(limited["data"]["channels"].as_array().unwrap().len(), 1);

    let (_, people) = execute(
        &double,
        &bearer,
        "harvestapi_search_people",
        "harvestapi-7Qx2",
        json!({"search": "staff engineer", "location": "Munich"}),
    );
    assert_eq!(people["data"]["elements"][0]["name"], "Lukas Weber");
    assert_eq!(people["data"]["pagination"]["totalElements"], 1);

    let (_, web) =
        execute(&double, &bearer, "exa_search", "exa", json!({"query": "model context protocol", "num_results": 1}));
    assert_eq!(web["data"]["results"].as_array().unwrap().len(), 1);
    assert_eq!(web["data"]["results"][0]["url"], "https://modelcontextprotocol.io/");
    let (_, none) = execute(
        &double,
        &bearer,
        "exa_search",
        "exa",
        json!({"query": "wasmtime", "include_domains": ["example.com"]}),
    );
    assert_eq!(none["data"]["results"], json!([]));

    let (_, events) = execute(
        &double,
        &bearer,
        "googlecalendar_list_events",
        "googlecalendar",
        json!({"calendar_id": "primary", "time_min": "2026-12-01T00:00:00Z"}),
    );
    let summaries: Vec<&str> =
        events["data"]["items"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert_eq!(summaries, ["Q3 planning"]);
    let (status, bad) = execute(
        &double,
        &bearer,
        "googlecalendar_list_events",
        "googlecalendar",
        json!({"calendar_id": "team@example.com"}),
    );
    assert_eq!(tool_error(status, &bad).0, "notFound");
}

#[test]
fn tools_of_accounts_alice_activates_answer_too() {
    let (double, bearer) = world();
    for connector in ["gmail", "github-connect", "linear"] {
        // linear has no account for alice yet (409 for the others, which have one).
        let body = json!({"connector": connector, "identifier": "alice", "connected_account": {}});
        let _ = call(&double, &bearer, "POST", "/api/v1/connected_accounts", body);
        let link = new_link(&double, &bearer, connector, "alice");
        assert_eq!(browse(&double, "POST", &link).status, 200, "{connector}");
    }
    let (_, unread) =
        execute(&double, &bearer, "gmail_fetch_mails", "gmail", json!({"query": "is:unread from:jordan"}));
    assert_eq!(unread["data"]["messages"][0]["subject"], "Design review moved");
    let (status, sent) = execute(
        &double,
        &bearer,
        "gmail_send_message",
        "gmail",
        json!({"to": ["cfo@example.com"], "subject": "Re: numbers", "body": "Thanks!"}),
    );
    assert_eq!(status, 200, "{sent}");
    let (_, outbox) = execute(&double, &bearer, "gmail_fetch_mails", "gmail", json!({"query": "in:sent"}));
    assert_eq!(
        (outbox["data"]["messages"][0]["id"].as_str(), outbox["data"]["resultSizeEstimate"].as_u64()),
        (sent["data"]["id"].as_str(), Some(1))
    );
    let (status, bad) =
        execute(&double, &bearer, "gmail_send_message", "gmail", json!({"to": ["cfo"], "subject": "s", "body": "b"}));
    assert_eq!(tool_error(status, &bad), ("invalidArgument".into(), "Invalid To header: cfo".into()));

    let (_, branches) = execute(
        &double,
        &bearer,
        "github_branches_list",
        "github-connect",
        json!({"owner": "acme", "repo": "agent-auth"}),
    );
    assert_eq!(branches["data"][0], json!({"name": "main", "protected": true}));
    let (status, missing) =
        execute(&double, &bearer, "github_branches_list", "github-connect", json!({"owner": "acme", "repo": "nope"}));
    assert_eq!(tool_error(status, &missing).0, "NOT_FOUND");

    let issue = |title: &str| {
        execute(&double, &bearer, "linear_issue_create", "linear", json!({"team_id": "ENG", "title": title})).1
    };
    assert_eq!(
        (issue("First")["data"]["issue"]["id"].as_str(), issue("Second")["data"]["issue"]["id"].as_str()),
        (Some("ENG-1042"), Some("ENG-1043"))
    );
}

#[test]
fn custom_verification_keeps_the_account_pending_until_the_app_confirms_its_person() {
    let (double, bearer) = world_with(VirtualScalekit::new(BASE, None).with_custom_verification());
    // A link without a verify URL fails after consent, as Scalekit's does, and stays that way.
    let bare = new_link(&double, &bearer, "gmail", "alice");
    let failed = browse(&double, "POST", &bare);
    assert_eq!(failed.status, 400);
    assert!(text_of(&failed).contains("failed_to_exchange"), "{}", text_of(&failed));
    assert_eq!(browse(&double, "POST", &bare).status, 400, "a reload says the same");
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "PENDING_AUTH");

    // With one, consent sends the browser there with auth_request_id and state.
    let verify = json!({"connector": "gmail", "identifier": "alice", "user_verify_url": "http://127.0.0.1:9/v", "state": "st-1"});
    let (status, made) = call(&double, &bearer, "POST", "/api/v1/connected_accounts/magic_link", verify);
    assert_eq!(status, 200, "{made}");
    let review = browse(&double, "GET", made["link"].as_str().unwrap());
    let policy = review.headers.iter().find(|(k, _)| k == "content-security-policy").map(|(_, v)| v.clone());
    assert!(policy.is_some_and(|p| p.contains("form-action 'self' http://127.0.0.1:9;")), "{:?}", review.headers);
    let consent = browse(&double, "POST", made["link"].as_str().unwrap());
    assert_eq!(consent.status, 302);
    let location = consent.headers.iter().find(|(k, _)| k == "location").map(|(_, v)| v.clone()).unwrap();
    let (_, query) = location.split_once('?').unwrap();
    let pairs = server::parse_query(query);
    assert_eq!(location.split_once('?').unwrap().0, "http://127.0.0.1:9/v");
    assert_eq!(pairs[1], ("state".to_owned(), "st-1".to_owned()));
    let request_id = pairs[0].1.clone();
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "PENDING_VERIFICATION");

    let verify = |id: &str, who: &str| {
        let body = json!({"auth_request_id": id, "identifier": who});
        call(&double, &bearer, "POST", "/api/v1/connected_accounts/user/verify", body)
    };
    assert_eq!(verify(&request_id, "mallory").0, 403, "another identifier");
    assert_eq!(verify("ar_unknown", "alice").0, 404, "an unknown request");
    assert_eq!(verify("", "alice").0, 400, "a missing field");
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "PENDING_VERIFICATION");
    let (status, verified) = verify(&request_id, "alice");
    assert_eq!(
        (status, verified["post_user_verify_redirect_url"].as_str()),
        (200, Some("http://virtual-scalekit.test/connect/success"))
    );
    assert_eq!(account(&double, &bearer, "gmail", "alice")["status"], "ACTIVE");
    assert_eq!(verify(&request_id, "alice").0, 404, "used once");

    let too_long =
        json!({"connector": "gmail", "identifier": "alice", "user_verify_url": "ftp://x", "state": "s".repeat(513)});
    let (status, refused) = call(&double, &bearer, "POST", "/api/v1/connected_accounts/magic_link", too_long);
    assert_eq!(status, 400, "{refused}");
}
