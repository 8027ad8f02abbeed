//! The submissions Judge0 clients can ask about by token: what each asked
//! for (its code, input and expected output, for `fields`) and the run
//! that answers it (whose result the execution records keep). Bounded in
//! count and bytes: the oldest are forgotten first, as Judge0 forgets
//! submissions after its cache duration.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use serde_json::Value;

use super::languages::Judge0Language;

/// Submissions remembered at most.
const KEEP_SUBMISSIONS: usize = 10_000;

/// Bytes of code, input and expected output remembered at most.
const KEEP_BYTES: usize = 64 << 20;

/// A submission: what it asked for, and the run that answers it.
#[derive(Debug)]
pub(super) struct Submission {
    pub token: String,
    pub execution_id: String,
    pub language: &'static Judge0Language,
    pub source_code: String,
    pub stdin: Option<String>,
    pub expected_output: Option<String>,
    pub redirect_stderr_to_stdout: bool,
    pub created_at: SystemTime,
    /// The request's other fields (limits, options), echoed with `fields`.
    pub options: serde_json::Map<String, Value>,
}

impl Submission {
    fn bytes(&self) -> usize {
        self.source_code.len()
            + self.stdin.as_ref().map_or(0, String::len)
            + self.expected_output.as_ref().map_or(0, String::len)
    }
}

#[derive(Default)]
pub(in crate::server) struct Submissions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_token: HashMap<String, Arc<Submission>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Submissions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers a submission, forgetting the oldest beyond the bounds.
    pub(super) fn insert(&self, submission: Submission) -> Arc<Submission> {
        let submission = Arc::new(submission);
        let mut inner = self.lock();
        inner.bytes += submission.bytes();
        inner.order.push_back(submission.token.clone());
        inner
            .by_token
            .insert(submission.token.clone(), submission.clone());
        while inner.order.len() > KEEP_SUBMISSIONS || inner.bytes > KEEP_BYTES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(forgotten) = inner.by_token.remove(&oldest) {
                inner.bytes -= forgotten.bytes();
            }
        }
        submission
    }

    pub(super) fn get(&self, token: &str) -> Option<Arc<Submission>> {
        self.lock().by_token.get(token).cloned()
    }
}

/// A new token: a random (version 4) UUID, as Judge0's are.
pub(super) fn new_token() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(token: String, code_bytes: usize) -> Submission {
        Submission {
            token,
            execution_id: "exec_0".into(),
            language: super::super::languages::find(71).unwrap(),
            source_code: "x".repeat(code_bytes),
            stdin: None,
            expected_output: None,
            redirect_stderr_to_stdout: false,
            created_at: SystemTime::now(),
            options: Default::default(),
        }
    }

    #[test]
    fn the_oldest_are_forgotten_beyond_the_bounds() {
        let store = Submissions::default();
        let first = new_token();
        store.insert(submission(first.clone(), 1 << 20));
        for _ in 0..64 {
            store.insert(submission(new_token(), 1 << 20));
        }
        assert!(store.get(&first).is_none());
        let inner = store.lock();
        assert!(inner.bytes <= KEEP_BYTES);
        assert_eq!(inner.by_token.len(), inner.order.len());
    }

    #[test]
    fn tokens_are_version_4_uuids() {
        let token = new_token();
        assert_eq!(token.len(), 36);
        assert_eq!(&token[14..15], "4");
        assert!(matches!(&token[19..20], "8" | "9" | "a" | "b"), "{token}");
        assert_ne!(token, new_token());
    }
}
