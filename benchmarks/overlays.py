"""Still overlays kept out of the motion (`keep_overlays`, `--keep-overlays`): on captions, and on clips without any.

    python -m benchmarks.overlays [--weights W.safetensors] [--pairs 40] [--all-clips] [--factor 2 | --ahead N]
        [--crf 23] [--threads 2] [--json PATH]

Both parts run the library as users do (`Interpolator.interpolate_frames` / `extrapolate_frames`), once with
`keep_overlays` and once without, side by side.

- caption: `benchmarks.pan_and_caption`'s 12 held-out backgrounds moving at 12 px per frame under its still caption,
  HISTORY frames before the anchors (an overlay is found over a run of frames). Between: every other frame is
  given and the one at -1 is made at 2x; ahead: frames up to 0 are given and +1, +2 predicted from 3 anchors;
  first 8: the caption starts at frame 0 (a clip that opens with it, a new subtitle line), every other frame of 0 to
  16 is given, and the 8 made between are scored (it is found at 16, once still for 8 given frames).
  Figures as that benchmark's: PSNR within 48 px of the caption, and the share of caption pixels off. With
  `--crf N` the captioned frames go through libx264 at CRF N first, as a captioned video file would (scored against
  the compressed frames).
- clips: the four held-out clips (and the screen recording `videollava_demo`, still text beside changing content)
  at a 360-px short side, every `--factor`-th frame of the first `--factor` x `--pairs` given and the ones between
  made (or, with `--ahead N`, N frames predicted from 3 anchors past each of `--pairs` windows, the first HISTORY + 1
  frames long and each one longer than the last): mean PSNR of the made frames against the true ones, the tracker
  having seen the frames before as in a run. None has a burnt-in overlay; this is the cost of
  looking for one where there is none. `--all-clips` takes every MP4 clip in the shared videos folder instead (the
  training clips too: what is measured is the search, which learns nothing).
"""

from __future__ import annotations

import argparse
import io
import time
from typing import Any

import av
import cv2
import numpy as np

from benchmarks.pan_and_caption import backgrounds, caption_off, moving_frames, surround_psnr, with_caption
from benchmarks.quality import (
    HELD_OUT,
    add_run_arguments,
    data_root,
    markdown_table,
    publish,
    show_table,
    stamp,
    stamp_line,
)
from tempo_cli.api import Interpolator, load_model
from tempo_cli.devices import set_threads
from tempo_cli.engine.overlays import STILL_FRAMES, OverlayTracker, fill_in
from tempo_cli.evaluation.metrics import psnr
from tempo_cli.evaluation.runner import to_image
from tempo_cli.training.data.clips import load_sequence

HISTORY = 16  # frames before the first anchor
SPEED = 12.0  # px per frame under the caption
SCREEN = "videollava_demo.mp4"


