//! The most agent-auth holds in memory, where whoever controls an input or a server chooses its
//! size. The component has 64 MiB; each bound is checked before the bytes are parsed, so a hostile
//! size ends in a coded error, never in a component out of memory.

/// The most bytes of arguments the runner passes the component (`USAGE` beyond).
pub const COMMAND_LINE_MAX: usize = 4 << 20;
/// The most bytes of a JSON input (`--tool-input` inline, `@FILE` or `-`; `USAGE` beyond).
pub const INPUT_MAX: u64 = 4 << 20;
/// The largest file an upload sends (`--input-file`; `USAGE` beyond): the runner stages a copy.
pub const UPLOAD_MAX: u64 = 4 << 30;
/// The most bytes of an answer read into memory (a download to `--output-file` streams instead).
pub const ANSWER_MAX: u64 = 12 << 20;
/// The most a JSON text may cost once parsed, as [`held_cost`] counts it.
pub const HELD_MAX: usize = 20 << 20;
/// The longest access token accepted from the token endpoint (real ones are a few KiB; every
/// request carries it in a header, whose total the WASI HTTP host caps at 128 KiB).
pub const TOKEN_MAX: usize = 16 << 10;
/// The most bytes of headers one request carries (half the WASI HTTP host's cap).
pub const HEADERS_MAX: usize = 64 << 10;

/// Bytes one JSON value or object member can take once parsed, at most: the value, its slot in a
/// vector or map, and the spare capacity a growing vector or map keeps.
const PER_VALUE: usize = 64;

/// What `text` costs once parsed as JSON, at most: its bytes, and [`PER_VALUE`] for each value and
/// member (counted by the commas, colons and openings outside strings). Counting is one pass and
/// allocates nothing; it is meant to refuse before parsing, not to measure.
pub fn held_cost(text: &[u8]) -> usize {
    let (mut values, mut in_string, mut escaped) = (1usize, false, false);
    for &byte in text {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b',' | b':' | b'[' | b'{' => values += 1,
            _ => {}
        }
    }
    text.len().saturating_add(values.saturating_mul(PER_VALUE))
}

/// `bytes` for messages: in MiB from one MiB (`12 MiB`, `1.5 MiB`), else in KiB (`64 KiB`).
pub fn readable_size(bytes: u64) -> String {
    if bytes < 1 << 20 {
        return format!("{} KiB", bytes.div_ceil(1 << 10));
    }
    let tenths = (bytes * 10).div_ceil(1 << 20);
    if tenths.is_multiple_of(10) {
        format!("{} MiB", tenths / 10)
    } else {
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_outside_strings() {
        assert_eq!(held_cost(b"1"), 1 + PER_VALUE);
        assert_eq!(held_cost(b"[1,2,3]"), 7 + 4 * PER_VALUE);
        assert_eq!(held_cost(br#"{"a,b:[{": "x\"],"}"#), 19 + 3 * PER_VALUE, "separators in strings do not count");
        let dense = b"[1,".repeat(1 << 20);
        assert!(held_cost(&dense) > HELD_MAX, "a dense array of a million values costs more than is held");
        let text = format!("{{\"text\": \"{}\"}}", "x".repeat(8 << 20));
        assert!(held_cost(text.as_bytes()) < HELD_MAX, "a long string costs its bytes");
    }

    #[test]
    fn sizes_read_as_mib() {
        assert_eq!(readable_size(12 << 20), "12 MiB");
        assert_eq!(readable_size(3 << 19), "1.5 MiB");
        assert_eq!(readable_size(64 << 10), "64 KiB");
    }
}
