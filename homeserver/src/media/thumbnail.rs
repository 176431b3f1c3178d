//! Thumbnail generation: pure, synchronous image work that callers run off the async runtime.
//!
//! Requests are answered from a fixed set of sizes (the spec's recommended ones) so each
//! image gets a handful of cached thumbnails, not one per requested size.

use std::io::Cursor;

use image::{
    AnimationDecoder, DynamicImage, Frame, ImageFormat, ImageReader, Limits,
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
        webp::WebPDecoder,
    },
    imageops::FilterType,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Crop,
    Scale,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crop => "crop",
            Self::Scale => "scale",
        }
    }
}

/// The sizes thumbnails are made in (the spec's recommendation).
const SIZES: [(u32, u32, Method); 5] = [
    (32, 32, Method::Crop),
    (96, 96, Method::Crop),
    (320, 240, Method::Scale),
    (640, 480, Method::Scale),
    (800, 600, Method::Scale),
];

/// Most frames an animated thumbnail keeps.
const MAX_FRAMES: usize = 200;

/// The stored size that serves a request: the smallest of the requested method at least as
/// big as asked, else the biggest of that method.
pub fn pick_size(width: u32, height: u32, method: Method) -> (u32, u32) {
    let of_method = SIZES.iter().filter(|s| s.2 == method);
    of_method
        .clone()
        .find(|s| s.0 >= width && s.1 >= height)
        .or_else(|| of_method.clone().next_back())
        .map(|s| (s.0, s.1))
        .expect("every method has sizes")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThumbnailError {
    #[error("not an image this server can thumbnail")]
    NotAnImage,
    #[error("the image is too large to thumbnail")]
    TooLarge,
}

/// Makes a `width`×`height` thumbnail (`crop`: exactly that; `scale`: fitting inside it,
/// never enlarged). Images over `max_pixels` are refused from their header, before any
/// decoding. With `animated`, an animated GIF or WebP gives an animated GIF.
pub fn generate(
    bytes: &[u8],
    width: u32,
    height: u32,
    method: Method,
    animated: bool,
    max_pixels: u64,
) -> Result<Thumbnail, ThumbnailError> {
    let format = image::guess_format(bytes).map_err(|_| ThumbnailError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP
    ) {
        return Err(ThumbnailError::NotAnImage);
    }
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        // Decoding needs at most 4 bytes per pixel plus slack; refuse anything bigger.
        limits.max_alloc = Some(max_pixels.saturating_mul(5));
        reader.limits(limits);
        reader
    };
    let (w, h) = reader()
        .into_dimensions()
        .map_err(|_| ThumbnailError::NotAnImage)?;
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(ThumbnailError::TooLarge);
    }
    if animated
        && matches!(format, ImageFormat::Gif | ImageFormat::WebP)
        && let Some(thumbnail) = animated_thumbnail(bytes, format, width, height, method)?
    {
        return Ok(thumbnail);
    }
    let image = reader().decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ThumbnailError::TooLarge,
        _ => ThumbnailError::NotAnImage,
    })?;
    let image = resize(&image, width, height, method);
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::new();
    let content_type = if format == ImageFormat::Jpeg {
        JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&image.to_rgb8())
            .map_err(|_| ThumbnailError::NotAnImage)?;
        "image/jpeg"
    } else {
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| ThumbnailError::NotAnImage)?;
        "image/png"
    };
    Ok(Thumbnail {
        bytes: out,
        content_type,
        width,
        height,
    })
}

fn resize(image: &DynamicImage, width: u32, height: u32, method: Method) -> DynamicImage {
    match method {
        Method::Scale if image.width() <= width && image.height() <= height => image.clone(),
        Method::Scale => image.resize(width, height, FilterType::Triangle),
        Method::Crop => image.resize_to_fill(width, height, FilterType::Triangle),
    }
}

/// An animated GIF thumbnail, or `None` when the image has a single frame.
fn animated_thumbnail(
    bytes: &[u8],
    format: ImageFormat,
    width: u32,
    height: u32,
    method: Method,
) -> Result<Option<Thumbnail>, ThumbnailError> {
    let bad = |_| ThumbnailError::NotAnImage;
    let frames: Vec<Frame> = match format {
        ImageFormat::Gif => GifDecoder::new(Cursor::new(bytes))
            .map_err(bad)?
            .into_frames()
            .take(MAX_FRAMES)
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        _ => {
            let decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(bad)?;
            if !decoder.has_animation() {
                return Ok(None);
            }
            decoder
                .into_frames()
                .take(MAX_FRAMES)
                .collect::<Result<_, _>>()
                .map_err(bad)?
        }
    };
    if frames.len() < 2 {
        return Ok(None);
    }
    let mut out = Vec::new();
    let (mut out_w, mut out_h) = (0, 0);
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder.set_repeat(Repeat::Infinite).map_err(bad)?;
        for frame in frames {
            let delay = frame.delay();
            let image = DynamicImage::ImageRgba8(frame.into_buffer());
            let image = resize(&image, width, height, method).to_rgba8();
            (out_w, out_h) = image.dimensions();
            encoder
                .encode_frame(Frame::from_parts(image, 0, 0, delay))
                .map_err(bad)?;
        }
    }
    Ok(Some(Thumbnail {
        bytes: out,
        content_type: "image/gif",
        width: out_w,
        height: out_h,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgb8(width, height);
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn sizes_are_picked_from_the_recommended_set() {
        assert_eq!(pick_size(10, 10, Method::Crop), (32, 32));
        assert_eq!(pick_size(50, 40, Method::Crop), (96, 96));
        assert_eq!(pick_size(2000, 2000, Method::Crop), (96, 96));
        assert_eq!(pick_size(320, 240, Method::Scale), (320, 240));
        assert_eq!(pick_size(321, 100, Method::Scale), (640, 480));
        assert_eq!(pick_size(5000, 5000, Method::Scale), (800, 600));
    }

    #[test]
    fn crop_is_exact_and_scale_keeps_aspect_without_enlarging() {
        let source = png(400, 300);
        let crop = generate(&source, 96, 96, Method::Crop, false, 1 << 30).unwrap();
        assert_eq!((crop.width, crop.height), (96, 96));
        let scale = generate(&source, 320, 240, Method::Scale, false, 1 << 30).unwrap();
        assert_eq!((scale.width, scale.height), (320, 240));
        let big = generate(&source, 800, 600, Method::Scale, false, 1 << 30).unwrap();
        assert_eq!((big.width, big.height), (400, 300));
        assert_eq!(big.content_type, "image/png");
    }

    #[test]
    fn bombs_and_non_images_are_refused() {
        assert_eq!(
            generate(&png(400, 300), 32, 32, Method::Crop, false, 1000),
            Err(ThumbnailError::TooLarge)
        );
        assert_eq!(
            generate(b"<html></html>", 32, 32, Method::Crop, false, 1 << 30),
            Err(ThumbnailError::NotAnImage)
        );
    }
}
