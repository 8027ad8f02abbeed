//! Request ids: every request gets one (`x-request-id`), handlers and logs
//! see it, and the response carries it back. A client's own id is kept if
//! it is short and plain (so it can be searched for in the logs), else
//! replaced.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub(super) const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id kept.
const MAX_CLIENT_ID: usize = 64;

/// The request's id (the client's, or a new one), set on its headers.
pub(super) fn assign(headers: &mut HeaderMap) -> String {
    let given = headers
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_plain(id))
        .map(str::to_owned);
    let id = given.unwrap_or_else(new_id);
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(HEADER, value);
    }
    id
}

/// Puts the id on the response.
pub(super) fn answer(headers: &mut HeaderMap, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(HEADER, value);
    }
}

fn is_plain(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 128 random bits, as 32 hex digits.
fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_client_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("job-42.a"));
        assert_eq!(assign(&mut headers), "job-42.a");
        for bad in ["", "has space", "<script>", &"x".repeat(65)] {
            let mut headers = HeaderMap::new();
            headers.insert(HEADER, HeaderValue::from_str(bad).unwrap());
            let id = assign(&mut headers);
            assert_eq!(id.len(), 32, "{bad:?} gave {id}");
            assert_eq!(headers[&HEADER], id.as_str());
        }
    }
}
