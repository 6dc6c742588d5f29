//! SHA-256 digests in lower-case hex: the names of cache files, the audit trail's chain and the
//! digests of what writes sent.

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, as 64 lower-case hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The SHA-256 of everything `read` gives, as [`sha256_hex`], read a chunk at a time.
pub fn sha256_hex_of(mut read: impl std::io::Read) -> std::io::Result<String> {
    let (mut hasher, mut chunk) = (Sha256::new(), vec![0; 64 * 1024]);
    loop {
        match read.read(&mut chunk)? {
            0 => return Ok(hex(&hasher.finalize())),
            n => hasher.update(&chunk[..n]),
        }
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(super::sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
