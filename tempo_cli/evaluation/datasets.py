"""Evaluation data: which layout a path has, and its items, loaded one at a time.

Benchmark layouts (the GT frame is always the one between the two inputs):

- interpolate: the two outer frames at times 0 and 1 predict the middle one at 0.5.
  Vimeo septuplets use the centre: im3, im5 -> im4 (each Vimeo folder is a septuplet if it has
  im1..im7, a triplet if it has im1..im3 and no im4, and skipped otherwise; one root may hold both;
  the layout `detect_layout` names is that of the first folder found).
- extrapolate: the first frame and the ground-truth middle frame (times 0 and 1)
  predict the last frame (time 2). Vimeo septuplets: im1, im2, im3 (times 0, 1, 2) -> im4 (time 3).

Videos (one file, the video files directly inside a folder, or a folder of PNG/JPEG frames of one clip, in natural
name order) are scored by dropping frames:

- "2x": frame 2k+1 from frames 2k and 2k+2 (time 0.5);
- "4x": frames 4k+1..4k+3 from frames 4k and 4k+4 (times 0.25, 0.5, 0.75), one item;
- "ahead{h}" for h in 1, 2, 4: frame k+h from frames k-1 and k (times 0 and 1, target 1+h).

With `anchors` N > 2 (videos only), interpolation windows add N/2 - 1 frames on each side of the pair, a step
apart (times -1, 0, 1, 2 for N = 4), and extrapolation windows the N - 2 frames before k-1 (times -1, 0, 1 for
N = 3), as `tempo interpolate --anchors` and `tempo extrapolate --anchors` feed the model.

Task "interpolate" gives 2x and 4x, "extrapolate" the ahead sets, "all" both (for
benchmarks too). Each video set uses at most `max_windows` windows spread evenly
through the clip, decoded in one streaming pass that keeps only the frames still needed.
`max_side`, if given, downscales every frame (inputs and ground truth alike, INTER_AREA)
so that its short side is at most that many pixels; the default keeps full size.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tempo_cli.errors import TempoError
from tempo_cli.evaluation.metrics import SSIM_WINDOW
from tempo_cli.video.imageseq import ImageSequenceReader, is_frame_folder, natural_key
from tempo_cli.video.paths import VIDEO_SUFFIXES
from tempo_cli.video.pixels import to_uint8
from tempo_cli.video.reader import VideoError, open_container, video_stream
from tempo_cli.video.sources import open_source

VIDEO_LAYOUTS = ("video", "frames", "video_folder")
FRAME_RATE = Fraction(1)  # frames of a folder are taken by index; their times do not matter
LAYOUTS = ("middlebury", "ucf101", "davis", "vimeo_triplet", "vimeo_septuplet", *VIDEO_LAYOUTS)
TASKS = ("interpolate", "extrapolate", "all")
AHEAD = (1, 2, 4)
VIMEO_DEPTH = 3
_EXPECTED = (
    "expected a video file, a folder of videos, a folder of two or more frames (.png, .jpg, .jpeg), "
    "Middlebury (other-data/, other-gt-interp/), DAVIS (input/, gt/), "
    "UCF101 (<id>/frame_00.png, frame_01_gt.png, frame_02.png) or Vimeo-90K (folders of im1..im3 or im1..im7 .png)"
)


@dataclass
class Item:
    """Anchor frames at their times and the ground-truth frames to predict, float32 (H,W,3) in [0,1].

    `group` is the dataset folder's name (or the video's stem) and `kind` the scored set
    within it ("" for benchmark interpolation, "extrapolate", "2x", "4x", "ahead1"...).
    """

    name: str
    group: str
    kind: str
    frames: list[np.ndarray]
    times: list[float]
    gts: list[np.ndarray]
    gt_times: list[float]

    def __post_init__(self) -> None:
        """Refuse frames that cannot be scored together: of different sizes, or smaller than SSIM's window."""
        sizes = sorted({(f.shape[1], f.shape[0]) for f in (*self.frames, *self.gts)})
        shown = ", ".join(f"{w}x{h}" for w, h in sizes)
        if len(sizes) > 1:
            raise TempoError(f"{self.group}/{self.name}: its frames differ in size ({shown})")
        if sizes and min(sizes[0]) < SSIM_WINDOW:
            raise TempoError(
                f"{self.group}/{self.name}: {shown} frames are too small to score (SSIM needs "
                f"{SSIM_WINDOW}x{SSIM_WINDOW} at least)"
            )

    @property
    def set_name(self) -> str:
        """Name of the set this item is scored in, e.g. "davis_triplets" or "bear/ahead2"."""
        return f"{self.group}/{self.kind}" if self.kind else self.group


