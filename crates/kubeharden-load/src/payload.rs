//! Binary payloads (`Secret.data`, `ConfigMap.binaryData`) as the API server decodes
//! them: standard base64, where YAML folding may have left whitespace.

use base64::Engine;

/// The bytes of a base64 payload, or `None` when the API server could not decode it.
pub fn decode_payload(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::decode_payload;

    #[test]
    fn decodes_like_the_api_server() {
        assert_eq!(decode_payload("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            decode_payload("aGVs\n  bG8=").as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(decode_payload("not-base64!!"), None);
    }
}
