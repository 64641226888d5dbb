//! Files: sendPhoto/sendVideo/sendDocument/sendAnimation by upload, by URL (the fake
//! downloads it) or by `file_id`; getFile; and `/file/bot<token>/<path>` downloads.

use super::TgState;
use super::methods::{Record, create_bot_message, ensure_chat, record, reply_markup, visible_text};
use super::params::{InputFile, Params};
use super::reply::ApiError;
use super::server::check_token;
use super::state::{Inner, MediaKind, MediaSource, SentMedia};
use crate::media::{image_dimensions, mp4_info, sniff_mime};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Files bigger than this cannot be downloaded by bots (`getFile`).
const GET_FILE_LIMIT: usize = 20 * 1024 * 1024;

/// The bytes and name of a file supplied by upload or URL.
struct Incoming {
    bytes: Bytes,
    file_name: Option<String>,
    mime: Option<String>,
    source: MediaSource,
}

pub(crate) async fn send_media(
    state: &Arc<TgState>,
    params: &Params,
    field: &str,
) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let wanted = match field {
        "photo" => MediaKind::Photo,
        "video" => MediaKind::Video,
        "animation" => MediaKind::Animation,
        _ => MediaKind::Document,
    };
    let (caption, parse_mode) = visible_text(params, "caption")?;
    if caption.as_ref().is_some_and(|c| c.chars().count() > 1024) {
        return Err(ApiError::bad_request("message caption is too long"));
    }
    let markup = reply_markup(params)?;
    ensure_chat(&state.lock(), chat_id)?;
    let input = params
        .input_file(field)?
        .ok_or_else(|| ApiError::bad_request(&format!("there is no {field} in the request")))?;
    let (kind, object, file_id, source) = match input {
        InputFile::FileId(id) => {
            let inner = state.lock();
            let file = inner
                .files
                .get(&id)
                .ok_or_else(|| ApiError::bad_request("wrong file identifier/HTTP URL specified"))?;
            let compatible = file.kind == wanted
                || (wanted == MediaKind::Document && file.kind != MediaKind::Photo);
            if !compatible {
                return Err(ApiError::bad_request(&format!(
                    "can't use file of type {} as {}",
                    file.kind.type_name(),
                    wanted.type_name()
                )));
            }
            let main_id = largest_file_id(&file.object).unwrap_or_else(|| id.clone());
            (
                file.kind,
                file.object.clone(),
                main_id,
                MediaSource::FileId(id),
            )
        }
        InputFile::Upload(part) => {
            let incoming = Incoming {
                source: MediaSource::Upload {
                    file_name: part.file_name.clone(),
                    size: part.bytes.len(),
                },
                bytes: part.bytes,
                file_name: part.file_name,
                mime: part.content_type,
            };
            store_incoming(&mut state.lock(), wanted, incoming)?
        }
        InputFile::Url(url) => {
            let incoming = download(state, &url, wanted).await?;
            store_incoming(&mut state.lock(), wanted, incoming)?
        }
    };
    let mut inner = state.lock();
    let mut fields = Map::new();
    fields.insert(kind.field().into(), object);
    if kind == MediaKind::Animation {
        // Telegram also fills `document` for animations.
        if let Some(a) = fields.get("animation").cloned() {
            fields.insert("document".into(), a);
        }
    }
    if let Some(c) = &caption {
        fields.insert("caption".into(), json!(c));
    }
    let (message_id, message) =
        create_bot_message(state, &mut inner, params, chat_id, fields, markup.as_ref())?;
    let method = format!("send{}{}", &field[..1].to_uppercase(), &field[1..]);
    record(
        &mut inner,
        Record {
            method: &method,
            chat_id,
            message_id,
            text: caption,
            parse_mode,
            markup: markup.as_ref(),
            media: Some(SentMedia {
                kind,
                file_id,
                source,
            }),
        },
        params,
    );
    Ok(message)
}

/// The `file_id` of a media object (the largest size of a photo).
fn largest_file_id(object: &Value) -> Option<String> {
    let object = match object {
        Value::Array(sizes) => sizes.last()?,
        other => other,
    };
    object.get("file_id")?.as_str().map(str::to_owned)
}

async fn download(state: &TgState, url: &str, wanted: MediaKind) -> Result<Incoming, ApiError> {
    let failed = || ApiError::bad_request("failed to get HTTP URL content");
    let limit = state.lock().faults.upload_limit;
    let response = state.http.get(url).send().await.map_err(|_| failed())?;
    if !response.status().is_success() {
        return Err(failed());
    }
    let mime = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let acceptable = match (wanted, mime.as_deref()) {
        (_, None) | (_, Some("application/octet-stream")) | (MediaKind::Document, _) => true,
        (MediaKind::Photo, Some(m)) => m.starts_with("image/"),
        (MediaKind::Video | MediaKind::Animation, Some(m)) => {
            m.starts_with("video/") || m == "image/gif"
        }
        _ => true,
    };
    if !acceptable {
        return Err(ApiError::bad_request("wrong type of the web page content"));
    }
    if response
        .content_length()
        .is_some_and(|len| len as usize > limit)
    {
        return Err(ApiError::too_large());
    }
    let bytes = response.bytes().await.map_err(|_| failed())?;
    if bytes.len() > limit {
        return Err(ApiError::too_large());
    }
    let file_name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    Ok(Incoming {
        bytes,
        file_name,
        mime,
        source: MediaSource::Url(url.to_owned()),
    })
}

