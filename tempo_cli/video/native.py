"""Decoded frames that remember their original picture, so unchanged frames are re-encoded without RGB.

A frame that the engine passes through untouched (a source frame at its own
time) is the very array the reader made. The writer can then encode the
decoder's own YUV picture instead of converting RGB back to YUV: bit-exact
with the source and cheaper. Any new array (a slice, a copy, a synthesized
frame) is a plain ndarray without the picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import av
import numpy as np

from tempo_cli.video.pixels import without_alpha

if TYPE_CHECKING:  # encoding imports the reader, which imports this module
    from tempo_cli.video.encoding import VideoSettings


class DecodedImage(np.ndarray):
    """An RGB image (H, W, 3) that carries the `av.VideoFrame` it was converted from."""

    native: av.VideoFrame | None

    def __array_finalize__(self, obj: object) -> None:
        self.native = None


def with_native(image: np.ndarray, frame: av.VideoFrame) -> np.ndarray:
    """`image` (a view, no copy) remembering `frame`."""
    view = image.view(DecodedImage)
    view.native = frame
    return view


def reusable_native(image: np.ndarray, settings: VideoSettings, width: int, height: int) -> av.VideoFrame | None:
    """The original picture of `image` if it can be encoded as it is with these settings, else None."""
    frame = getattr(image, "native", None)
    if not isinstance(frame, av.VideoFrame):
        return None
    full_range_alias = frame.format.name == f"yuvj{settings.pix_fmt.removeprefix('yuv')}"
    alpha_twin = frame.format.name != settings.pix_fmt and without_alpha(frame.format.name) == settings.pix_fmt
    if frame.format.name != settings.pix_fmt and not (full_range_alias or alpha_twin):
        return None
    if (frame.width, frame.height) != (width, height):
        return None
    if settings.colorspace is not None and frame.colorspace != settings.colorspace:
        return None
    if settings.color_range is not None and frame.color_range != settings.color_range:
        return None
    if full_range_alias:  # JPEG-range YUV (yuvj420p...) is the same picture as full-range yuv420p: a copy
        return frame.reformat(format=settings.pix_fmt, src_color_range=2, dst_color_range=2)
    if alpha_twin:  # the same planes without the alpha one
        kept = frame.reformat(
            format=settings.pix_fmt, src_color_range=frame.color_range, dst_color_range=frame.color_range
        )
        kept.colorspace, kept.color_range = frame.colorspace, frame.color_range
        return kept
    return frame
