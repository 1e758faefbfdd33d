"""End-to-end speed, file to file at 2x, 720p and 1080p: tempo's models, RIFE 4.x, minterpolate and the floor.

    python -m benchmarks.speed [--frames 30] [--sizes 720p,1080p] [--methods floor,blend,...] [--repeats 3]
                               [--threads 2] [--json PATH]

Test clips: the first `--frames` frames of a shared clip, re-encoded with libx264 crf 18 (no audio).
- blend, flow, tempo: `Interpolator(load_model(m)).interpolate_video(..., RunOptions(factor=2))`, i.e. what
  `tempo interpolate --factor 2` runs: PyAV decode, cut detection on, libx264 crf 18 preset medium.
- rife4: RIFE 4.x behind the same Interpolator (same decode, cut detection and encode).
- minterpolate: the ffmpeg command of benchmarks.peers.minterpolate (same encoder settings, ffmpeg's threading).
- floor: plain PyAV decode and re-encode (no RGB conversion) of the clip with the same encoder settings, each frame
  once; its output fps (frames encoded per second) is what every method's output fps is divided by.
- floor-dup (reference only): the same with every frame encoded twice. x264 codes an exact repeat almost for free
  (all blocks skipped), so this is not the cost of writing a real 2x output; it is listed for comparison.
Each method runs in its own process (peak RSS = its max RSS, from wait4); torch and OpenCV use `--threads`.
The methods take turns, `--repeats` rounds of all of them, and each keeps its fastest run: this machine's
speed drifts by a third from one minute to the next, so one run each can put a slow spell on one method.
Time is from opening the input to the finished output file; loading a model is not included.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

SIZES = {"720p": "sam2_01_dog.mp4", "1080p": "yolov4deepsort_test.mp4"}
METHODS = ("floor", "floor-dup", "blend", "flow", "tempo", "rife4", "minterpolate")
CRF, PRESET = 18, "medium"


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(src: Path, dst: Path, frames: int | None = None, seconds: float | None = None) -> None:
    """Re-encode the start of `src` (looped if it is shorter than `seconds`) with libx264 crf 18, no audio."""
    limit = ["-frames:v", str(frames)] if frames else ["-t", str(seconds)]
    loop = ["-stream_loop", "-1"] if seconds else []
    cmd = [
        ffmpeg_exe(), "-v", "error", "-y", *loop, "-i", str(src), "-an", *limit,
        "-c:v", "libx264", "-crf", str(CRF), "-preset", PRESET, "-pix_fmt", "yuv420p", str(dst),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)


def probe(path: Path) -> dict[str, Any]:
    """Width, height, frame rate and frame count (packets) of a video file's first video stream."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for packet in container.demux(stream) if packet.size)
        rate = stream.average_rate or stream.guessed_rate
        return {"width": stream.width, "height": stream.height, "fps": str(rate), "frames": frames}


def floor(src: Path, dst: Path, copies: int = 1) -> int:
    """Decode `src` and encode every frame `copies` times (at `copies` times the rate) with tempo's encoder
    settings; frames written."""
    import av
    from av.video.frame import PictureType

    written = 0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        rate = Fraction(vin.average_rate or vin.guessed_rate) * copies
        options = {"crf": str(CRF), "preset": PRESET}
        vout = out.add_stream("libx264", rate=rate, options=options, time_base=1 / rate)
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        for frame in inp.decode(vin):
            frame.pict_type = PictureType.NONE  # let x264 choose frame types, as for tempo's frames
            for _ in range(copies):
                frame.pts, frame.time_base = written, 1 / rate
                out.mux(vout.encode(frame))
                written += 1
        out.mux(vout.encode(None))
    return written


def interpolate(method: str, src: Path, dst: Path) -> dict[str, Any]:
    """2x with tempo's pipeline and the named synthesizer: frames written, seconds running and loading the model."""
    from tempo_cli.api import Interpolator, RunOptions, load_model
    from tempo_cli.video.encoding import EncodeOptions

    start = time.perf_counter()
    if method == "rife4":
        from benchmarks.peers.rife import RifeSynthesizer

        synth = RifeSynthesizer()
    else:
        synth = load_model(method)
    load = time.perf_counter() - start
    options = RunOptions(factor=2, cut_detect=True, encode=EncodeOptions("libx264", CRF, PRESET), overwrite=True)
    summary = Interpolator(synth).interpolate_video(src, dst, options)
    return {"frames_out": summary.frames_out, "seconds": time.perf_counter() - start - load, "load_seconds": load}


def child(method: str, src: Path, dst: Path, threads: int) -> None:
    """Run one method in this process and print {"frames_out", "seconds", "load_seconds"} as JSON."""
    if method in ("floor", "floor-dup"):
        start = time.perf_counter()
        frames = floor(src, dst, copies=1 if method == "floor" else 2)
        row = {"frames_out": frames, "seconds": time.perf_counter() - start, "load_seconds": 0.0}
    else:
        from tempo_cli.devices import set_threads

        set_threads(threads)
        row = interpolate(method, src, dst)
    print(json.dumps(row))


def run_measured(cmd: list[str]) -> tuple[str, float, float]:
    """Run `cmd`: (stdout, wall seconds, peak RSS in MB of it and the processes it waited for)."""
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({proc.returncode}): {err.read().strip()[-2000:]}")
    return out, seconds, usage.ru_maxrss / 1024


