"""Conversions between PyAV video frames and numpy RGB images (uint8 rgb24 or uint16 rgb48)."""

from __future__ import annotations

import functools
import re
from typing import Literal

import av
import numpy as np
from av.video.reformatter import Interpolation

# swscale's fast converters from subsampled YUV to RGB and back round each step down: 8-bit RGB read from 4:2:0 came
# out 1-1.5 levels dark on average. Accurate rounding, with chroma taken at full horizontal resolution when reading
# 8-bit RGB, keeps it within rounding of the exact conversion (16-bit RGB is read without that flag: swscale's
# converter for that pair turns 4:2:0 into wrong colours, tens of levels off). Writing averages the chroma of each
# block of pixels. Reading interpolates chroma bilinearly (the smoother picture, for viewing, training and scoring)
# or repeats each sample ("repeat"), the one upsampling that the writer's averaging undoes exactly: frames bound for
# a video are read so, since with bilinear chroma a still picture's synthesized frames differed from the source
# frames passed through beside them by up to 40 levels at colour edges.
ChromaUpsampling = Literal["bilinear", "repeat"]
_READ_FLAGS: dict[tuple[ChromaUpsampling, bool], Interpolation] = {
    ("bilinear", False): Interpolation.BILINEAR | Interpolation.FULL_CHR_H_INT | Interpolation.ACCURATE_RND,
    ("bilinear", True): Interpolation.BILINEAR | Interpolation.ACCURATE_RND,
    ("repeat", False): Interpolation.POINT | Interpolation.FULL_CHR_H_INT | Interpolation.ACCURATE_RND,
    ("repeat", True): Interpolation.POINT | Interpolation.ACCURATE_RND,
}
_WRITE_FLAGS = Interpolation.AREA | Interpolation.ACCURATE_RND
# Even with accurate rounding, swscale writes full-range chroma half a step low at 8 and 10 bits (not at 16): such
# frames are converted at 16 bits and rounded down to their depth here (`_reduce_full_range`).
_FULL_RANGE = 2
_WIDE_DEPTH = 16
_RGB16_WHITE = (1 << _WIDE_DEPTH) - 1
# swscale's 16-bit RGB is not on 16-bit RGB's scale where it meets YUV: it takes white at 65280 (255 << 8) when
# converting to YUV, and reads the white of planar YUV at a level that depends on the format, range and flags (65283
# from limited range, (2^n - 1) << (16 - n) from n-bit full range, 65535 from yuvj420p...). Left alone, 16-bit RGB
# written as 10-bit limited YUV came out 3 steps of 1023 bright at white, and a 10-bit full-range round trip 0.3%
# bright. Images are scaled to swscale's scale before writing, and reads are scaled by what swscale makes of white
# (`_read_gain`).
_SWSCALE_RGB16_WHITE = 255 << 8
_PLANAR_YUV = re.compile(r"yuva?j?4[124][0124]p(\d+[lb]e)?")  # yuv420p, yuva444p12le, yuvj422p, yuv420p10be...
_CALIBRATION_SIZE = 16  # pixels a side of the flat frame `_read_gain` converts

# The code of "unspecified" among AVColorSpace, AVColorPrimaries and AVColorTransferCharacteristic (ITU-T H.273).
UNSPECIFIED_TAG = 2
# AVColorSpace values that swscale can use as a conversion matrix (the SWS_CS_* ids are the same numbers).
_SWSCALE_MATRICES = frozenset({1, 4, 5, 6, 7, 9})


def bit_depth(pix_fmt: str) -> int:
    """Bits per sample of the first component of `pix_fmt` (8 for yuv420p, 10 for yuv420p10le...)."""
    return av.VideoFormat(pix_fmt).components[0].bits


# Packed RGB with alpha, and the same layout without it (an X byte where the alpha was, or 3 bytes).
_PACKED_WITHOUT_ALPHA = {
    "rgba": "rgb0",
    "bgra": "bgr0",
    "argb": "0rgb",
    "abgr": "0bgr",
    "rgba64le": "rgb48le",
    "rgba64be": "rgb48be",
    "bgra64le": "bgr48le",
    "bgra64be": "bgr48be",
}


def has_alpha(pix_fmt: str) -> bool:
    """Whether `pix_fmt` stores an alpha (transparency) channel (False for a name that is no pixel format)."""
    return _exists(pix_fmt) and any(component.is_alpha for component in av.VideoFormat(pix_fmt).components)


def alpha_dropped(pix_fmt: str) -> str | None:
    """The warning for a source in `pix_fmt` whose alpha channel the output does not keep, if it has one."""
    if not has_alpha(pix_fmt):
        return None
    return f"the source's alpha channel (transparency, {pix_fmt}) is not kept: every frame is opaque"