def _natural(path: Path) -> tuple[str | int, ...]:
    """Sort key of a whole path that orders "9" before "10"."""
    return natural_key(path.as_posix())


def _is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES


def videos_of(path: Path) -> list[Path]:
    """The videos a path stands for: itself if it is a video file or a folder of frames, else the videos in the
    folder, in natural order."""
    if _is_video(path) or is_frame_folder(path, least=2):
        return [path]
    return sorted((p for p in path.iterdir() if _is_video(p)), key=_natural) if path.is_dir() else []


def video_labels(videos: Iterable[Path], reserved: str) -> dict[Path, str]:
    """The name each video's sets go under: its stem, or its file name where another video of `videos` has the same
    stem or the stem is `reserved` (the pooled sets' name), or the path as given where the file name is shared too."""
    videos = list(dict.fromkeys(videos))
    stems = Counter(_stem(v) for v in videos)
    names = Counter(v.name for v in videos)

    def label(video: Path) -> str:
        if stems[_stem(video)] == 1 and _stem(video) not in (reserved, ""):
            return _stem(video)
        return video.name if names[video.name] == 1 and video.name not in (reserved, "") else video.as_posix()

    return {video: label(video) for video in videos}


def _stem(video: Path) -> str:
    """A video file's name without its extension; a frame folder's whole name, `.` named as what it stands for."""
    return video.resolve().name if video.is_dir() else video.stem


def _vimeo_folders(root: Path) -> Iterator[Path]:
    """Folders holding im1.png at most VIMEO_DEPTH levels below root (root included), in sorted order."""
    for depth in range(VIMEO_DEPTH + 1):
        pattern = "/".join(["*"] * depth + ["im1.png"])
        yield from sorted((p.parent for p in root.glob(pattern)), key=_natural)


def _has_frames(folder: Path, count: int) -> bool:
    return all((folder / f"im{i}.png").is_file() for i in range(1, count + 1))


def _vimeo_frame_count(folder: Path) -> int:
    """7 for a septuplet (im1..im7 and no im8), 3 for a triplet (im1..im3 and no im4), 0 for anything else."""
    if _has_frames(folder, 7):
        return 0 if (folder / "im8.png").is_file() else 7
    return 3 if _has_frames(folder, 3) and not (folder / "im4.png").is_file() else 0


def detect_layout(path: Path) -> str:
    """One of LAYOUTS for `path`, or TempoError with a one-line explanation."""
    path = Path(path)
    if not path.exists():
        raise TempoError(f"cannot tell the layout of {path}: it does not exist")
    if _is_video(path):
        return "video"
    if path.is_file():
        raise TempoError(f"cannot tell the layout of {path}: not a video file ({', '.join(sorted(VIDEO_SUFFIXES))})")
    if path.is_dir():
        if (path / "other-data").is_dir() and (path / "other-gt-interp").is_dir():
            return "middlebury"
        if (path / "input").is_dir() and (path / "gt").is_dir():
            return "davis"
        if any(path.glob("*/frame_01_gt.png")):
            return "ucf101"
        if any(_is_video(p) for p in path.iterdir()):
            return "video_folder"
        for folder in _vimeo_folders(path):
            count = _vimeo_frame_count(folder)
            if count:
                return "vimeo_septuplet" if count == 7 else "vimeo_triplet"
        if is_frame_folder(path, least=2):
            return "frames"
    raise TempoError(f"cannot tell the layout of {path}: {_EXPECTED}")


