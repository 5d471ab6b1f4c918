//! HMAC-SHA256 (RFC 2104) of webhook bodies, as forges sign them, and its comparison in
//! constant time.

use sha2::{Digest, Sha256};

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Whether `header` (`sha256=<hex>`, or bare hex as Gitea sends it) is the signature of
/// `body` under `secret`. The comparison takes the same time wherever the bytes differ.
pub(crate) fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let hex = header.strip_prefix("sha256=").unwrap_or(header).trim();
    let Some(given) = decode_hex(hex) else {
        return false;
    };
    let expected = hmac_sha256(secret.as_bytes(), body);
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `sha256=<hex>` of `body` under `secret`, as GitHub sends it in `X-Hub-Signature-256`
/// (for tools and tests that play the forge).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mac = hmac_sha256(secret.as_bytes(), body);
    format!(
        "sha256={}",
        mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::{hmac_sha256, sign, verify};

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc_4231_test_vectors() {
        // Test case 2: a short key.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn github_s_documented_example() {
        // GitHub's docs: secret "It's a Secret to Everybody", payload "Hello, World!".
        assert_eq!(
            sign("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        let good = sign("s", b"body");
        assert!(verify("s", b"body", &good));
        assert!(
            verify("s", b"body", good.trim_start_matches("sha256=")),
            "bare hex (Gitea)"
        );
        assert!(!verify("s", b"body!", &good));
        assert!(!verify("t", b"body", &good));
        assert!(!verify("s", b"body", "sha256=zz"));
    }
}
