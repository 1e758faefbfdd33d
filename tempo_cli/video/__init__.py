"""Video I/O: PyAV decoding with timestamps, encoding with stream copy, image sequences.

This layer knows files, numpy RGB images (uint8, or uint16 for >8-bit sources) and timestamps in seconds
(fractions.Fraction); nothing about models or tensors.
"""

from tempo_cli.video.encoding import EncodeOptions
from tempo_cli.video.imageseq import ImageSequenceReader, ImageSequenceWriter
from tempo_cli.video.paths import is_video_target, validate_output_path
from tempo_cli.video.reader import SourceFrame, VideoError, VideoInfo, VideoReader, iter_video_frames, open_container
from tempo_cli.video.sources import FrameSink, FrameSource, open_sink, open_source
from tempo_cli.video.writer import VideoWriter

__all__ = [
    "EncodeOptions",
    "FrameSink",
    "FrameSource",
    "ImageSequenceReader",
    "ImageSequenceWriter",
    "SourceFrame",
    "VideoError",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "is_video_target",
    "iter_video_frames",
    "open_container",
    "open_sink",
    "open_source",
    "validate_output_path",
]
