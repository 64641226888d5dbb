//! A fake of an S3-compatible object store (path-style URLs, as MinIO and most providers
//! serve them): `PUT /{bucket}/{key}` signed with AWS Signature V4, `GET`/`HEAD` either
//! signed the same way or through a presigned URL (`X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Expires`, `X-Amz-Signature` in the query), and S3's XML errors (`AccessDenied`,
//! `NoSuchBucket`, `NoSuchKey`). Signatures are checked for their form and access key, not
//! recomputed.

use crate::server::Server;
use crate::util::lock;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The access key the fake accepts unless told otherwise.
pub const ACCESS_KEY_ID: &str = "FAKEACCESSKEY0000001";
/// Its secret (any value works: signatures are not recomputed).
pub const SECRET_ACCESS_KEY: &str = "fake/secret/key/for/tests/0000000000000000";

struct S3State {
    bucket: String,
    access_key_id: String,
    objects: Mutex<BTreeMap<String, (Bytes, String)>>,
    /// Object reads through a presigned URL.
    presigned_reads: Mutex<usize>,
}

/// A running fake S3 with one bucket. Cheap to clone; stops when the last clone drops.
#[derive(Clone)]
pub struct FakeS3 {
    state: Arc<S3State>,
    server: Arc<Server>,
}

impl FakeS3 {
    /// Starts a fake serving `bucket`, accepting [`ACCESS_KEY_ID`].
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start(bucket: &str) -> FakeS3 {
        let state = Arc::new(S3State {
            bucket: bucket.to_owned(),
            access_key_id: ACCESS_KEY_ID.to_owned(),
            objects: Mutex::new(BTreeMap::new()),
            presigned_reads: Mutex::new(0),
        });
        let router = Router::new()
            .route("/{bucket}/{*key}", any(object))
            .with_state(state.clone());
        let server = Server::start(router)
            .await
            .expect("bind a local port for the S3 fake");
        FakeS3 {
            state,
            server: Arc::new(server),
        }
    }

    /// The endpoint to configure (`http://127.0.0.1:<port>`).
    pub fn endpoint(&self) -> String {
        self.server.base_url()
    }

    /// The bytes stored under `key`.
    pub fn object(&self, key: &str) -> Option<Bytes> {
        lock(&self.state.objects).get(key).map(|(b, _)| b.clone())
    }

    /// Every key stored, in order.
    pub fn keys(&self) -> Vec<String> {
        lock(&self.state.objects).keys().cloned().collect()
    }

    /// How many objects were read through presigned URLs.
    pub fn presigned_reads(&self) -> usize {
        *lock(&self.state.presigned_reads)
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/s3/aws4_request, SignedHeaders=...,
/// Signature=<hex>` in the header, or the same in a presigned URL's query.
fn authorised(state: &S3State, headers: &HeaderMap, query: &HashMap<String, String>) -> Auth {
    let credential_ok = |credential: &str| {
        let mut parts = credential.split('/');
        parts.next() == Some(state.access_key_id.as_str())
            && parts.nth(2) == Some("s3")
            && parts.next() == Some("aws4_request")
    };
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(rest) = value.strip_prefix("AWS4-HMAC-SHA256 ") else {
            return Auth::Denied;
        };
        let field = |name: &str| {
            rest.split(',')
                .map(str::trim)
                .find_map(|part| part.strip_prefix(name))
        };
        let signed = field("Signature=").is_some_and(|s| s.len() == 64)
            && field("SignedHeaders=").is_some_and(|s| s.contains("host"))
            && field("Credential=").is_some_and(credential_ok)
            && headers.contains_key("x-amz-date")
            && headers.contains_key("x-amz-content-sha256");
        return if signed { Auth::Header } else { Auth::Denied };
    }
    let presigned = query.get("X-Amz-Algorithm").map(String::as_str) == Some("AWS4-HMAC-SHA256")
        && query
            .get("X-Amz-Credential")
            .is_some_and(|c| credential_ok(c))
        && query
            .get("X-Amz-Expires")
            .and_then(|e| e.parse::<u64>().ok())
            .is_some_and(|e| (1..=604_800).contains(&e))
        && query.get("X-Amz-Signature").is_some_and(|s| s.len() == 64);
    if presigned {
        Auth::Presigned
    } else {
        Auth::Denied
    }
}

enum Auth {
    Header,
    Presigned,
    Denied,
}

async fn object(
    State(state): State<Arc<S3State>>,
    Path((bucket, key)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = authorised(&state, &headers, &query);
    if matches!(auth, Auth::Denied) {
        return error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    if bucket != state.bucket {
        return error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        );
    }
    match method {
        Method::PUT if matches!(auth, Auth::Header) => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_owned();
            let etag = format!("\"{:032x}\"", fnv(&body));
            lock(&state.objects).insert(key, (body, content_type));
            (StatusCode::OK, [(header::ETAG, etag)]).into_response()
        }
        Method::GET | Method::HEAD => {
            let Some((bytes, content_type)) = lock(&state.objects).get(&key).cloned() else {
                return error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                );
            };
            if matches!(auth, Auth::Presigned) {
                *lock(&state.presigned_reads) += 1;
            }
            let etag = format!("\"{:032x}\"", fnv(&bytes));
            let headers = [
                (header::CONTENT_TYPE, content_type),
                (header::ETAG, etag),
                (header::CONTENT_LENGTH, bytes.len().to_string()),
            ];
            if method == Method::HEAD {
                (StatusCode::OK, headers).into_response()
            } else {
                (StatusCode::OK, headers, bytes).into_response()
            }
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    }
}

/// A stable stand-in for the MD5 S3 puts in an ETag.
fn fnv(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .fold(0x6c62272e07bb014262b821756295c58d_u128, |hash, byte| {
            (hash ^ u128::from(*byte)).wrapping_mul(0x0000000001000000000000000000013B)
        })
}
