//! Is this picture usable as a video's input? Photos carry their sizes; images sent as
//! files are read from their first bytes, so the format, the animation flag and the real
//! dimensions come from the file itself, not from a name or a MIME type a client chose.

use teloxide::types::PhotoSize;

/// The largest file Telegram lets a bot download (and what we accept).
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// The shortest side a video model animates well.
pub const MIN_SIDE: u32 = 300;

/// Why a picture was refused; each has its own message to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoProblem {
    /// Not JPEG, PNG or WebP.
    WrongType,
    /// GIF, animated PNG or animated WebP.
    Animated,
    /// Over [`MAX_BYTES`].
    TooBig,
    /// A side under [`MIN_SIDE`].
    TooSmall {
        /// Pixels wide.
        width: u32,
        /// Pixels high.
        height: u32,
    },
    /// The bytes do not make an image.
    Unreadable,
}

/// What the first bytes of an image file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// Pixels wide.
    pub width: u32,
    /// Pixels high.
    pub height: u32,
    /// More than one frame.
    pub animated: bool,
}

/// Picks the largest size of a Telegram photo and checks it; returns its file id.
pub fn check_photo(sizes: &[PhotoSize]) -> Result<String, PhotoProblem> {
    let largest = sizes
        .iter()
        .max_by_key(|size| u64::from(size.width) * u64::from(size.height))
        .ok_or(PhotoProblem::Unreadable)?;
    if u64::from(largest.file.size) > MAX_BYTES {
        return Err(PhotoProblem::TooBig);
    }
    check_sides(largest.width, largest.height)?;
    Ok(largest.file.id.0.clone())
}

/// Checks an image file's bytes (an image sent as a document).
pub fn check_image_bytes(bytes: &[u8]) -> Result<(), PhotoProblem> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(PhotoProblem::TooBig);
    }
    let info = probe(bytes)?;
    if info.animated {
        return Err(PhotoProblem::Animated);
    }
    check_sides(info.width, info.height)
}

fn check_sides(width: u32, height: u32) -> Result<(), PhotoProblem> {
    if width < MIN_SIDE || height < MIN_SIDE {
        Err(PhotoProblem::TooSmall { width, height })
    } else {
        Ok(())
    }
}

/// Reads format, size and animation from an image's header.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo, PhotoProblem> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)
    } else if bytes.starts_with(b"GIF8") {
        Err(PhotoProblem::Animated)
    } else {
        Err(PhotoProblem::WrongType)
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
    ])))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(at..at + len)?;
    Some(
        slice
            .iter()
            .rev()
            .fold(0u32, |acc, byte| (acc << 8) | u32::from(*byte)),
    )
}

/// Walks the JPEG markers to the first start-of-frame, which holds the size.
fn jpeg(bytes: &[u8]) -> Result<ImageInfo, PhotoProblem> {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return Err(PhotoProblem::Unreadable);
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = be16(bytes, at + 2).ok_or(PhotoProblem::Unreadable)? as usize;
        let is_frame = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            let height = be16(bytes, at + 5).ok_or(PhotoProblem::Unreadable)?;
            let width = be16(bytes, at + 7).ok_or(PhotoProblem::Unreadable)?;
            return Ok(ImageInfo {
                width,
                height,
                animated: false,
            });
        }
        at = at.saturating_add(2).saturating_add(length);
    }
    Err(PhotoProblem::Unreadable)
}

/// IHDR gives the size; an `acTL` chunk before the image data makes it an animated PNG.
fn png(bytes: &[u8]) -> Result<ImageInfo, PhotoProblem> {
    let width = be32(bytes, 16).ok_or(PhotoProblem::Unreadable)?;
    let height = be32(bytes, 20).ok_or(PhotoProblem::Unreadable)?;
    let mut animated = false;
    let mut at = 8;
    while let (Some(length), Some(kind)) = (be32(bytes, at), bytes.get(at + 4..at + 8)) {
        match kind {
            b"acTL" => {
                animated = true;
                break;
            }
            b"IDAT" | b"IEND" => break,
            _ => {
                at = match at
                    .checked_add(12)
                    .and_then(|a| a.checked_add(length as usize))
                {
                    Some(next) => next,
                    None => break,
                }
            }
        }
    }
    Ok(ImageInfo {
        width,
        height,
        animated,
    })
}

/// The first chunk says which WebP flavour this is and where the size sits.
fn webp(bytes: &[u8]) -> Result<ImageInfo, PhotoProblem> {
    let chunk = bytes.get(12..16).ok_or(PhotoProblem::Unreadable)?;
    let data = 20;
    let info = match chunk {
        b"VP8 " => ImageInfo {
            width: le(bytes, data + 6, 2).ok_or(PhotoProblem::Unreadable)? & 0x3FFF,
            height: le(bytes, data + 8, 2).ok_or(PhotoProblem::Unreadable)? & 0x3FFF,
            animated: false,
        },
        b"VP8L" => {
            let bits = le(bytes, data + 1, 4).ok_or(PhotoProblem::Unreadable)?;
            ImageInfo {
                width: (bits & 0x3FFF) + 1,
                height: ((bits >> 14) & 0x3FFF) + 1,
                animated: false,
            }
        }
        b"VP8X" => {
            let flags = *bytes.get(data).ok_or(PhotoProblem::Unreadable)?;
            ImageInfo {
                width: le(bytes, data + 4, 3).ok_or(PhotoProblem::Unreadable)? + 1,
                height: le(bytes, data + 7, 3).ok_or(PhotoProblem::Unreadable)? + 1,
                animated: flags & 0x02 != 0,
            }
        }
        _ => return Err(PhotoProblem::Unreadable),
    };
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_unknown_formats() {
        assert_eq!(probe(b"%PDF-1.7"), Err(PhotoProblem::WrongType));
        assert_eq!(probe(b"GIF89a...."), Err(PhotoProblem::Animated));
        assert_eq!(
            probe(&[0xFF, 0xD8, 0xFF, 0x00]),
            Err(PhotoProblem::Unreadable)
        );
    }

    #[test]
    fn animated_png_is_flagged() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&400u32.to_be_bytes());
        png.extend_from_slice(&500u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        png.extend_from_slice(&8u32.to_be_bytes());
        png.extend_from_slice(b"acTL");
        assert_eq!(
            probe(&png),
            Ok(ImageInfo {
                width: 400,
                height: 500,
                animated: true
            })
        );
    }
}
