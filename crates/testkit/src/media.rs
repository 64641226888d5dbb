//! Real media files for the fakes and the tests (made once with ffmpeg, shipped under
//! `assets/`), and tiny readers for the facts a fake needs: image dimensions and MP4
//! duration/size from the `mvhd`/`tkhd` boxes.

/// A 640x480 JPEG photo (an ffmpeg test pattern).
pub const JPEG: &[u8] = include_bytes!("../assets/photo_640x480.jpg");
/// The same photo scaled to 320x240 (the "m" size Telegram offers).
pub const JPEG_320: &[u8] = include_bytes!("../assets/photo_320x240.jpg");
/// The same photo scaled to 90x68 (the "s" thumbnail Telegram offers).
pub const JPEG_90: &[u8] = include_bytes!("../assets/photo_90x68.jpg");
/// A 256x256 PNG.
pub const PNG: &[u8] = include_bytes!("../assets/image_256x256.png");
/// A 160x120 animated GIF (5 frames).
pub const GIF: &[u8] = include_bytes!("../assets/animation_160x120.gif");
/// A playable 3-second vertical (720x1280, 9:16) H.264/AAC MP4, about 200 KB, faststart.
pub const MP4: &[u8] = include_bytes!("../assets/video_720x1280_3s.mp4");
/// A 512x512 WEBP, used as a sticker.
pub const WEBP: &[u8] = include_bytes!("../assets/sticker_512.webp");
/// A one-second Opus voice note in OGG.
pub const OGG_VOICE: &[u8] = include_bytes!("../assets/voice_1s.ogg");

/// What the `moov` box of an MP4 says about the movie.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mp4Info {
    /// Movie duration in seconds (`mvhd` duration / timescale).
    pub duration_secs: f64,
    /// Width of the first visual track (`tkhd`), in pixels.
    pub width: u32,
    /// Height of the first visual track (`tkhd`), in pixels.
    pub height: u32,
}

/// Reads duration and dimensions of an MP4/MOV; `None` if it is not one.
pub fn mp4_info(bytes: &[u8]) -> Option<Mp4Info> {
    let moov = boxes(bytes).find(|(kind, _)| kind == b"moov")?.1;
    let mvhd = boxes(moov).find(|(kind, _)| kind == b"mvhd")?.1;
    let (timescale, duration) = match *mvhd.first()? {
        0 => (be_u32(mvhd, 12)? as u64, be_u32(mvhd, 16)? as u64),
        _ => (be_u32(mvhd, 20)? as u64, be_u64(mvhd, 24)?),
    };
    if timescale == 0 {
        return None;
    }
    let (width, height) = boxes(moov)
        .filter(|(kind, _)| kind == b"trak")
        .filter_map(|(_, trak)| boxes(trak).find(|(kind, _)| kind == b"tkhd"))
        .filter_map(|(_, tkhd)| {
            let end = tkhd.len();
            let width = be_u32(tkhd, end.checked_sub(8)?)? >> 16;
            let height = be_u32(tkhd, end.checked_sub(4)?)? >> 16;
            (width > 0 && height > 0).then_some((width, height))
        })
        .next()
        .unwrap_or((0, 0));
    Some(Mp4Info {
        duration_secs: duration as f64 / timescale as f64,
        width,
        height,
    })
}

/// Width and height of a JPEG, PNG, GIF or WEBP (VP8/VP8L/VP8X); `None` otherwise.
pub fn image_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?));
    }
    if bytes.starts_with(b"GIF8") {
        let w = u16::from_le_bytes([*bytes.get(6)?, *bytes.get(7)?]);
        let h = u16::from_le_bytes([*bytes.get(8)?, *bytes.get(9)?]);
        return Some((w.into(), h.into()));
    }
    if bytes.starts_with(b"\xff\xd8") {
        return jpeg_dimensions(bytes);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return webp_dimensions(bytes);
    }
    None
}

/// A MIME type guessed from the first bytes.
pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\xff\xd8") {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "video/mp4"
    } else if bytes.starts_with(b"OggS") {
        "audio/ogg"
    } else if bytes.starts_with(b"%PDF") {
        "application/pdf"
    } else {
        "application/octet-stream"
    }
}

fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        while *bytes.get(at)? != 0xff {
            at += 1;
        }
        while *bytes.get(at)? == 0xff {
            at += 1;
        }
        let marker = *bytes.get(at)?;
        at += 1;
        if (0xd0..=0xd9).contains(&marker) || marker == 0x01 {
            continue;
        }
        let len = u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as usize;
        let is_sof = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_sof {
            let h = u16::from_be_bytes([*bytes.get(at + 3)?, *bytes.get(at + 4)?]);
            let w = u16::from_be_bytes([*bytes.get(at + 5)?, *bytes.get(at + 6)?]);
            return Some((w.into(), h.into()));
        }
        at += len;
    }
}

fn webp_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let chunk = bytes.get(12..16)?;
    let le24 = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
            *bytes.get(at + 2)?,
            0,
        ]))
    };
    match chunk {
        b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
        b"VP8 " => {
            let w = u16::from_le_bytes([*bytes.get(26)?, *bytes.get(27)?]) & 0x3fff;
            let h = u16::from_le_bytes([*bytes.get(28)?, *bytes.get(29)?]) & 0x3fff;
            Some((w.into(), h.into()))
        }
        b"VP8L" => {
            let bits = u32::from_le_bytes([
                *bytes.get(21)?,
                *bytes.get(22)?,
                *bytes.get(23)?,
                *bytes.get(24)?,
            ]);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        _ => None,
    }
}

/// Iterates `(type, payload)` of the ISO-BMFF boxes directly inside `data`.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let size = be_u32(data, at)? as u64;
        let kind: [u8; 4] = data.get(at + 4..at + 8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, (data.len() - at) as u64),
            1 => (16, be_u64(data, at + 8)?),
            n => (8, n),
        };
        let end = at.checked_add(usize::try_from(size).ok()?)?;
        let payload = data.get(at + header..end)?;
        at = end;
        Some((kind, payload))
    })
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_have_the_expected_shapes() {
        let info = mp4_info(MP4).expect("mp4");
        assert!((info.duration_secs - 3.0).abs() < 0.1, "{info:?}");
        assert_eq!((info.width, info.height), (720, 1280));
        assert!(MP4.len() < 300 * 1024);
        assert_eq!(image_dimensions(JPEG), Some((640, 480)));
        assert_eq!(image_dimensions(JPEG_320), Some((320, 240)));
        assert_eq!(image_dimensions(JPEG_90), Some((90, 68)));
        assert_eq!(image_dimensions(PNG), Some((256, 256)));
        assert_eq!(image_dimensions(GIF), Some((160, 120)));
        assert_eq!(image_dimensions(WEBP), Some((512, 512)));
        assert_eq!(mp4_info(JPEG), None);
        assert_eq!(image_dimensions(b"garbage"), None);
        assert_eq!(sniff_mime(OGG_VOICE), "audio/ogg");
    }
}