def measure(method: str, src: Path, dst: Path, threads: int) -> dict[str, Any]:
    """One timed run of `method` on `src` in its own process."""
    if method == "minterpolate":
        from benchmarks.peers.minterpolate import video_command

        rate = Fraction(probe(src)["fps"]) * 2
        _, seconds, rss = run_measured(video_command(src, dst, rate))
        row: dict[str, Any] = {"frames_out": probe(dst)["frames"], "seconds": seconds, "load_seconds": 0.0}
    else:
        cmd = [sys.executable, "-m", "benchmarks.speed", "--child", method, "--src", str(src), "--dst", str(dst)]
        out, _, rss = run_measured([*cmd, "--threads", str(threads)])
        row = json.loads(out.strip().splitlines()[-1])
    dst.unlink(missing_ok=True)
    return {"method": method, **row, "fps": row["frames_out"] / row["seconds"], "peak_rss_mb": rss}


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated runs, with the highest peak RSS seen and the number of runs."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best.update(peak_rss_mb=max(r["peak_rss_mb"] for r in runs), runs=len(runs))
    return best


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Each row's fps relative to the floor's on the same clip."""
    floor_fps = next((r["fps"] for r in rows if r["method"] == "floor"), None)
    for r in rows:
        r["ratio_to_floor"] = r["fps"] / floor_fps if floor_fps else None


def run_methods(clip: Path, methods: list[str], repeats: int, threads: int) -> list[dict[str, Any]]:
    """Best-of-`repeats` rows of `methods` on `clip`, with ratios to the floor.

    Repeats are interleaved so that changes in load hit every method alike; outputs go beside `clip` and are deleted.
    """
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    for _ in range(repeats):
        for m in methods:
            runs[m].append(measure(m, clip, clip.with_name(f"{clip.stem}_{m}.mp4"), threads))
            print(f"  {clip.stem} {m:13} {runs[m][-1]['fps']:7.2f} fps", file=sys.stderr)
    rows = [best_of(r) for r in runs.values()]
    add_ratios(rows)
    return rows


def table_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per clip size and method."""
    out = []
    for r in data["rows"]:
        ratio = f"{r['ratio_to_floor']:.3f}" if r["ratio_to_floor"] is not None else "-"
        out.append(
            [
                r["size"], r["method"], str(r["frames_out"]), f"{r['fps']:.2f}", ratio,
                f"{r['seconds'] / r['frames_out']:.3f}", f"{r['peak_rss_mb']:.0f}",
            ]
        )  # fmt: skip
    return out


HEADER = ["clip", "method", "frames out", "output fps", "x floor fps", "s / output frame", "peak RSS MB"]


def notes(data: dict[str, Any]) -> list[str]:
    """What was measured, on what."""
    from benchmarks.quality import stamp_line

    clips = "; ".join(
        f"{size}: first {c['frames']} frames of {c['source']} ({c['width']}x{c['height']}, {c['fps']} fps)"
        for size, c in data["clips"].items()
    )
    out = [
        f"Measured on {stamp_line(data)}; torch and OpenCV limited to {data['threads']} threads; "
        f"best of {data['repeats']} run(s).",
        f"Clips: {clips}, re-encoded with libx264 crf {CRF}; output 2x, libx264 crf {CRF} preset {PRESET}.",
        "x floor fps: output fps over the floor's (plain PyAV decode + re-encode of every frame once) on the same "
        "clip in the same run. Model loading is not timed; minterpolate's time includes ffmpeg's start-up.",
        "Encoders use their default threading: PyAV (tempo, RIFE, floor) gives x264 slice threads, "
        "the ffmpeg command (minterpolate) frame threads.",
        "minterpolate writes fewer frames (its output stops at the second-to-last input frame); "
        "its fps counts the frames it wrote.",
    ]
    return out + [f"{m}: skipped ({why})" for m, why in data["skipped"].items()]


def to_markdown(data: dict[str, Any]) -> str:
    """The result as Markdown: table, then notes."""
    from benchmarks.quality import markdown_table

    lines = "\n".join(f"- {line}" for line in notes(data))
    return f"**End-to-end 2x, file to file**\n\n{markdown_table(HEADER, table_rows(data))}\n\n{lines}"


def skipped_methods(methods: list[str]) -> dict[str, str]:
    """Methods that cannot run here, with the reason."""
    from benchmarks.peers.rife import rife_available

    reason = rife_available()
    return {"rife4": reason} if "rife4" in methods and reason else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="source frames per test clip")
    parser.add_argument("--sizes", default=",".join(SIZES), help="720p, 1080p or both")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dst", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.src, args.dst, args.threads)
        return
    from benchmarks.quality import data_root, show_table, stamp

    root = data_root()
    methods = args.methods.split(",")
    skipped = skipped_methods(methods)
    methods = [m for m in methods if m not in skipped]
    data: dict[str, Any] = {**stamp(), "threads": args.threads, "repeats": args.repeats, "frames": args.frames}
    data.update(clips={}, rows=[], skipped=skipped)
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            clip = Path(tmp) / f"{size}.mp4"
            make_clip(root / "videos" / SIZES[size], clip, frames=args.frames)
            data["clips"][size] = {"source": SIZES[size], **probe(clip)}
            data["rows"] += [{"size": size, **r} for r in run_methods(clip, methods, args.repeats, args.threads)]
    show_table("End-to-end 2x, file to file", HEADER, table_rows(data))
    print("\n".join(notes(data)))
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
