//! Reading `multipart/form-data` bodies (RFC 7578) as a provider's upload endpoint does: the form
//! fields and the file parts, checked strictly (CRLF framing, a closing delimiter, a
//! Content-Disposition with a name on every part, a Content-Type on every file).

use std::collections::BTreeMap;

/// A file part.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePart {
    /// The form field's name, e.g. `file`.
    pub name: String,
    /// The file's name as sent.
    pub filename: String,
    /// The part's content type.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// A parsed form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Form {
    /// Plain fields by name.
    pub fields: BTreeMap<String, String>,
    /// File parts, in order.
    pub files: Vec<FilePart>,
}

/// Parses a body sent with `content_type` (`multipart/form-data; boundary=...`).
pub fn parse(content_type: &str, body: &[u8]) -> Result<Form, String> {
    let boundary = content_type.split("boundary=").nth(1).ok_or("multipart without boundary")?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let positions: Vec<usize> =
        body.windows(delimiter.len()).enumerate().filter(|(_, w)| *w == delimiter.as_bytes()).map(|(i, _)| i).collect();
    let mut form = Form::default();
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").ok_or("part does not start with CRLF")?;
        let part = part.strip_suffix(b"\r\n").ok_or("part does not end with CRLF")?;
        let split = part.windows(4).position(|w| w == b"\r\n\r\n").ok_or("part without header end")?;
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let content = part[split + 4..].to_vec();
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or("part without Content-Disposition")?;
        let attr = |name: &str| {
            let prefix = format!("{name}=\"");
            disposition.split(';').map(str::trim).find_map(|kv| {
                kv.strip_prefix(prefix.as_str()).map(|v| v.split('"').next().unwrap_or_default().to_owned())
            })
        };
        let name = attr("name").ok_or("part without name")?;
        match attr("filename") {
            Some(filename) => {
                let content_type = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Type: ").map(|v| v.trim().to_owned()))
                    .ok_or("file part without Content-Type")?;
                form.files.push(FilePart { name, filename, content_type, content });
            }
            None => {
                form.fields.insert(name, String::from_utf8_lossy(&content).into_owned());
            }
        }
    }
    if !body.ends_with(format!("{delimiter}--\r\n").as_bytes()) {
        return Err("multipart body does not end with the closing delimiter".into());
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nC1\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n";
        let form = parse("multipart/form-data; boundary=b", body).unwrap();
        assert_eq!(form.fields["channel"], "C1");
        assert_eq!(
            form.files,
            [FilePart {
                name: "file".into(),
                filename: "a b.pdf".into(),
                content_type: "application/pdf".into(),
                content: b"%PDF".to_vec()
            }]
        );
        assert!(parse("multipart/form-data; boundary=b", &body[..body.len() - 4]).is_err());
        assert!(parse("multipart/form-data", body).is_err());
    }
}