def x264_roundtrip(frames: list[np.ndarray], crf: int) -> list[np.ndarray]:
    """`frames` (RGB uint8) as a viewer sees them after libx264 at `crf` (yuv420p, preset medium, in memory)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30, options={"crf": str(crf), "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    buffer.seek(0)
    with av.open(buffer) as source:
        return [frame.to_ndarray(format="rgb24") for frame in source.decode(video=0)]


def caption_figures(
    interpolator: Interpolator, images: list[np.ndarray], keep: bool, seed: int, crf: int | None
) -> dict[str, list[float]]:
    """Around-PSNR and caption-off share between, +1 and +2, and between the caption's first STILL_FRAMES given
    frames (a clip that starts with it, or a new subtitle line), averaged over the captioned backgrounds `images`,
    each sequence compressed by libx264 at `crf` first (None: not compressed); truth is the compressed frame."""
    rng = np.random.default_rng(seed)
    times = list(range(-HISTORY - 2, 3))
    first = list(range(2 * STILL_FRAMES + 1))  # given every other frame: found at the last
    around, off = [], []
    for image in images:
        angle = rng.uniform(0, 2 * np.pi)
        velocity = SPEED * np.array([np.cos(angle), np.sin(angle)])
        frames = [to_image(with_caption(f)) for f in moving_frames(image, velocity, times)]
        at = dict(zip(times, frames if crf is None else x264_roundtrip(frames, crf), strict=True))
        given = [at[t] for t in times if t <= 0 and t % 2 == 0]
        between = interpolator.interpolate_frames(given, factor=2, cut_threshold=None, keep_overlays=keep)[-3]
        past = [at[t] for t in times if t <= 0]
        ahead = interpolator.extrapolate_frames(past, ahead=2, anchors=3, cut_threshold=None, keep_overlays=keep)
        made = [(between, at[-1]), (ahead[-2], at[1]), (ahead[-1], at[2])]
        scores = [(surround_psnr(m / 255, t / 255), caption_off(m / 255, t / 255)) for m, t in made]
        frames = [to_image(with_caption(f)) for f in moving_frames(image, velocity, first)]
        frames = frames if crf is None else x264_roundtrip(frames, crf)
        starting = interpolator.interpolate_frames(frames[::2], factor=2, cut_threshold=None, keep_overlays=keep)
        scores.append(
            tuple(
                np.mean([score(starting[t] / 255, frames[t] / 255) for t in first[1::2]])
                for score in (surround_psnr, caption_off)
            )
        )
        around.append([a for a, _ in scores])
        off.append([o for _, o in scores])
    return {"around": np.mean(around, axis=0).tolist(), "caption off": np.mean(off, axis=0).tolist()}


def search_seconds(image: np.ndarray) -> tuple[float, float]:
    """Median seconds of `OverlayTracker.add` per frame on a captioned 1080p pan made from `image` (scaled up), and
    of `fill_in` of its caption's pixels once."""
    frames, caption = _captioned_1080p(to_image(cv2.resize(image, (1920, 1080), interpolation=cv2.INTER_CUBIC)))
    tracker = OverlayTracker()
    seconds = []
    for frame in frames:
        start = time.perf_counter()
        tracker.add(frame)
        seconds.append(time.perf_counter() - start)
    start = time.perf_counter()
    fill_in(frames[-1], caption)
    return float(np.median(seconds[1:])), time.perf_counter() - start


