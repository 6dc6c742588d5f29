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

/// The `boundary` parameter of a `multipart/form-data` content type (quoted or not).
fn boundary(content_type: &str) -> Option<&str> {
    let mut params = content_type.split(';').map(str::trim);
    if !params.next()?.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"'))
    })
}

/// A header line's value when its name is `name` (in any case).
fn header_value<'h>(line: &'h str, name: &str) -> Option<&'h str> {
    let (key, value) = line.split_once(':')?;
    key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
}

/// Parses a body sent with `content_type` (`multipart/form-data; boundary=...`).
pub fn parse(content_type: &str, body: &[u8]) -> Result<Form, String> {
    let boundary = boundary(content_type).ok_or("not multipart/form-data with a boundary")?;
    let delimiter = format!("--{boundary}");
    // A delimiter opens the body or a line: the same bytes inside a part's content are content.
    let positions: Vec<usize> = body
        .windows(delimiter.len())
        .enumerate()
        .filter(|(i, w)| *w == delimiter.as_bytes() && (*i == 0 || body[..*i].ends_with(b"\r\n")))
        .map(|(i, _)| i)
        .collect();
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
            .find_map(|l| header_value(l, "content-disposition"))
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
                    .find_map(|l| header_value(l, "content-type"))
                    .ok_or("file part without Content-Type")?;
                form.files.push(FilePart { name, filename, content_type: content_type.to_owned(), content });
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
        assert_eq!(parse("Multipart/Form-Data; charset=utf-8; boundary=\"b\"", body).unwrap(), form);
    }

    #[test]
    fn a_delimiter_inside_content_is_content() {
        let body = b"--b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\ncontent-type: text/plain\r\n\r\nsee --b here\r\n--b--\r\n";
        let form = parse("multipart/form-data; boundary=b", body).unwrap();
        assert_eq!(
            (form.files[0].content.as_slice(), form.files[0].content_type.as_str()),
            (&b"see --b here"[..], "text/plain")
        );
    }
}
