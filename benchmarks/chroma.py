"""How the chroma resampling of frames bound for a video shows: still pictures, and moving ones as a player sees them.

    python -m benchmarks.chroma [--clips a.mp4,b.mp4] [--max-windows 10] [--max-side 0] [--threads 2] [--json PATH]

Frames are read to RGB, synthesized and written back to 4:2:0. Three pairs of chroma resampling side by side:
repeat + average (what `tempo interpolate` does for a video output), bilinear + average, and bilinear + bilinear
(what it did before session 21).
- still: each held-out clip's first frame read and written back unchanged, as a synthesized frame of a still
  picture is. Mean and largest change of its chroma planes, in levels: anything but 0 flickers against the source
  frames that pass through untouched beside it.
- moving: 2x windows of the same clips (frames k, k + 2 predict k + 1) through the shipped weights; the 4:2:0 frame
  written is decoded with bilinear chroma, as a player shows it, and scored (PSNR) against the true frame decoded
  the same way.
`--max-side` is not applied (0): the frames keep their own size, so that 4:2:0 is what the source has.
"""

from __future__ import annotations

from typing import Any

import av
import numpy as np
from av.video.reformatter import Interpolation

from benchmarks.quality import build, data_root, held_out_args, publish, stamp, stamp_line
from tempo_cli.evaluation.datasets import Item
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import predict, to_image
from tempo_cli.synth.base import Synthesizer
from tempo_cli.video.pixels import ChromaUpsampling, conversion_matrix, frame_to_rgb, rgb_to_frame

OLD_WRITE = Interpolation.BILINEAR | Interpolation.ACCURATE_RND
PAIRS: dict[str, tuple[ChromaUpsampling, Interpolation | None]] = {
    "repeat + average (now)": ("repeat", None),
    "bilinear + average": ("bilinear", None),
    "bilinear + bilinear (before)": ("bilinear", OLD_WRITE),
}


def write(rgb: np.ndarray, like: av.VideoFrame, flags: Interpolation | None) -> av.VideoFrame:
    """`rgb` as a 4:2:0 frame tagged like `like`: the writer's conversion, or swscale with `flags`."""
    if flags is None:
        frame = rgb_to_frame(rgb, "yuv420p", like.colorspace, like.color_range)
    else:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
            format="yuv420p",
            dst_colorspace=conversion_matrix(like.colorspace),
            dst_color_range=like.color_range or None,
            interpolation=flags,
        )
    frame.colorspace, frame.color_range = like.colorspace, like.color_range
    return frame


def chroma_planes(frame: av.VideoFrame) -> list[np.ndarray]:
    """The two chroma planes as int arrays."""
    return [
        np.frombuffer(memoryview(p), np.uint8).reshape(p.height, p.line_size)[:, : p.width].astype(int)
        for p in frame.planes[1:3]
    ]


def still_change(frame: av.VideoFrame, chroma: ChromaUpsampling, flags: Interpolation | None) -> tuple[float, int]:
    """Mean and largest change of the chroma of `frame` read and written back."""
    again = write(frame_to_rgb(frame, False, chroma), frame, flags)
    changes = [np.abs(b - a) for a, b in zip(chroma_planes(frame), chroma_planes(again), strict=True)]
    return float(np.mean([c.mean() for c in changes])), int(max(c.max() for c in changes))


def moving_score(
    synth: Synthesizer, frames: list[av.VideoFrame], chroma: ChromaUpsampling, flags: Interpolation | None
) -> float:
    """PSNR of the frame between frames[0] and frames[2], shown as a player shows it, against frames[1] shown so."""
    anchors = [frame_to_rgb(f, False, chroma).astype(np.float32) / 255 for f in (frames[0], frames[2])]
    truth = frame_to_rgb(frames[1], False, "bilinear")
    made = to_image(predict(synth, Item("w", "w", "2x", anchors, [0.0, 1.0], [truth / 255.0], [0.5]))[0])
    shown = frame_to_rgb(write(made, frames[0], flags), False, "bilinear")
    return psnr(shown / 255.0, truth / 255.0)


def main() -> None:
    args = held_out_args(__doc__.splitlines()[0])
    synth = build("tempo")
    assert isinstance(synth, Synthesizer)
    videos = data_root() / "videos"
    still: dict[str, list[tuple[float, int]]] = {name: [] for name in PAIRS}
    moving: dict[str, list[float]] = {name: [] for name in PAIRS}
    for clip in args.clips.split(","):
        with av.open(str(videos / clip)) as container:
            frames = [f for f, _ in zip(container.decode(video=0), range(6 * args.max_windows + 3), strict=False)]
        for name, (chroma, flags) in PAIRS.items():
            still[name].append(still_change(frames[0], chroma, flags))
            for k in range(0, len(frames) - 2, 6):
                moving[name].append(moving_score(synth, frames[k : k + 3], chroma, flags))
    data: dict[str, Any] = {**stamp(), "clips": args.clips.split(","), "pairs": {}}
    rows = []
    for name in PAIRS:
        mean_change = float(np.mean([m for m, _ in still[name]]))
        largest = max(x for _, x in still[name])
        score = float(np.mean(moving[name]))
        data["pairs"][name] = {"still_mean": mean_change, "still_max": largest, "moving_psnr": score}
        rows.append([name, f"{mean_change:.3f}", str(largest), f"{score:.3f}", str(len(moving[name]))])
    header = ["read + write chroma", "still: mean change", "still: largest", "moving: PSNR dB", "windows"]
    note = f"Clips: {args.clips}; frames at their own size, shipped weights. Measured on {stamp_line(data)}."
    publish("Chroma resampling, still and moving", header, rows, note, data, args.json)


if __name__ == "__main__":
    main()
