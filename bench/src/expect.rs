//! What counts as a successful answer to a request of the load generator.

use http::StatusCode;

/// What counts as a successful answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Exactly this status.
    Status(StatusCode),
    /// Any 2xx whose body does not report a duplicate (`"duplicate":true`): an inbound event
    /// acknowledged as a repeat was not stored, so it must not count.
    NewEvent,
}

impl Expect {
    /// `Ok` if `status` and the answer `body` are a success, else why not.
    pub fn check(self, status: StatusCode, body: &[u8]) -> Result<(), String> {
        match self {
            Expect::Status(want) if status == want => Ok(()),
            Expect::NewEvent if status.is_success() => {
                if contains(body, br#""duplicate":true"#) {
                    Err("acknowledged as a duplicate (event id reused)".into())
                } else {
                    Ok(())
                }
            }
            _ => Err(format!("status {status}")),
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        let accepted = Expect::Status(StatusCode::ACCEPTED);
        assert!(accepted.check(StatusCode::ACCEPTED, b"{}").is_ok());
        assert!(accepted.check(StatusCode::OK, b"{}").is_err());
        let new = Expect::NewEvent;
        assert!(new
            .check(StatusCode::OK, br#"{"id":"msg_1","duplicate":false}"#)
            .is_ok());
        assert!(new.check(StatusCode::NO_CONTENT, b"").is_ok());
        assert!(new.check(StatusCode::OK, br#"{"duplicate":true}"#).is_err());
        assert!(new.check(StatusCode::UNAUTHORIZED, b"").is_err());
    }
}
