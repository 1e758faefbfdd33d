"""HDR10 static metadata: the mastering display's colour volume and the content's light levels.

Decoders attach it to frames as side data; x264 and x265 write it back as SEI messages when given it in their
own option syntax (`master-display`/`mastering-display` and `max-cll`/`cll`). Other encoders here cannot carry it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction

# AVMasteringDisplayMetadata, in the machine's byte order: (x, y) of red, green and blue, the white point's (x, y),
# the minimum and maximum luminance, each an AVRational (two int32), then has_primaries and has_luminance (int32).
_MASTERING = struct.Struct("=20i2i")
# AVContentLightMetadata: MaxCLL and MaxFALL (unsigned, cd/m^2).
_LIGHT = struct.Struct("=2I")
# The SEI's units: chromaticity in 1/50000, luminance in 1/10000 cd/m^2.
_CHROMATICITY_UNIT = 50000
_LUMINANCE_UNIT = 10000
# Each encoder's parameter option and its names for the mastering display and the light levels.
_ENCODER_SYNTAX = {
    "libx265": ("x265-params", "master-display", "max-cll"),
    "libx264": ("x264-params", "mastering-display", "cll"),
}

Point = tuple[Fraction, Fraction]


@dataclass(frozen=True)
class MasteringDisplay:
    """The display the video was graded on: primaries' and white point's CIE 1931 (x, y), luminance in cd/m^2."""

    red: Point
    green: Point
    blue: Point
    white: Point
    min_luminance: Fraction
    max_luminance: Fraction


@dataclass(frozen=True)
class ContentLight:
    """The brightest pixel (MaxCLL) and the brightest frame's mean (MaxFALL) of the content, in cd/m^2."""

    max_cll: int
    max_fall: int


@dataclass(frozen=True)
class HdrMetadata:
    """HDR10 static metadata; either part may be missing."""

    mastering: MasteringDisplay | None = None
    light: ContentLight | None = None


# The frame side data that hold them (PyAV's names).
MASTERING_SIDE_DATA = "MASTERING_DISPLAY_METADATA"
LIGHT_SIDE_DATA = "CONTENT_LIGHT_LEVEL"


def read_hdr_metadata(mastering: bytes | None, light: bytes | None) -> HdrMetadata | None:
    """HDR10 static metadata from a frame's side data (`MASTERING_SIDE_DATA`, `LIGHT_SIDE_DATA`), None where there
    is none."""
    meta = HdrMetadata(
        mastering=None if mastering is None else _parse_mastering(mastering),
        light=None if light is None else ContentLight(*_LIGHT.unpack_from(light)),
    )
    return None if meta == HdrMetadata() else meta


def _parse_mastering(data: bytes) -> MasteringDisplay | None:
    """AVMasteringDisplayMetadata, or None unless it has both primaries and luminance (the SEI needs both)."""
    values = _MASTERING.unpack_from(data)
    has_primaries, has_luminance = values[20:22]
    if not (has_primaries and has_luminance):
        return None
    ratios = [
        Fraction(num, den) if den else Fraction(0) for num, den in zip(values[0:20:2], values[1:20:2], strict=True)
    ]
    red, green, blue, white = ((ratios[i], ratios[i + 1]) for i in range(0, 8, 2))
    return MasteringDisplay(red, green, blue, white, min_luminance=ratios[8], max_luminance=ratios[9])


HDR_ENCODERS = frozenset(_ENCODER_SYNTAX)  # the encoders that `hdr_parameters` can give the metadata


def hdr_parameters(codec: str, meta: HdrMetadata) -> tuple[str, str]:
    """(option, value) that make encoder `codec` write `meta`, e.g. ("x265-params", "master-display=...")."""
    option, mastering_name, light_name = _ENCODER_SYNTAX[codec]
    parts = []
    if meta.mastering is not None:
        m = meta.mastering

        def point(label: str, xy: Point) -> str:
            return f"{label}({round(xy[0] * _CHROMATICITY_UNIT)},{round(xy[1] * _CHROMATICITY_UNIT)})"

        lum = f"L({round(m.max_luminance * _LUMINANCE_UNIT)},{round(m.min_luminance * _LUMINANCE_UNIT)})"
        colours = point("G", m.green) + point("B", m.blue) + point("R", m.red) + point("WP", m.white)
        parts.append(f"{mastering_name}={colours}{lum}")
    if meta.light is not None:
        parts.append(f"{light_name}={meta.light.max_cll},{meta.light.max_fall}")
    return option, ":".join(parts)
