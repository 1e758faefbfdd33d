"""Video encoder settings: codec validation, pixel format choice, encoder options and colour tags."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import av

from tempo_cli.video.containers import X265_QUIET, auto_video_codec, holds_video, pixel_formats
from tempo_cli.video.hdr import HDR_ENCODERS, HdrMetadata, hdr_parameters
from tempo_cli.video.pixels import UNSPECIFIED_TAG, chroma_steps, conversion_matrix, has_alpha, without_alpha
from tempo_cli.video.reader import VideoError, VideoInfo

# Private encoder options that make a normally lossy encoder lossless.
_LOSSLESS_OPTIONS = {
    "libx264": {"qp": "0"},
    "libx264rgb": {"qp": "0"},
    "libx265": {"x265-params": "lossless=1"},
    "libvpx-vp9": {"lossless": "1"},
}
# Preferred pixel formats, best first; the first one the encoder supports (and the frame size allows) wins.
_LOSSLESS_FORMATS = {
    8: ("gbrp", "bgr0", "rgb24", "yuv444p"),
    16: ("gbrp16le", "rgb48le", "gbrp12le", "gbrp10le", "yuv444p16le", "yuv444p12le", "yuv444p10le", "yuv444p"),
}
_LOSSY_FORMATS_8 = ("yuv420p", "yuv444p")
# For deeper sources: the deepest of these depths that the source fills and the encoder takes, 4:2:0 before 4:4:4
# (which an odd frame size needs), then 8 bits.
_LOSSY_DEEP_DEPTHS = (12, 10)
MAX_LOSSY_DEPTH = max(_LOSSY_DEEP_DEPTHS)  # deeper sources (16-bit images) lose depth in any lossy encoder
_BT709 = 1  # AVColorSpace (and AVColorPrimaries) value of BT.709
_LIMITED_RANGE = 1
_X26X_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)
# libvpx's speed (cpu-used, 0 slowest and best) for each x264 preset name, so that --preset means the same there.
# Its "good" deadline stops at cpu-used 5 (higher values encode the same), so faster ones use "realtime".
_VPX_SPEEDS = dict(zip(_X26X_PRESETS, (8, 7, 6, 5, 5, 4, 2, 1, 0, 0), strict=True))
_VPX_GOOD_MAX_SPEED = 5
# --crf where an encoder declares none or a wrong one: x265 fails to start above 51 and x264 clamps there; the
# quantizer of MPEG-family encoders is set from x264's scale; libsvtav1 takes crf 0 for "not set" (its default 35)
_CRF_RANGES = {"libx264": (0, 51), "libx264rgb": (0, 51), "libx265": (0, 51), "libsvtav1": (1, 63)}
_X264_CRF_RANGE = _CRF_RANGES["libx264"]
_RGB_MATRIX = 0  # AVCOL_SPC_RGB: the planes hold R, G, B rather than Y, Cb, Cr
_FULL_RANGE = 2
_BT601 = 5  # AVCOL_SPC_BT470BG
# Encoders whose bitstream has one YUV range: ProRes and DNxHD store limited range (a full-range picture must be
# converted, not tagged), MJPEG full range (JPEG's).
_ONE_RANGE = {
    "prores": _LIMITED_RANGE,
    "prores_ks": _LIMITED_RANGE,
    "prores_aw": _LIMITED_RANGE,
    "dnxhd": _LIMITED_RANGE,
    "mjpeg": _FULL_RANGE,
}
# SVT-AV1's preset (0 slowest and best, 13 fastest) for each x264 preset name, so that --preset means the same there.
_SVT_PRESETS = dict(zip(_X26X_PRESETS, (12, 11, 10, 9, 8, 6, 5, 4, 2, 1), strict=True))
_DNXHR_SMALLEST = (256, 120)  # width, height
# DNxHR profile for each pixel format (DNxHD's fixed sizes and bit rates fit few outputs; DNxHR takes any size).
_DNXHR_PROFILES = {
    "yuv422p": "dnxhr_hq",
    "yuv422p10le": "dnxhr_hqx",
    "yuv444p10le": "dnxhr_444",
    "gbrp10le": "dnxhr_444",
}


# Encoders that write subsampled chroma at sizes it does not divide, checked frame by frame against the source (FFV1
# bit-exact; the edges of the others as good as the rest). x264 and x265 refuse such sizes; prores_ks takes them and
# writes a broken last column; MJPEG is left out unchecked.
ODD_SIZE_CODECS = frozenset({"ffv1", "libvpx", "libvpx-vp9", "mpeg4", "mpeg2video", "libsvtav1"})


@dataclass(frozen=True)
class EncodeOptions:
    """How to encode the output video.

    `codec` "auto" is H.264, or the first encoder the output container holds of `AUTO_VIDEO_CODECS`.
    `crf`/`preset` are passed to encoders that have those options (x264, x265, ...); for libvpx the preset sets
    its speed (`cpu-used`) instead. `pix_fmt` None chooses
    yuv420p for 8-bit input and a 10-bit format for >8-bit input when the codec has one. `lossless` uses qp 0 for
    libx264; ffv1 and other lossless-only codecs are lossless anyway. Lossless output keeps the source's pixel format
    where the encoder has it, so that source frames pass through bit-exact; else it stores RGB where it can.
    """

    codec: str = "auto"
    crf: int | None = 18
    preset: str | None = "medium"
    pix_fmt: str | None = None
    lossless: bool = False


@dataclass(frozen=True)
class VideoSettings:
    """Everything needed to configure a PyAV video stream for `EncodeOptions` and a source."""

    codec: str
    pix_fmt: str
    options: dict[str, str]
    colorspace: int | None
    color_range: int | None
    color_primaries: int | None
    color_trc: int | None

    @property
    def colour_tags(self) -> frozenset[str]:
        """The colour tags the output has (`colorspace` for a YUV matrix, `color_primaries`, `color_trc`)."""
        tags = {"colorspace": None if self.colorspace == _RGB_MATRIX else self.colorspace}
        tags |= {"color_primaries": self.color_primaries, "color_trc": self.color_trc}
        return frozenset(name for name, value in tags.items() if value not in (None, UNSPECIFIED_TAG))


def video_encoder(name: str) -> av.codec.Codec:
    """The PyAV video encoder called `name`, or VideoError if there is none."""
    try:
        codec = av.codec.Codec(name, "w")
    except av.codec.codec.UnknownCodecError as exc:
        raise VideoError(f"unknown codec {name}") from exc
    if codec.type != "video":
        raise VideoError(f"{name} is not a video codec")
    return codec


def video_settings(
    options: EncodeOptions, width: int, height: int, source: VideoInfo | None, container: str
) -> VideoSettings:
    """Encoder name, pixel format, private options and colour tags for a `container` output of `width` x `height`.

    The colour tags come from `source` (untagged without one), and its HDR10 metadata where the encoder can write it
    (`hdr.HDR_ENCODERS`). Only matrices that the RGB->YUV conversion can produce are carried; RGB pixel formats are
    tagged as RGB. YUV made from RGB (an RGB source, images, no source) is BT.709 limited range, and tagged so: a
    player would otherwise guess the matrix from the frame size.
    """
    codec = video_encoder(_resolve(options.codec, container))
    if codec.name == "dnxhd" and (width < _DNXHR_SMALLEST[0] or height < _DNXHR_SMALLEST[1]):
        raise VideoError(
            f"dnxhd (DNxHR) needs frames of at least {_DNXHR_SMALLEST[0]}x{_DNXHR_SMALLEST[1]}, got {width}x{height}"
        )
    if options.codec != "auto" and not holds_video(container, codec.name):
        raise VideoError(f"{container} files cannot hold {codec.name} video; name another --codec, or write .mkv")
    lossless = options.lossless or (codec.lossless and not codec.lossy)
    depth = source.bit_depth if source is not None else 8
    source_fmt = source.pix_fmt if source is not None else None
    pix_fmt = _pixel_format(codec, options.pix_fmt, lossless, depth, (width, height), source_fmt)
    rgb_out = av.VideoFormat(pix_fmt).is_rgb
    rgb_in = source is None or av.VideoFormat(source.pix_fmt).is_rgb
    colorspace: int | None
    color_range: int | None
    if rgb_out:
        colorspace, color_range = _RGB_MATRIX, None
    elif rgb_in:
        colorspace, color_range = _BT709, _LIMITED_RANGE
    else:
        assert source is not None
        colorspace = conversion_matrix(source.colorspace)
        color_range = source.color_range if source.color_range in (1, 2) else None
    if not rgb_out:
        color_range = _ONE_RANGE.get(codec.name, color_range)
        colorspace = _BT601 if codec.name == "mjpeg" else colorspace  # JPEG's (JFIF) matrix, whatever the tag
    return VideoSettings(
        codec=codec.name,
        pix_fmt=pix_fmt,
        options=_private_options(codec, options, lossless, source.hdr if source else None, pix_fmt),
        colorspace=colorspace,
        color_range=color_range,
        color_primaries=source.color_primaries if source else None,
        color_trc=source.color_trc if source else None,
    )


def _resolve(codec: str, container: str) -> str:
    """`codec`, or for "auto" the encoder chosen for `container`."""
    if codec != "auto":
        return codec
    chosen = auto_video_codec(container)
    if chosen is None:
        raise VideoError(f"no video encoder here can write a {container} file; name one with --codec")
    return chosen


def _pixel_format(
    codec: av.codec.Codec, requested: str | None, lossless: bool, depth: int, size: tuple[int, int], source: str | None
) -> str:
    """`requested`, or the first format of the preferences for `lossless` and `depth` that `codec` takes at `size`;
    a lossless output prefers the `source`'s own format (converting it to another one loses what it held)."""
    width, height = size
    supported = pixel_formats(codec)
    if requested is not None:
        if supported and requested not in supported:
            raise VideoError(
                f"{codec.name} cannot encode pixel format {requested} (it supports {', '.join(supported)})"
            )
        if has_alpha(requested):
            opaque = [f for f in supported if not has_alpha(f)]
            raise VideoError(
                f"{requested} has an alpha channel, which tempo does not make (its frames are opaque); "
                f"{codec.name} also takes {', '.join(opaque)}"
            )
        if not _fits(codec.name, requested, width, height):
            raise VideoError(f"{requested} subsamples chroma, which a {width}x{height} frame does not divide into")
        return requested
    if lossless:
        own = lossless_format(source) if source else None
        preferred = (*([own] if own else []), *_LOSSLESS_FORMATS[16 if depth > 8 else 8])
    elif depth > 8:
        deep = [d for d in _LOSSY_DEEP_DEPTHS if d <= depth]
        chromas = ("420", "422", "444")  # 4:2:2 before 4:4:4 for encoders without 4:2:0 (DNxHR HQX, not 444)
        preferred = (*(f"yuv{chroma}p{d}le" for d in deep for chroma in chromas), *_LOSSY_FORMATS_8)
    else:
        preferred = _LOSSY_FORMATS_8
    for name in (*preferred, *supported):
        if (not supported or name in supported) and _fits(codec.name, name, width, height):
            return name
    raise VideoError(f"{codec.name} cannot encode a {width}x{height} frame in any pixel format")


