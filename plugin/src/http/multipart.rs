//! `multipart/form-data` bodies (RFC 7578): text fields plus one file part, whose bytes are read
//! from the file as the body is sent.

use std::path::PathBuf;

use super::Body;

/// A multipart body around one file: its content type, and what goes before and after the file.
pub struct Multipart {
    /// `multipart/form-data; boundary=...`
    pub content_type: String,
    head: Vec<u8>,
    tail: Vec<u8>,
}

fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace(['\r', '\n'], " ")
}

impl Multipart {
    /// `fields` as text parts, then part `file_field` named `file_name` of type `mime`.
    pub fn around(
        boundary: &str,
        fields: &[(String, String)],
        file_field: &str,
        file_name: &str,
        mime: &str,
    ) -> Multipart {
        let mut head = String::new();
        for (name, value) in fields {
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                quoted(name)
            ));
        }
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {mime}\r\n\r\n",
            quoted(file_field),
            quoted(file_name)
        ));
        Multipart {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            head: head.into_bytes(),
            tail: format!("\r\n--{boundary}--\r\n").into_bytes(),
        }
    }

    /// The body with `file`'s bytes as the file part.
    pub fn with_file(self, file: PathBuf) -> Body {
        Body::Spliced { head: self.head, file, tail: self.tail }
    }
}
