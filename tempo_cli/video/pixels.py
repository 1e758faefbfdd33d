"""Conversions between PyAV video frames and numpy RGB images (uint8 rgb24 or uint16 rgb48)."""

from __future__ import annotations

import av
import numpy as np
from av.video.reformatter import Interpolation

# swscale's fast converters from subsampled YUV to RGB and back round each step down: RGB read from 4:2:0 came out
# 1-1.5 levels dark on average and full-range chroma half a level low. Accurate rounding, with chroma interpolated
# at full horizontal resolution when reading, keeps both within rounding of the exact conversion.
_READ_FLAGS = Interpolation.BILINEAR | Interpolation.FULL_CHR_H_INT | Interpolation.ACCURATE_RND
_WRITE_FLAGS = Interpolation.BILINEAR | Interpolation.ACCURATE_RND

# AVColorSpace values that swscale can use as a conversion matrix (the SWS_CS_* ids are the same numbers).
_SWSCALE_MATRICES = frozenset({1, 4, 5, 6, 7, 9})


def bit_depth(pix_fmt: str) -> int:
    """Bits per sample of the first component of `pix_fmt` (8 for yuv420p, 10 for yuv420p10le...)."""
    return av.VideoFormat(pix_fmt).components[0].bits


def frame_to_rgb(frame: av.VideoFrame, high_depth: bool) -> np.ndarray:
    """(H, W, 3) RGB image of `frame`: uint16 (full 16-bit scale) if `high_depth`, else uint8.

    The YUV->RGB matrix and range are taken from the frame's own colour tags (BT.601 limited if untagged).
    """
    return frame.to_ndarray(format="rgb48le" if high_depth else "rgb24", interpolation=_READ_FLAGS)


def conversion_matrix(colorspace: int | None) -> int | None:
    """`colorspace` if the RGB<->YUV conversion supports that matrix, else None (swscale's default, BT.601)."""
    return colorspace if colorspace in _SWSCALE_MATRICES else None


def rgb_to_frame(image: np.ndarray, pix_fmt: str, colorspace: int | None, color_range: int | None) -> av.VideoFrame:
    """Frame in `pix_fmt` made from an (H, W, 3) uint8/uint16 RGB image.

    `colorspace` (an AVColorSpace value) and `color_range` (1 limited, 2 full) choose the RGB->YUV conversion; an
    unknown or missing value uses swscale's default (BT.601 limited), matching what `frame_to_rgb` assumes when
    reading an untagged frame back.
    """
    fmt = rgb_format(image)
    if fmt == pix_fmt:  # a copy: the frame outlives the call (it is encoded later) and must not share `image`
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=fmt)
    rgb = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format=fmt)
    if av.VideoFormat(pix_fmt).is_rgb:
        return rgb.reformat(format=pix_fmt)
    return rgb.reformat(
        format=pix_fmt,
        dst_colorspace=conversion_matrix(colorspace),
        dst_color_range=color_range or None,
        interpolation=_WRITE_FLAGS,
    )


def rgb_format(image: np.ndarray) -> str:
    """PyAV pixel format name of an (H, W, 3) RGB image, checking its shape and dtype."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return "rgb24"
    if image.dtype == np.uint16:
        return "rgb48le"
    raise ValueError(f"expected a uint8 or uint16 RGB image, got {image.dtype}")


def to_uint8(image: np.ndarray) -> np.ndarray:
    """`image` as uint8: unchanged if already uint8, scaled from 0..65535 with rounding if uint16."""
    if image.dtype == np.uint8:
        return image
    return ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
