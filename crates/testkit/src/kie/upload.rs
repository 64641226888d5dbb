//! KIE's file upload API (`kieai.redpandaai.co`): stream (multipart), base64 and URL
//! uploads answering `{"success","code","msg","data":{...,"downloadUrl",...}}`, and the
//! download URLs themselves.

use super::KieState;
use super::api::admit;
use super::state::{Endpoint, StoredUpload, Upload};
use crate::media::sniff_mime;
use crate::util::{iso_now, random_id};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use std::sync::Arc;

fn answer(code: u16, msg: &str, data: Value) -> Response {
    Json(json!({ "success": code == 200, "code": code, "msg": msg, "data": data })).into_response()
}

fn bad(msg: &str) -> Response {
    answer(400, msg, Value::Null)
}

/// Admission shared with the task API, re-shaped into the upload envelope.
async fn admit_upload(state: &KieState, headers: &HeaderMap) -> Result<String, Response> {
    admit(state, headers, Endpoint::Upload)
        .await
        .map_err(|_| answer(401, "Unauthorized access", Value::Null))
}

fn store(
    state: &KieState,
    method: &'static str,
    key: String,
    bytes: Bytes,
    upload_path: &str,
    file_name: Option<String>,
    mime: Option<String>,
) -> Response {
    if bytes.is_empty() {
        return bad("File is empty");
    }
    let mime_type = mime
        .filter(|m| !m.is_empty() && m != "application/octet-stream")
        .unwrap_or_else(|| sniff_mime(&bytes).to_owned());
    let extension = mime_type
        .rsplit('/')
        .next()
        .unwrap_or("bin")
        .replace("jpeg", "jpg");
    let file_name = file_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{}.{extension}", random_id(12)));
    let upload_path = upload_path.trim_matches('/');
    let file_path = if upload_path.is_empty() {
        file_name.clone()
    } else {
        format!("{upload_path}/{file_name}")
    };
    let stored_as = format!("{}/{file_path}", random_id(10));
    let base = state.upload_base.get().cloned().unwrap_or_default();
    let download_url = format!("{base}/files/{stored_as}");
    let size = bytes.len();
    {
        let mut inner = state.lock();
        inner.files.insert(
            stored_as,
            StoredUpload {
                bytes,
                mime_type: mime_type.clone(),
            },
        );
        inner.uploads.push(Upload {
            method,
            key,
            file_name: file_name.clone(),
            upload_path: upload_path.to_owned(),
            size,
            mime_type: mime_type.clone(),
            download_url: download_url.clone(),
        });
    }
    state.notify();
    answer(
        200,
        "File uploaded successfully",
        json!({
            "fileName": file_name,
            "filePath": file_path,
            "downloadUrl": download_url,
            "fileSize": size,
            "mimeType": mime_type,
            "uploadedAt": iso_now(),
        }),
    )
}

pub(crate) async fn stream_upload(
    State(state): State<Arc<KieState>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let key = match admit_upload(&state, &headers).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    let Ok(mut multipart) = multipart else {
        return bad("Request must be multipart/form-data");
    };
    let (mut file, mut upload_path, mut file_name) = (None, None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let part_name = field.file_name().map(str::to_owned);
                let part_type = field.content_type().map(str::to_owned);
                let Ok(bytes) = field.bytes().await else {
                    return bad("Malformed multipart body");
                };
                match name.as_str() {
                    "file" => file = Some((bytes, part_name, part_type)),
                    "uploadPath" => {
                        upload_path = Some(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    "fileName" => file_name = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return bad("Malformed multipart body"),
        }
    }
    let Some((bytes, part_name, part_type)) = file else {
        return bad("file is required");
    };
    let Some(upload_path) = upload_path else {
        return bad("uploadPath is required");
    };
    store(
        &state,
        "stream",
        key,
        bytes,
        &upload_path,
        file_name.or(part_name),
        part_type,
    )
}

fn json_body(body: &Bytes) -> Option<Value> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

fn str_field(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_owned)
}

pub(crate) async fn base64_upload(
    State(state): State<Arc<KieState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match admit_upload(&state, &headers).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    let Some(body) = json_body(&body) else {
        return bad("Request body must be a JSON object");
    };
    let Some(data) = str_field(&body, "base64Data").filter(|d| !d.is_empty()) else {
        return bad("base64Data is required");
    };
    let Some(upload_path) = str_field(&body, "uploadPath") else {
        return bad("uploadPath is required");
    };
    // Either raw base64 or a data URL: `data:image/png;base64,...`.
    let (mime, encoded) = match data
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(";base64,"))
    {
        Some((mime, encoded)) => (Some(mime.to_owned()), encoded.to_owned()),
        None => (None, data),
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return bad("base64Data is not valid base64");
    };
    let file_name = str_field(&body, "fileName");
    store(
        &state,
        "base64",
        key,
        Bytes::from(bytes),
        &upload_path,
        file_name,
        mime,
    )
}

pub(crate) async fn url_upload(
    State(state): State<Arc<KieState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match admit_upload(&state, &headers).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    let Some(body) = json_body(&body) else {
        return bad("Request body must be a JSON object");
    };
    let Some(url) = str_field(&body, "fileUrl")
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
    else {
        return bad("fileUrl is required and must be an http(s) URL");
    };
    let Some(upload_path) = str_field(&body, "uploadPath") else {
        return bad("uploadPath is required");
    };
    let downloaded = match state.http.get(&url).send().await {
        Ok(response) if response.status().is_success() => {
            let mime = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
            response.bytes().await.ok().map(|b| (b, mime))
        }
        _ => None,
    };
    let Some((bytes, mime)) = downloaded else {
        return answer(500, "Failed to download file from URL", Value::Null);
    };
    let file_name = str_field(&body, "fileName").or_else(|| {
        url.split(['?', '#'])
            .next()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    });
    store(&state, "url", key, bytes, &upload_path, file_name, mime)
}

/// `downloadUrl`: the stored bytes with their MIME type.
pub(crate) async fn download(
    State(state): State<Arc<KieState>>,
    Path(path): Path<String>,
) -> Response {
    let file = state.lock().files.get(&path).cloned();
    match file {
        Some(file) => ([(header::CONTENT_TYPE, file.mime_type)], file.bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