def lossless_format(source: str) -> str | None:
    """The format lossless output keeps a `source` pixel format in: the same picture (JPEG-range YUV is it, tagged
    full) without alpha, which tempo does not make; None where there is no such format."""
    own = without_alpha(source.replace("yuvj", "yuv"))
    return None if has_alpha(own) else own


def _fits(codec: str, pix_fmt: str, width: int, height: int) -> bool:
    """True if the chroma subsampling of `pix_fmt` divides the frame size, or if `codec` is one of ODD_SIZE_CODECS."""
    step_x, step_y = chroma_steps(av.VideoFormat(pix_fmt))
    return (width % step_x == 0 and height % step_y == 0) or codec in ODD_SIZE_CODECS


def _private_options(
    codec: av.codec.Codec, options: EncodeOptions, lossless: bool, hdr: HdrMetadata | None, pix_fmt: str
) -> dict[str, str]:
    names = {option.name: option for option in av.codec.CodecContext.create(codec, "w").supported_options.private}
    result: dict[str, str] = {}
    if options.lossless and codec.lossy:
        if codec.name not in _LOSSLESS_OPTIONS:
            raise VideoError(f"{codec.name} cannot encode losslessly; use libx264, libvpx-vp9 or ffv1 (e.g. in .mkv)")
        result.update(_LOSSLESS_OPTIONS[codec.name])
    elif options.crf is not None and "crf" in names and not lossless:
        declared = (max(0, round(names["crf"].min)), round(names["crf"].max))
        _check_crf(options.crf, codec.name, _CRF_RANGES.get(codec.name, declared))
        result["crf"] = str(options.crf)
        if codec.name.startswith("libvpx"):
            result["b"] = "0"  # constant quality; otherwise libvpx only caps quality under its default bitrate
    elif options.crf is not None and "mpv_flags" in names:  # MJPEG, MPEG-1/2/4 and kin: no CRF, a quantizer
        _check_crf(options.crf, codec.name, _X264_CRF_RANGE)
        result["qmin"] = result["qmax"] = str(mpeg_quantizer(options.crf))
    if options.preset is not None and "cpu-used" in names and codec.name.startswith("libvpx"):
        speed = _VPX_SPEEDS[_known_preset(codec, options.preset, _X26X_PRESETS)]
        result["deadline"] = "realtime" if speed > _VPX_GOOD_MAX_SPEED else "good"
        result["cpu-used"] = str(speed)
        if "row-mt" in names:
            result["row-mt"] = "1"
    elif options.preset is not None and "preset" in names and codec.name == "libsvtav1":
        if options.preset.isdigit():  # SVT-AV1's own preset number
            result["preset"] = options.preset
        else:
            result["preset"] = str(_SVT_PRESETS[_known_preset(codec, options.preset, _X26X_PRESETS)])
    elif options.preset is not None and "preset" in names:
        if codec.name in ("libx264", "libx265"):
            _known_preset(codec, options.preset, _X26X_PRESETS)
        result["preset"] = options.preset
    if codec.name == "dnxhd" and pix_fmt in _DNXHR_PROFILES:
        result["profile"] = _DNXHR_PROFILES[pix_fmt]
    if hdr is not None and codec.name in HDR_ENCODERS:
        _add_parameters(result, *hdr_parameters(codec.name, hdr))
    if codec.name == "libx265":
        _add_parameters(result, "x265-params", X265_QUIET)
    return result


