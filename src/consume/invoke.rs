//! Where a batch goes: the handler in this process (the code `replay` and Lambda run), or a
//! function behind the Lambda Invoke API (`cargo lambda watch`, or a deployed function).

use std::sync::Arc;

use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;

use super::retry::Outcome;
use crate::Sink;
use crate::event::KafkaEvent;
use crate::handler::Invocation;

/// The function the batches are sent to.
pub enum Invoker {
    /// The handler, called in this process.
    InProcess(Arc<Sink>),
    /// A function behind the Lambda Invoke API.
    Lambda {
        client: aws_sdk_lambda::Client,
        function: String,
    },
}

impl Invoker {
    /// A client of the Lambda Invoke API at `endpoint` (the AWS endpoint when `None`), with
    /// the environment's AWS credentials: a loopback endpoint (`cargo lambda watch`) checks
    /// neither them nor the region, which is `us-east-1` there when none is configured.
    pub async fn lambda(endpoint: Option<&str>, function: String) -> Invoker {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
            if is_loopback(url)
                && std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
            {
                loader = loader.region(aws_config::Region::from_static("us-east-1"));
            }
        }
        let config = loader.load().await;
        Invoker::Lambda {
            client: aws_sdk_lambda::Client::new(&config),
            function,
        }
    }

    /// Sends one event and says how it went; never fails itself, as every failure is the
    /// batch's and the mapping retries it.
    pub async fn invoke(&self, event: &KafkaEvent) -> Outcome {
        match self {
            Invoker::InProcess(sink) => {
                let invocation = Invocation {
                    now_ms: chrono::Utc::now().timestamp_millis(),
                    deadline: None,
                };
                match sink.run(event, invocation).await {
                    Ok(summary) => Outcome::Returned {
                        files: summary.files.len(),
                        response: summary.lambda_response(sink.config().partial_batch_response),
                    },
                    Err(e) => Outcome::Failed {
                        error: e.to_string(),
                    },
                }
            }
            Invoker::Lambda { client, function } => {
                let payload = match serde_json::to_vec(event) {
                    Ok(p) => p,
                    Err(e) => {
                        return Outcome::Failed {
                            error: format!("cannot serialise the event: {e}"),
                        };
                    }
                };
                let sent = client
                    .invoke()
                    .function_name(function)
                    .payload(Blob::new(payload))
                    .send()
                    .await;
                match sent {
                    Err(e) => Outcome::Failed {
                        error: format!(
                            "invoking {function} failed: {}",
                            aws_sdk_lambda::error::DisplayErrorContext(e)
                        ),
                    },
                    Ok(out) => {
                        let body = out.payload().map(|b| b.as_ref()).unwrap_or_default();
                        if let Some(kind) = out.function_error() {
                            return Outcome::Failed {
                                error: format!(
                                    "{function} returned a function error ({kind}): {}",
                                    String::from_utf8_lossy(body)
                                ),
                            };
                        }
                        let response: Value = if body.is_empty() {
                            Value::Null
                        } else {
                            match serde_json::from_slice(body) {
                                Ok(v) => v,
                                // The mapping accepts any response; only a JSON one can
                                // name failures.
                                Err(_) => Value::String(String::from_utf8_lossy(body).into()),
                            }
                        };
                        let files = response
                            .get("files")
                            .and_then(Value::as_array)
                            .map_or(0, Vec::len);
                        Outcome::Returned { response, files }
                    }
                }
            }
        }
    }
}

/// Whether `url`'s host is a loopback address or `localhost`.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_endpoints() {
        for url in [
            "http://127.0.0.1:9000",
            "http://localhost:9000/",
            "http://[::1]:9000",
        ] {
            assert!(super::is_loopback(url), "{url}");
        }
        for url in [
            "https://lambda.us-east-1.amazonaws.com",
            "http://10.0.0.1:9000",
        ] {
            assert!(!super::is_loopback(url), "{url}");
        }
    }
}
