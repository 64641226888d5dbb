//! Parameters of a Bot API call, read the way Telegram reads them: from the query string,
//! a JSON body, an `application/x-www-form-urlencoded` body or `multipart/form-data` (with
//! uploaded files, addressed by field name or by `attach://<name>`).

use super::reply::ApiError;
use axum::extract::{FromRequest, Multipart};
use bytes::Bytes;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A file part of a multipart request.
#[derive(Clone, Debug)]
pub(crate) struct FilePart {
    pub bytes: Bytes,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

/// Where a `photo`/`video`/`document` parameter points.
#[derive(Clone, Debug)]
pub(crate) enum InputFile {
    Upload(FilePart),
    Url(String),
    FileId(String),
}

/// All parameters of one call.
#[derive(Debug, Default)]
pub(crate) struct Params {
    fields: Map<String, Value>,
    files: HashMap<String, FilePart>,
}

impl Params {
    /// Reads the query string and the body of `request`.
    pub(crate) async fn read(
        request: axum::extract::Request,
        upload_limit: usize,
    ) -> Result<Self, ApiError> {
        let mut params = Params::default();
        if let Some(query) = request.uri().query() {
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                params
                    .fields
                    .insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        let content_type = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| ApiError::bad_request(&format!("can't parse multipart: {e}")))?;
            let mut total = 0usize;
            loop {
                let field = match multipart.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(e) => {
                        return Err(ApiError::bad_request(&format!(
                            "can't parse multipart: {e}"
                        )));
                    }
                };
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let part_type = field.content_type().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::bad_request(&format!("can't read multipart: {e}")))?;
                total += bytes.len();
                if total > upload_limit {
                    return Err(ApiError::too_large());
                }
                if file_name.is_some() {
                    params.files.insert(
                        name,
                        FilePart {
                            bytes,
                            file_name,
                            content_type: part_type,
                        },
                    );
                } else {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    params.fields.insert(name, Value::String(text));
                }
            }
            return Ok(params);
        }
        let body = axum::body::to_bytes(request.into_body(), upload_limit.saturating_add(1))
            .await
            .map_err(|_| ApiError::too_large())?;
        if body.is_empty() {
            return Ok(params);
        }
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => params.fields.extend(map),
                Ok(_) => return Err(ApiError::bad_request("parameters must be a JSON object")),
                Err(e) => return Err(ApiError::bad_request(&format!("can't parse JSON: {e}"))),
            }
        } else {
            for (k, v) in url::form_urlencoded::parse(&body) {
                params
                    .fields
                    .insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        Ok(params)
    }

    /// A JSON object of the fields, uploaded files shown as `"<upload name>"`.
    pub(crate) fn to_json(&self) -> Value {
        let mut fields = self.fields.clone();
        for (name, part) in &self.files {
            let label = part.file_name.clone().unwrap_or_default();
            fields.insert(name.clone(), Value::String(format!("<upload {label}>")));
        }
        Value::Object(fields)
    }

    /// A string parameter (numbers and booleans are read as their text).
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// An integer parameter; text that is not a number is a 400.
    pub(crate) fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(&format!("invalid {key} specified"))),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(&format!("invalid {key} specified"))),
            Some(_) => Err(ApiError::bad_request(&format!("invalid {key} specified"))),
        }
    }

    /// A boolean parameter (`true`/`false`, `1`/`0`).
    pub(crate) fn bool(&self, key: &str) -> bool {
        match self.fields.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A parameter that holds JSON (an object in a JSON body, serialized JSON otherwise).
    pub(crate) fn json(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiError::bad_request(&format!("can't parse {key} JSON object"))),
            Some(other) => Ok(Some(other.clone())),
        }
    }

    /// The required `chat_id` (numeric; `@username` chats are not simulated).
    pub(crate) fn chat_id(&self) -> Result<i64, ApiError> {
        match self.str("chat_id") {
            None => Err(ApiError::bad_request("chat_id is empty")),
            Some(s) if s.is_empty() => Err(ApiError::bad_request("chat_id is empty")),
            Some(s) => s
                .trim()
                .parse()
                .map_err(|_| ApiError::bad_request("chat not found")),
        }
    }

    /// The required `message_id`.
    pub(crate) fn message_id(&self) -> Result<i64, ApiError> {
        self.i64("message_id")?
            .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))
    }

    /// The file given in parameter `key`, if any.
    pub(crate) fn input_file(&self, key: &str) -> Result<Option<InputFile>, ApiError> {
        if let Some(part) = self.files.get(key) {
            return Ok(Some(InputFile::Upload(part.clone())));
        }
        let Some(value) = self.str(key) else {
            return Ok(None);
        };
        if let Some(name) = value.strip_prefix("attach://") {
            return match self.files.get(name) {
                Some(part) => Ok(Some(InputFile::Upload(part.clone()))),
                None => Err(ApiError::bad_request(&format!(
                    "file {name} not found in the request"
                ))),
            };
        }
        if value.starts_with("http://") || value.starts_with("https://") {
            return Ok(Some(InputFile::Url(value)));
        }
        if value.is_empty() {
            return Ok(None);
        }
        Ok(Some(InputFile::FileId(value)))
    }
}