def _check_crf(crf: int, codec: str, bounds: tuple[int, int]) -> None:
    """VideoError for a --crf outside `bounds` (inclusive) of `codec`."""
    low, high = bounds
    if not low <= crf <= high:
        raise VideoError(f"--crf must be from {low} to {high} for {codec}, got {crf}")


def mpeg_quantizer(crf: int) -> int:
    """The fixed quantizer (FFmpeg's -q:v, 1-31) for an MPEG-family encoder that looks about like x264 at `crf`.

    A step of 6 in CRF doubles H.264's quantizer; MPEG-4 at q 2.5 matched x264 at CRF 18 in luma PSNR on a real clip
    (44.7 dB). Without it these encoders fall back to FFmpeg's default 200 kb/s and smear.
    """
    return max(1, min(31, round(2.5 * 2 ** ((crf - 18) / 6))))


def _add_parameters(options: dict[str, str], option: str, parameters: str) -> None:
    """Append `parameters` ("key=value:...") to the encoder's parameter list `option` (x264-params, x265-params)."""
    options[option] = ":".join(filter(None, [options.get(option), parameters]))


def _known_preset(codec: av.codec.Codec, preset: str, presets: Collection[str]) -> str:
    """`preset`, or VideoError if it is not one of `presets`."""
    if preset not in presets:
        raise VideoError(f"{codec.name} has no preset {preset!r} (use one of {', '.join(presets)})")
    return preset