def _resize(frame: np.ndarray, max_side: int | None) -> np.ndarray:
    h, w = frame.shape[:2]
    if max_side is None or min(h, w) <= max_side:
        return frame
    s = max_side / min(h, w)
    return cv2.resize(frame, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def _to_float(rgb: np.ndarray, max_side: int | None) -> np.ndarray:
    return _resize(rgb, max_side).astype(np.float32) / 255.0


def load_image(path: Path, max_side: int | None = None) -> np.ndarray:
    """An image file as float32 RGB (H,W,3) in [0,1]."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise TempoError(f"cannot read image {path}")
    return _to_float(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side)


def _triplet_files(path: Path, layout: str) -> Iterator[tuple[str, list[Path]]]:
    """(name, [first, middle, last]) file triples of a benchmark, or the 7 frames of each septuplet."""
    if layout == "middlebury":
        for gt in sorted((path / "other-gt-interp").glob("*/frame10i11.png"), key=_natural):
            seq = gt.parent.name
            frames = path / "other-data" / seq
            yield seq, [frames / "frame10.png", gt, frames / "frame11.png"]
    elif layout == "davis":
        for gt in sorted((path / "gt").glob("*/frame10i11.png"), key=_natural):
            seq = gt.parent.name
            frames = path / "input" / seq
            yield seq, [frames / "frame10.png", gt, frames / "frame11.png"]
    elif layout == "ucf101":
        for gt in sorted(path.glob("*/frame_01_gt.png"), key=_natural):
            yield gt.parent.name, [gt.parent / "frame_00.png", gt, gt.parent / "frame_02.png"]
    else:
        for folder in _vimeo_folders(path):
            count = _vimeo_frame_count(folder)
            if count:
                name = folder.relative_to(path).as_posix() if folder != path else folder.name
                yield name, [folder / f"im{i}.png" for i in range(1, count + 1)]


def _benchmark_items(path: Path, layout: str, task: str, max_side: int | None) -> Iterator[Item]:
    group = path.resolve().name
    for name, files in _triplet_files(path, layout):
        if not all(f.is_file() for f in files):
            continue
        septuplet = len(files) == 7
        if task in ("interpolate", "all"):
            first, mid, last = (load_image(files[i], max_side) for i in ((2, 3, 4) if septuplet else (0, 1, 2)))
            yield Item(name, group, "", [first, last], [0.0, 1.0], [mid], [0.5])
        if task in ("extrapolate", "all"):
            *anchors, target = (load_image(f, max_side) for f in (files[:4] if septuplet else files))
            times = [float(t) for t in range(len(anchors))]
            yield Item(name, group, "extrapolate", anchors, times, [target], [float(len(anchors))])


def check_videos_open(path: Path) -> None:
    """VideoError naming the first video of `path` (a file, a folder of them or of frames) that cannot be opened or
    decode its first frame: found before any is scored, not after the ones before it."""
    for video in videos_of(path):
        open_source(video, FRAME_RATE).close()


def count_video_frames(path: Path) -> int:
    """Number of frames the video stream decodes to (decoded, not taken from metadata), or images of a folder of
    frames; VideoError if none."""
    if path.is_dir():
        count = ImageSequenceReader(path, FRAME_RATE).info.frame_count
        assert count is not None, "a folder's images are counted"
        return count
    with open_container(path) as container:
        stream = video_stream(container)
        stream.thread_type = "AUTO"
        try:
            return sum(1 for _ in container.decode(stream))
        except av.error.FFmpegError as exc:
            raise VideoError(f"cannot read video {path}: {exc}") from exc


def spread(count: int, n: int) -> list[int]:
    """min(count, n) indices in range(count), evenly spaced, first and last included."""
    n = min(count, n)
    if n <= 1:
        return [(count - 1) // 2] if n == 1 else []
    return [i * (count - 1) // (n - 1) for i in range(n)]


@dataclass(frozen=True)
class Window:
    """Frame indices of a video window: anchors at `times`, targets at `target_times`."""

    kind: str
    anchors: tuple[int, ...]
    times: tuple[float, ...]
    targets: tuple[int, ...]
    target_times: tuple[float, ...]

    @property
    def last(self) -> int:
        """Index of the last frame the window needs."""
        return max(*self.anchors, *self.targets)


def check_window_anchors(anchors: int, task: str, layout: str = "video") -> None:
    """TempoError unless `layout`'s items for `task` can have `anchors` anchors: 2 or more, an even number where
    they interpolate, other than 2 for videos only (a benchmark item has the frames it has)."""
    if anchors < 2 or (task != "extrapolate" and anchors % 2):
        raise TempoError(f"a window needs 2 or more anchors, an even number for interpolation; got {anchors}")
    if anchors != 2 and layout not in VIDEO_LAYOUTS:
        raise TempoError(f"{layout} items have the anchors they have; other numbers of anchors are for videos")


def min_video_frames(task: str, anchors: int = 2) -> int:
    """The fewest frames a video needs for one window of `task` with `anchors` anchors (3 with 2 anchors)."""
    return next(n for n in itertools.count(2) if video_windows(n, task, 1, anchors))


def video_windows(frame_count: int, task: str, max_windows: int, anchors: int = 2) -> list[Window]:
    """The scored windows of a clip with `frame_count` frames and `anchors` anchors, each set spread over the clip."""
    check_window_anchors(anchors, task)
    n = frame_count
    windows: list[Window] = []
    if task in ("interpolate", "all"):
        side = anchors // 2 - 1
        times = tuple(float(j - side) for j in range(anchors))
        for step, kind in ((2, "2x"), (4, "4x")):
            between = tuple(i / step for i in range(1, step))
            for k in spread((n - 1) // step - 2 * side, max_windows):
                frames = tuple(step * (k + j) for j in range(anchors))
                first = frames[side]
                windows.append(Window(kind, frames, times, tuple(first + i for i in range(1, step)), between))
    if task in ("extrapolate", "all"):
        times = tuple(float(j - anchors + 2) for j in range(anchors))
        for h in AHEAD:
            for k in spread(n - h - anchors + 1, max_windows):
                last = k + anchors - 1
                windows.append(Window(f"ahead{h}", tuple(range(k, last + 1)), times, (last + h,), (1.0 + h,)))
    return windows


def _clip_frames(path: Path) -> Iterator[np.ndarray]:
    """RGB uint8 frames of a video file or a folder of frames, in order."""
    with open_source(path, FRAME_RATE) as source:
        for frame in source:
            yield to_uint8(frame.image)


def _video_items(
    path: Path, task: str, max_windows: int, max_side: int | None, anchors: int, label: str
) -> Iterator[Item]:
    windows = sorted(video_windows(count_video_frames(path), task, max_windows, anchors), key=lambda w: w.last)
    last_use: dict[int, int] = {}
    for w in windows:
        for i in (*w.anchors, *w.targets):
            last_use[i] = max(last_use.get(i, -1), w.last)
    held: dict[int, np.ndarray] = {}
    pending = iter(windows)
    window = next(pending, None)
    for index, rgb in enumerate(_clip_frames(path)):
        if window is None:
            break
        if index in last_use:
            held[index] = _to_float(rgb, max_side)
        while window is not None and window.last == index:
            yield Item(
                f"{label}@{window.anchors[0]}",
                label,
                window.kind,
                [held[i] for i in window.anchors],
                list(window.times),
                [held[i] for i in window.targets],
                list(window.target_times),
            )
            window = next(pending, None)
        held = {i: f for i, f in held.items() if last_use[i] > index}


def iter_items(
    path: Path,
    layout: str,
    task: str = "interpolate",
    limit: int | None = None,
    max_windows: int = 30,
    max_side: int | None = None,
    anchors: int = 2,
    labels: Mapping[Path, str] | None = None,
) -> Iterator[Item]:
    """Items of `path` for `task`, read from disk as they are yielded; at most `limit` of them.

    `anchors` other than 2 is for videos only: a benchmark item has the frames it has. A video's items are grouped
    under `labels[video]` (`video_labels`), else its stem.
    """
    labels = labels or {}
    path = Path(path)
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    check_window_anchors(anchors, task, layout)
    items: Iterator[Item]
    if layout in VIDEO_LAYOUTS:
        items = (
            item
            for v in videos_of(path)
            for item in _video_items(v, task, max_windows, max_side, anchors, labels.get(v, _stem(v)))
        )
    elif layout in LAYOUTS:
        items = _benchmark_items(path, layout, task, max_side)
    else:
        raise ValueError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    for count, item in enumerate(items):
        if limit is not None and count >= limit:
            return
        yield item