def without_alpha(pix_fmt: str) -> str:
    """`pix_fmt` without its alpha channel (yuva444p10le -> yuv444p10le, gbrap -> gbrp, rgba -> rgb0)."""
    if not has_alpha(pix_fmt):
        return pix_fmt
    if pix_fmt in _PACKED_WITHOUT_ALPHA:
        return _PACKED_WITHOUT_ALPHA[pix_fmt]
    twin = pix_fmt.replace("yuva", "yuv", 1).replace("gbrap", "gbrp", 1).replace("ya", "gray", 1)
    return twin if twin != pix_fmt and _exists(twin) else pix_fmt


def _exists(pix_fmt: str) -> bool:
    try:
        av.VideoFormat(pix_fmt)
    except ValueError:
        return False
    return True


def chroma_steps(fmt: av.VideoFormat) -> tuple[int, int]:
    """Pixels per chroma sample across and down in `fmt` (2, 2 for 4:2:0; 1, 1 for 4:4:4 and RGB)."""
    return 16 // fmt.chroma_width(16), 16 // fmt.chroma_height(16)


def frame_to_rgb(frame: av.VideoFrame, high_depth: bool, chroma: ChromaUpsampling = "bilinear") -> np.ndarray:
    """(H, W, 3) RGB image of `frame`: uint16 (full 16-bit scale) if `high_depth`, else uint8.

    The YUV->RGB matrix and range are taken from the frame's own colour tags (BT.601 limited if untagged); subsampled
    chroma is upsampled as `chroma` says (see `ChromaUpsampling`).
    """
    width, height = frame.width, frame.height
    flags = _READ_FLAGS[chroma, high_depth]
    frame = _plain_copy(frame, drop_siting=chroma == "repeat")
    image = frame.to_ndarray(format="rgb48le" if high_depth else "rgb24", interpolation=flags)[:height, :width]
    gain = _read_gain(frame.format.name, frame.color_range, flags) if high_depth else 1.0
    return image if gain == 1.0 else _rescale(image, gain)


def _plain_copy(frame: av.VideoFrame, drop_siting: bool) -> av.VideoFrame:
    """`frame` itself, or for subsampled YUV a copy of its planes: without the decoder's chroma location if
    `drop_siting`, and for planar YUV of an odd size a pixel wider or taller, its luma's last column or row repeated
    (the chroma planes already hold a sample for the extra pixels; the caller crops them off the RGB image).

    swscale places chroma samples where the frame says (H.264 and HEVC: beside the left pixel of each pair); the
    frames the writer makes say nothing (centred), and repeating and averaging undo each other only with the same
    siting. And it stretches the ceil(n / 2) chroma samples of an odd size n over n pixels instead of putting each
    over its two: at 321x241 the colours drifted by up to a pixel towards the right and bottom edges, 50 levels on
    average there for random chroma. A copy always loses the chroma location (PyAV cannot set one).
    """
    fmt = frame.format
    step_x, step_y = chroma_steps(fmt)
    if fmt.is_rgb or (step_x, step_y) == (1, 1):
        return frame
    planar = len({c.plane for c in fmt.components}) == len(fmt.components)  # not NV12-style interleaved chroma
    width, height = frame.width, frame.height
    if planar:
        width, height = -(-width // step_x) * step_x, -(-height // step_y) * step_y
    if (width, height) == (frame.width, frame.height) and not drop_siting:
        return frame
    copy = av.VideoFrame(width, height, fmt.name)
    sample = np.dtype(np.uint8) if bit_depth(fmt.name) <= 8 else np.dtype(np.uint16)  # either byte order: only copied
    for plane, new in zip(frame.planes, copy.planes, strict=True):
        if planar:
            rows = np.frombuffer(memoryview(plane), sample).reshape(plane.height, -1)[:, : plane.width]
            rows = np.pad(rows, ((0, new.height - plane.height), (0, new.width - plane.width)), mode="edge")
        else:  # the same size: each row's bytes as they are
            rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, -1)[:, : new.line_size]
        _fill_plane(new, rows)
    copy.colorspace, copy.color_range = frame.colorspace, frame.color_range
    return copy


