//! AWS SDK errors as one line a user can act on.

use aws_sdk_ssm::config::http::HttpResponse;
use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// An SDK error as its code and message, or, when the answer carries no code the SDK can
/// read, its HTTP status; a 401 or 403 names the permission `action` the caller lacks. The
/// request itself (which may name a secret's id, never its value) is left out.
pub fn describe<E>(e: &SdkError<E, HttpResponse>, action: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let denied =
        |status: u16| format!("HTTP {status}, access denied: the role needs {action} on it");
    match (e.as_service_error(), status) {
        (Some(s), status) if s.code().is_some() => {
            let code = s.code().unwrap_or_default();
            let hint = match status {
                Some(401 | 403) => format!(" (the role needs {action} on it)"),
                _ => String::new(),
            };
            format!("{code}: {}{hint}", s.message().unwrap_or("no message"))
        }
        (_, Some(st @ (401 | 403))) => denied(st),
        (_, Some(st)) if st >= 400 => format!("HTTP {st}: {}", DisplayErrorContext(e)),
        _ => format!("{}", DisplayErrorContext(e)),
    }
}