/// Stores new bytes as the media kind Telegram would make of them.
fn store_incoming(
    inner: &mut Inner,
    wanted: MediaKind,
    incoming: Incoming,
) -> Result<(MediaKind, Value, String, MediaSource), ApiError> {
    let Incoming {
        bytes,
        file_name,
        mime,
        source,
    } = incoming;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("file must be non-empty"));
    }
    let sniffed = sniff_mime(&bytes);
    match wanted {
        MediaKind::Photo => {
            let (width, height) = image_dimensions(&bytes)
                .ok_or_else(|| ApiError::bad_request("IMAGE_PROCESS_FAILED"))?;
            let sizes = photo_sizes(inner, bytes, width, height);
            let main = largest_file_id(&sizes).unwrap_or_default();
            Ok((MediaKind::Photo, sizes, main, source))
        }
        MediaKind::Video if mp4_info(&bytes).is_some() => {
            let info = mp4_info(&bytes).unwrap_or(crate::media::Mp4Info {
                duration_secs: 0.0,
                width: 0,
                height: 0,
            });
            let mut object = Map::new();
            object.insert("width".into(), json!(info.width));
            object.insert("height".into(), json!(info.height));
            object.insert("duration".into(), json!(info.duration_secs.round() as u64));
            object.insert("mime_type".into(), json!("video/mp4"));
            if let Some(name) = &file_name {
                object.insert("file_name".into(), json!(name));
            }
            let id = inner.store_upload(MediaKind::Video, bytes, "mp4", object);
            let object = inner
                .files
                .get(&id)
                .map(|f| f.object.clone())
                .unwrap_or_default();
            Ok((MediaKind::Video, object, id, source))
        }
        MediaKind::Animation if sniffed == "image/gif" || sniffed == "video/mp4" => {
            let (width, height) = image_dimensions(&bytes)
                .or_else(|| mp4_info(&bytes).map(|i| (i.width, i.height)))
                .unwrap_or((0, 0));
            let mut object = Map::new();
            object.insert("width".into(), json!(width));
            object.insert("height".into(), json!(height));
            object.insert("duration".into(), json!(1));
            object.insert("mime_type".into(), json!(sniffed));
            let id = inner.store_upload(MediaKind::Animation, bytes, "mp4", object);
            let object = inner
                .files
                .get(&id)
                .map(|f| f.object.clone())
                .unwrap_or_default();
            Ok((MediaKind::Animation, object, id, source))
        }
        // Anything else (and videos Telegram cannot read) arrives as a document.
        _ => {
            let mime = mime
                .filter(|m| !m.is_empty() && m != "application/octet-stream")
                .unwrap_or_else(|| sniffed.to_owned());
            let mut object = Map::new();
            object.insert(
                "file_name".into(),
                json!(file_name.unwrap_or_else(|| "file".into())),
            );
            object.insert("mime_type".into(), json!(mime));
            let extension = mime.rsplit('/').next().unwrap_or("bin").to_owned();
            let id = inner.store_upload(MediaKind::Document, bytes, &extension, object);
            let object = inner
                .files
                .get(&id)
                .map(|f| f.object.clone())
                .unwrap_or_default();
            Ok((MediaKind::Document, object, id, source))
        }
    }
}

/// The sizes Telegram offers for a photo (90, 320, 800, 1280 px wide, up to the original),
/// each its own `file_id`; every size shares the array so a `file_id` resend returns it.
pub(crate) fn photo_sizes(inner: &mut Inner, bytes: Bytes, width: u32, height: u32) -> Value {
    let mut dims: Vec<(u32, u32)> = [90u32, 320, 800]
        .iter()
        .filter(|w| **w < width)
        .map(|w| (*w, (height as u64 * *w as u64 / width.max(1) as u64) as u32))
        .collect();
    dims.push(if width > 1280 {
        (1280, (height as u64 * 1280 / width as u64) as u32)
    } else {
        (width, height)
    });
    let ids: Vec<String> = dims
        .iter()
        .map(|(w, h)| {
            let mut object = Map::new();
            object.insert("width".into(), json!(w));
            object.insert("height".into(), json!(h));
            inner.store_upload(MediaKind::Photo, bytes.clone(), "jpg", object)
        })
        .collect();
    let sizes: Vec<Value> = ids
        .iter()
        .filter_map(|id| inner.files.get(id).map(|f| f.object.clone()))
        .collect();
    let sizes = Value::Array(sizes);
    for id in &ids {
        if let Some(file) = inner.files.get_mut(id) {
            file.object = sizes.clone();
        }
    }
    sizes
}

pub(crate) fn get_file(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let id = params
        .str("file_id")
        .ok_or_else(|| ApiError::bad_request("file_id is empty"))?;
    let inner = state.lock();
    let file = inner
        .files
        .get(&id)
        .ok_or_else(|| ApiError::bad_request("invalid file_id"))?;
    if file.bytes.len() > GET_FILE_LIMIT {
        return Err(ApiError::bad_request("file is too big"));
    }
    Ok(json!({
        "file_id": id,
        "file_unique_id": file.unique_id,
        "file_size": file.bytes.len(),
        "file_path": file.path,
    }))
}

pub(crate) async fn download_file(
    State(state): State<Arc<TgState>>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    if let Err(error) = check_token(&state, &bot) {
        return error.into_response();
    }
    let inner = state.lock();
    let file = inner
        .file_paths
        .get(&path)
        .and_then(|id| inner.files.get(id));
    match file {
        Some(file) => (
            [(header::CONTENT_TYPE, sniff_mime(&file.bytes))],
            file.bytes.clone(),
        )
            .into_response(),
        None => ApiError::new(404, "Not Found").into_response(),
    }
}