@functools.cache
def _read_gain(pix_fmt: str, color_range: int, flags: Interpolation) -> float:
    """65535 over the level at which swscale reads the white of planar YUV `pix_fmt` (in `color_range`, with `flags`)
    into 16-bit RGB; 1 for other formats, which it reads on scale."""
    if _PLANAR_YUV.fullmatch(pix_fmt) is None:
        return 1.0
    depth = bit_depth(pix_fmt)
    top = (1 << depth) - 1 if color_range == _FULL_RANGE else 235 << (depth - 8)
    samples = np.dtype(np.uint8) if depth <= 8 else np.dtype(">u2" if pix_fmt.endswith("be") else "<u2")
    white = av.VideoFrame(_CALIBRATION_SIZE, _CALIBRATION_SIZE, pix_fmt)
    for index, plane in enumerate(white.planes):  # luma at the top of the range, chroma at zero, alpha opaque
        level = top if index == 0 else 1 << (depth - 1) if index < 3 else (1 << depth) - 1
        _fill_plane(plane, np.full((plane.height, plane.width), level, samples))
    white.colorspace, white.color_range = 1, color_range
    seen = int(white.to_ndarray(format="rgb48le", interpolation=flags).min())
    return _RGB16_WHITE / seen


def _rescale(image: np.ndarray, gain: float) -> np.ndarray:
    """16-bit `image` multiplied by `gain` (> 0), rounded and clipped to 16 bits, in place in one float32 copy
    (adding a half before the cast rounds: the values are not negative; np.rint took three times as long)."""
    scaled = image.astype(np.float32)
    scaled *= np.float32(gain)
    scaled += np.float32(0.5)
    np.minimum(scaled, np.float32(_RGB16_WHITE), out=scaled)
    return scaled.astype(np.uint16)


def _fill_plane(plane: av.video.plane.VideoPlane, rows: np.ndarray) -> None:
    """Set `plane` to `rows` (one array row per plane row, at most `line_size` bytes each), padding each row."""
    padded = np.zeros((plane.height, plane.line_size // rows.itemsize), rows.dtype)
    padded[:, : rows.shape[1]] = rows
    plane.update(padded.tobytes())


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
    if av.VideoFormat(pix_fmt).is_rgb:
        return av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format=fmt).reformat(format=pix_fmt)
    if image.dtype == np.uint16:
        image = _rescale(image, _SWSCALE_RGB16_WHITE / _RGB16_WHITE)
    rgb = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format=fmt)
    wide = _wide_twin(pix_fmt) if color_range == _FULL_RANGE else None
    converted = rgb.reformat(
        format=wide or pix_fmt,
        dst_colorspace=conversion_matrix(colorspace),
        dst_color_range=color_range or None,
        interpolation=_WRITE_FLAGS,
    )
    return converted if wide is None else _reduce_full_range(converted, pix_fmt)


def _wide_twin(pix_fmt: str) -> str | None:
    """The 16-bit format of planar YUV `pix_fmt`'s family (yuv420p, yuvj420p, yuv420p10le -> yuv420p16le), or None if
    it is not little-endian planar YUV, is 16-bit already or has no such twin."""
    if _PLANAR_YUV.fullmatch(pix_fmt) is None or pix_fmt.endswith("be") or bit_depth(pix_fmt) >= _WIDE_DEPTH:
        return None
    family = re.sub(r"\d+le$", "", pix_fmt).replace("yuvj", "yuv")
    twin = f"{family}{_WIDE_DEPTH}le"
    try:
        av.VideoFormat(twin)
    except ValueError:
        return None
    return twin


def _reduce_full_range(frame: av.VideoFrame, pix_fmt: str) -> av.VideoFrame:
    """A full-range 16-bit planar YUV `frame` rounded to `pix_fmt`'s depth (same planes, fewer bits).

    Full range at n bits (ITU-T H.273): luma is (2^n - 1) E'Y, chroma 2^(n - 1) + (2^n - 1) E'PB/PR.
    """
    depth = bit_depth(pix_fmt)
    scale = ((1 << depth) - 1) / _RGB16_WHITE
    out = av.VideoFrame(frame.width, frame.height, pix_fmt)
    dtype = np.dtype(np.uint8 if depth <= 8 else "<u2")
    for index, (wide, plane) in enumerate(zip(frame.planes, out.planes, strict=True)):
        values = np.frombuffer(memoryview(wide), dtype="<u2").reshape(wide.height, -1)[:, : wide.width]
        chroma = index in (1, 2)  # luma and alpha run from 0; chroma's zero is its middle
        mids = (1 << (_WIDE_DEPTH - 1), 1 << (depth - 1)) if chroma else (0, 0)
        reduced = (np.rint((values.astype(np.float32) - mids[0]) * scale) + mids[1]).clip(0, (1 << depth) - 1)
        _fill_plane(plane, reduced.astype(dtype))
    out.colorspace, out.color_range = frame.colorspace, frame.color_range
    return out


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