def _captioned_1080p(image: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """HISTORY frames of `image` (uint8) moving SPEED px a frame to the right under a large still caption, and where
    the caption lies (bool)."""

    def draw(canvas: np.ndarray, colour: tuple[int, ...], thickness: int) -> np.ndarray:
        return cv2.putText(canvas, "TEMPO 00:12", (200, 1000), cv2.FONT_HERSHEY_SIMPLEX, 3.0, colour, thickness)

    caption = draw(draw(np.zeros(image.shape, np.uint8), (5, 5, 5), 14), (245, 245, 245), 5)
    drawn = draw(np.zeros(image.shape[:2], np.uint8), (1,), 14) > 0
    return [
        np.where(drawn[..., None], caption, np.roll(image, round(SPEED * t), axis=1)) for t in range(HISTORY)
    ], drawn


def clip_psnr(interpolator: Interpolator, name: str, pairs: int, keep: bool, factor: int, ahead: int) -> float:
    """Mean PSNR of the frames made from `name` (at a 360-px short side): with `ahead` 0, the `factor` - 1 between
    each of `pairs` pairs of frames `factor` apart from its start; else the `ahead` frames predicted from 3 anchors
    after each of `pairs` windows, the first HISTORY + 1 frames long and each one frame longer than the last."""
    if ahead:
        frames = load_sequence(data_root() / "videos" / name, 360, HISTORY + pairs + ahead)
        scores = []
        for end in range(HISTORY + 1, len(frames) - ahead + 1):
            made = interpolator.extrapolate_frames(
                frames[:end], ahead=ahead, anchors=3, cut_threshold=None, keep_overlays=keep
            )[end:]
            scores += [psnr(m, truth) for m, truth in zip(made, frames[end : end + ahead], strict=True)]
        return float(np.mean(scores))
    frames = load_sequence(data_root() / "videos" / name, 360, factor * pairs + 1)
    frames = frames[: (len(frames) - 1) // factor * factor + 1]
    made = interpolator.interpolate_frames(frames[::factor], factor=factor, cut_threshold=None, keep_overlays=keep)
    return float(np.mean([psnr(made[i], frames[i]) for i in range(len(frames)) if i % factor]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="TEMPO weights (default: the shipped ones)")
    parser.add_argument("--pairs", type=int, default=40, help="frames made per clip")
    parser.add_argument("--seed", type=int, default=0, help="seed of the directions of motion")
    parser.add_argument("--all-clips", action="store_true", help="every MP4 clip in the shared videos folder")
    parser.add_argument("--crf", type=int, default=None, help="compress the captioned frames with libx264 first")
    parser.add_argument("--factor", type=int, default=2, help="clips: frames made between every FACTOR-th frame")
    parser.add_argument("--ahead", type=int, default=0, help="clips: predict AHEAD frames past windows instead")
    add_run_arguments(parser)
    args = parser.parse_args()
    if args.factor < 2 or args.ahead < 0 or args.pairs < 1:
        parser.error("--factor must be 2 or more, --ahead 0 or more and --pairs 1 or more")
    set_threads(args.threads)
    interpolator = Interpolator(load_model("tempo", args.weights))
    data: dict[str, Any] = {
        **stamp(),
        **{key: getattr(args, key) for key in ("threads", "seed", "pairs", "crf", "factor", "ahead")},
    }
    images = backgrounds(data_root() / "videos")
    data["caption"] = {
        str(keep): caption_figures(interpolator, images, keep, args.seed, args.crf) for keep in (False, True)
    }
    search, fill = search_seconds(images[0])
    data["seconds_1080p"] = {"search": search, "fill_in": fill}
    clips = sorted(p.name for p in (data_root() / "videos").glob("*.mp4")) if args.all_clips else [*HELD_OUT, SCREEN]
    data["clips"] = {
        name: {str(k): clip_psnr(interpolator, name, args.pairs, k, args.factor, args.ahead) for k in (False, True)}
        for name in clips
    }
    when = ("between", "+1", "+2", "first 8")
    caption_header = ["TEMPO", *(f"around {w} (dB)" for w in when), *(f"caption off {w}" for w in when)]
    caption_rows = [
        [
            "keep_overlays" if keep else "off",
            *(f"{v:.2f}" for v in data["caption"][str(keep)]["around"]),
            *(f"{v:.3f}" for v in data["caption"][str(keep)]["caption off"]),
        ]
        for keep in (False, True)
    ]
    coded = "" if args.crf is None else f", libx264 at CRF {args.crf}"
    show_table(
        f"A still caption over 12 held-out backgrounds moving 12 px a frame{coded}", caption_header, caption_rows
    )
    print(markdown_table(caption_header, caption_rows))
    clip_rows = [
        [
            name.removesuffix(".mp4"),
            f"{scores['False']:.2f}",
            f"{scores['True']:.2f}",
            f"{scores['True'] - scores['False']:+.2f}",
        ]
        for name, scores in data["clips"].items()
    ]
    made = (
        f"the {args.ahead} frames predicted from 3 anchors past each of {args.pairs} windows, the first"
        f" {HISTORY + 1} frames long"
        if args.ahead
        else f"the frames made between {args.pairs} pairs of frames {args.factor} apart"
    )
    note = (
        f"Measured on {stamp_line(data)}. around: PSNR within 48 px of the caption (higher is better); caption off:"
        " share of its pixels off by more than 32 levels (lower is better); clips: PSNR of"
        f" {made}, against the true frames. The search takes"
        f" {search:.3f} s per 1080p frame of a captioned pan and filling in its caption {fill:.3f} s ({args.threads}"
        " threads)."
    )
    task = f"{args.ahead} ahead" if args.ahead else f"{args.factor}x"
    header = [f"clip ({task}, 360p)", "off (dB)", "keep_overlays (dB)", "change"]
    publish("Clips without burnt-in overlays: the cost of looking for one", header, clip_rows, note, data, args.json)


if __name__ == "__main__":
    main()
