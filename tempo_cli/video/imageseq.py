"""Folders of PNG/JPEG frames as a frame source and as an output."""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from tempo_cli.video.orientation import QuarterTurn
from tempo_cli.video.paths import VIDEO_SUFFIXES, temporary_sibling
from tempo_cli.video.pixels import UNSPECIFIED_TAG
from tempo_cli.video.reader import SourceFrame, VideoError, VideoInfo

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ITU-T H.273 codes (the numbers FFmpeg's colour tags use).
_HDR_TRANSFERS = frozenset({16, 18})  # PQ (SMPTE ST 2084), HLG (ARIB STD-B67)
_WIDE_PRIMARIES = frozenset({9, 11, 12})  # BT.2020, DCI-P3, Display P3


class ImageSequenceReader:
    """The images of `folder`, in natural name order (frame_2 before frame_10), as frames at `fps`.

    Same interface as VideoReader: `.info`, iteration yields SourceFrame (time = index / fps), `close()`, `with`.
    8-bit images give uint8 frames, 16-bit PNGs uint16; grey images become RGB and alpha is dropped.
    """

    skipped_packets = 0

    def __init__(self, folder: Path, fps: Fraction) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise VideoError(f"not a folder: {self.folder}")
        if fps <= 0:
            raise VideoError(f"the input frame rate must be positive, got {fps}")
        self._files = image_files(self.folder)
        if not self._files:
            raise VideoError(f"no PNG or JPEG images in {self.folder}")
        first = read_image(self._files[0])
        fps = Fraction(fps)
        self.info = VideoInfo(
            path=self.folder,
            width=first.shape[1],
            height=first.shape[0],
            fps=fps,
            time_base=1 / fps,
            duration=len(self._files) / fps,
            frame_count=len(self._files),
            codec="image",
            pix_fmt="rgb24" if first.dtype == np.uint8 else "rgb48le",
            bit_depth=8 if first.dtype == np.uint8 else 16,
            color_range=None,
            colorspace=None,
            color_primaries=None,
            color_trc=None,
            has_audio=False,
            has_subtitles=False,
            container_format="image folder",
        )
        self._kind = (first.shape, first.dtype)
        if len(self._files) > 1:  # a stray image sorted last (a thumbnail) is found before any frame is used
            self._checked(self._files[-1], read_image(self._files[-1]))

    def _checked(self, path: Path, image: np.ndarray) -> np.ndarray:
        """`image` (read from `path`), or VideoError if its size or depth is not the first image's."""
        if (image.shape, image.dtype) != self._kind:
            raise VideoError(
                f"{path.name} is {image.shape[1]}x{image.shape[0]} {image.dtype}, but {self._files[0].name} is "
                f"{self.info.width}x{self.info.height} {self._kind[1]}: all images must match"
            )
        return image

    def __iter__(self) -> Iterator[SourceFrame]:
        for index, path in enumerate(self._files):
            yield SourceFrame(index=index, time=index / self.info.fps, image=self._checked(path, read_image(path)))

    def close(self) -> None:
        """Nothing stays open between images."""

    def __enter__(self) -> ImageSequenceReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _delete(path: Path, ignore_errors: bool = False) -> None:
    """Remove the folder or file at `path`, if any."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=ignore_errors)
    else:
        path.unlink(missing_ok=True)


class ImageSequenceWriter:
    """Writes frames as frame_000001.png, frame_000002.png, ... (`prefix` then the number) into the folder `target`.

    With a `turn` (a source's display matrix, `orientation.quarter_turn`) each image is turned as a player would
    show it. With `cicp` (colour primaries, transfer function: `cicp_for`) colour images carry a cICP chunk. Same
    interface as VideoWriter: the PNGs go into a hidden temporary folder beside `target` that `commit()` renames into
    place (replacing an existing `target`); `abort()`/`close()` without commit delete it.
    """

    def __init__(
        self, target: Path, prefix: str = "frame_", turn: QuarterTurn | None = None, cicp: tuple[int, int] | None = None
    ) -> None:
        self.target = Path(target)
        self.prefix = prefix
        self._turn = turn
        self._cicp = cicp
        self._temp: Path | None = temporary_sibling(self.target)
        try:
            self._temp.mkdir()
        except OSError as exc:  # named as the user's folder, not the hidden temporary one
            raise VideoError(f"cannot write {self.target}: {exc.strerror or exc}") from exc
        self.saved = 0
        self._committed = False

    def write(self, image: np.ndarray, time: Fraction) -> None:
        """Save `image` ((H, W, 3) RGB uint8 or uint16) as the next numbered PNG; `time` only orders frames."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected an (H, W, 3) uint8/uint16 RGB image, got {image.shape} {image.dtype}")
        self.save(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), self.saved + 1)

    def save(self, image: np.ndarray, number: int) -> None:
        """Save `image` (BGR (H, W, 3) or grey (H, W), uint8 or uint16) as the PNG numbered `number`."""
        if self._temp is None:
            raise RuntimeError("the writer is already closed")
        if image.ndim not in (2, 3) or image.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected an (H, W[, 3]) uint8/uint16 image, got {image.shape} {image.dtype}")
        if self._turn is not None:
            image = self._turn.apply(image)
        path = self._temp / f"{self.prefix}{number:06d}.png"  # names that paths.FRAME_FILE recognises
        encoded, png = cv2.imencode(".png", image)  # then written here: libpng's own errors printed a second line
        if not encoded:
            raise VideoError(f"cannot write {path}")
        data = with_cicp(png.tobytes(), *self._cicp) if self._cicp is not None and image.ndim == 3 else png.tobytes()
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise VideoError(f"cannot write {path}: {exc.strerror or exc}") from exc
        self.saved += 1

    def commit(self) -> None:
        """Move the finished folder onto `target`, replacing whatever is there."""
        if self._temp is None:
            raise RuntimeError("the writer is already closed")
        if self.saved == 0:
            self.abort()
            raise VideoError(f"no frames to write to {self.target}")
        old = temporary_sibling(self.target)
        if self.target.exists():
            os.replace(self.target, old)
        try:
            os.replace(self._temp, self.target)
        except BaseException:  # an interrupt between the two renames: the old folder goes back
            if old.exists():
                os.replace(old, self.target)
            raise
        self._temp = None
        self._committed = True
        try:
            _delete(old)
        except KeyboardInterrupt:  # the new folder is in place: finish removing the old one, then stop
            _delete(old, ignore_errors=True)
            raise

    def abort(self) -> None:
        """Delete the temporary folder; the target is left untouched."""
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def close(self) -> None:
        """Abort unless `commit()` succeeded."""
        if not self._committed:
            self.abort()

    def __enter__(self) -> ImageSequenceWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def cicp_for(primaries: int | None, transfer: int | None) -> tuple[int, int] | None:
    """(primaries, transfer) to tag images of a source with, or None for one that PNG's default (sRGB) suits.

    HDR (PQ, HLG) and wide-gamut (BT.2020, P3) values shown as sRGB come out washed out; both codes are needed.
    """
    known = primaries not in (None, UNSPECIFIED_TAG) and transfer not in (None, UNSPECIFIED_TAG)
    if known and (transfer in _HDR_TRANSFERS or primaries in _WIDE_PRIMARIES):
        assert primaries is not None and transfer is not None
        return primaries, transfer
    return None


