//! `multipart/form-data` bodies (RFC 7578): text fields plus one file part.

/// A multipart body and its content type.
pub struct Multipart {
    /// `multipart/form-data; boundary=...`
    pub content_type: String,
    /// The encoded body.
    pub body: Vec<u8>,
}

fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace(['\r', '\n'], " ")
}

/// Encodes `fields` as text parts, then the file as part `file_field`.
pub fn encode(
    boundary: &str,
    fields: &[(String, String)],
    file_field: &str,
    file_name: &str,
    mime: &str,
    bytes: &[u8],
) -> Multipart {
    let mut body = Vec::with_capacity(bytes.len() + 256);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n", quoted(name))
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {mime}\r\n\r\n",
            quoted(file_field),
            quoted(file_name)
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Multipart { content_type: format!("multipart/form-data; boundary={boundary}"), body }
}
