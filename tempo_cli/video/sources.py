"""Opening an input (video file or image folder) and an output (video file or image folder) by path."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from tempo_cli.video.carry import NO_PADDING, AudioPadding
from tempo_cli.video.encoding import EncodeOptions
from tempo_cli.video.imageseq import ImageSequenceReader, ImageSequenceWriter, cicp_for
from tempo_cli.video.orientation import quarter_turn
from tempo_cli.video.paths import is_video_target
from tempo_cli.video.pixels import ChromaUpsampling, alpha_dropped
from tempo_cli.video.reader import VideoError, VideoInfo, VideoReader, Warn
from tempo_cli.video.writer import VideoWriter

FrameSource = VideoReader | ImageSequenceReader
FrameSink = VideoWriter | ImageSequenceWriter


def open_source(
    path: str | Path, input_fps: Fraction | None, on_warning: Warn | None = None, chroma: ChromaUpsampling = "bilinear"
) -> FrameSource:
    """A VideoReader for a file, or an ImageSequenceReader at `input_fps` for a folder.

    `input_fps` is required for a folder and ignored, with a warning, for a video file; `on_warning` receives those
    and skipped-packet notes; `chroma` is how a video's subsampled chroma is upsampled (`chroma_for` the output).
    """
    path = Path(path)
    if path.is_dir():
        if input_fps is None:
            raise VideoError("--input-fps is required for an image folder")
        return ImageSequenceReader(path, input_fps)
    reader = VideoReader(path, on_warning=on_warning, chroma=chroma)
    if input_fps is not None and on_warning is not None:
        on_warning("--input-fps is for image folders; a video file plays at its own rate, which is kept")
    return reader


def chroma_for(target: str | Path) -> ChromaUpsampling:
    """How to read frames bound for `target`: for a video, chroma the writer gives back unchanged; for images, the
    smoother bilinear chroma."""
    return "repeat" if is_video_target(target) else "bilinear"


def open_sink(
    target: str | Path,
    fps: Fraction,
    width: int,
    height: int,
    options: EncodeOptions | None = None,
    source: VideoInfo | None = None,
    audio_padding: AudioPadding = NO_PADDING,
    on_warning: Warn | None = None,
    copy_streams: bool = True,
    slowdown: Fraction = Fraction(1),
) -> FrameSink:
    """A VideoWriter for a video file name, or an ImageSequenceWriter for a folder (see `is_video_target`).

    A str `target` ending with "/" is a folder. The arguments mean what they mean for VideoWriter; a folder uses
    `target`, the source's orientation (its images are turned upright, as a player shows them) and its colour tags (an
    HDR or wide-gamut source's images say so, `imageseq.cicp_for`), and `on_warning` is told when the source's audio
    or subtitles are therefore not kept, and, for both, when the source's alpha channel is (tempo makes frames
    without one).
    """
    if is_video_target(target):
        return VideoWriter(
            Path(target),
            fps,
            width,
            height,
            options or EncodeOptions(),
            source=source,
            copy_streams=copy_streams,
            audio_padding=audio_padding,
            on_warning=on_warning,
            slowdown=slowdown,
        )
    matrix = None if source is None else source.display_matrix
    turn = quarter_turn(matrix)
    cicp = None if source is None else cicp_for(source.color_primaries, source.color_trc)
    writer = ImageSequenceWriter(Path(target), turn=turn, cicp=cicp)
    if on_warning is not None and slowdown != 1:
        on_warning("an image folder has no frame rate: its frames are the same with --slow-motion or without")
    if on_warning is not None and copy_streams and source is not None and (source.has_audio or source.has_subtitles):
        on_warning("an image folder cannot hold audio or subtitles; they are not written")
    if on_warning is not None and copy_streams and source is not None and source.has_extras:
        on_warning("an image folder cannot hold chapters, attachments or cover art; they are not written")
    if on_warning is not None and source is not None and (alpha := alpha_dropped(source.pix_fmt)):
        on_warning(alpha)
    if on_warning is not None and matrix is not None and turn is None:
        on_warning("the source is shown turned by an angle that is not a multiple of 90 degrees; images are not turned")
    return writer