def with_cicp(png: bytes, primaries: int, transfer: int) -> bytes:
    """`png` with a cICP chunk after its header: primaries and transfer as in ITU-T H.273, RGB, full range."""
    header_end = len(_PNG_SIGNATURE) + 8 + 13 + 4  # the IHDR chunk: length, type, 13 bytes, CRC
    body = b"cICP" + bytes((primaries, transfer, 0, 1))
    chunk = struct.pack(">I", 4) + body + struct.pack(">I", zlib.crc32(body))
    return png[:header_end] + chunk + png[header_end:]


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) RGB uint8/uint16 image from a PNG/JPEG file, or VideoError."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise VideoError(f"cannot read image {path}")
    if image.dtype not in (np.uint8, np.uint16):
        raise VideoError(f"unsupported image type {image.dtype} in {path}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def image_files(folder: Path) -> list[Path]:
    """The PNG and JPEG files of `folder` in natural name order (frame_2 before frame_10), hidden files (._frame_3.png
    of macOS, .thumbnail.png) left out."""
    files = (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
    return sorted((p for p in files if p.is_file()), key=lambda p: natural_key(p.name))


def is_frame_folder(folder: Path, least: int = 1) -> bool:
    """A folder holding `least` or more images and no video: the frames of one clip (images beside videos, such as
    a thumbnail, are not frames)."""
    if not folder.is_dir():
        return False
    return len(image_files(folder)) >= least and not any(p.suffix.lower() in VIDEO_SUFFIXES for p in folder.iterdir())


def natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key that orders digit runs by number and ignores case: frame_2.png < Frame_10.png."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))
