"""Speed of one 1280x720 frame from two anchors: TEMPO (shipped config) against RIFE 4.x, same run.

    python -m benchmarks.model_speed [--repeats 10] [--threads 2] [--json out.json] [--weights W ...]

Times: every method loaded in one process, taking turns run by run (A B C, B C A, ...),
so that a slow spell of a shared machine falls on all of them alike; the figure is the
median of a method's runs. Peak memory (max RSS), parameters and GFLOPs: each method
alone in its own process. Per 720p frame. Each `--weights` file is timed beside them as
TEMPO fp32 with both anchors encoded (a network to compare with the shipped one).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

H, W = 720, 1280


def _tempo(precision: str, streaming: bool, scale: float, weights: str | None = None):
    from tempo_cli.model import create_model
    from tempo_cli.model.weights import model_from_weights
    from tempo_cli.synth.registry import shipped_weights

    path = weights or shipped_weights()
    model = (model_from_weights(path) if path else create_model("tempo-s")).for_inference()
    amp = precision == "bf16"
    frames = torch.rand(1, 2, 3, H, W)
    times = torch.tensor([[0.0, 1.0]])
    with torch.inference_mode():
        cached = model.encode(frames[:, :1], scale)

    @torch.inference_mode()
    def run() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            if streaming:
                from tempo_cli.model import Encoded

                enc = Encoded.stack([cached, model.encode(frames[:, 1:], scale)])
            else:
                enc = model.encode(frames, scale)
            model.synthesize(model.bind(enc, times), torch.tensor([0.5]))

    return run, model


def _rife():
    from benchmarks.peers.rife import RifeSynthesizer

    rife = RifeSynthesizer()
    a, b = torch.rand(3, H, W), torch.rand(3, H, W)
    return (lambda: rife.interpolate(a, b, 0.5)), rife.net


WEIGHTS_PREFIX = "weights:"


def _label(method: str) -> str:
    """A method as the table names it: weights by their path."""
    return method.removeprefix(WEIGHTS_PREFIX)


def build(method: str):
    """(run, network) of a method name: rife4, tempo-PRECISION-MODE[-scaleX], or weights:PATH."""
    if method == "rife4":
        return _rife()
    from tempo_cli.synth.neural import auto_scale

    if method.startswith(WEIGHTS_PREFIX):
        return _tempo("fp32", False, auto_scale(H, W), method.removeprefix(WEIGHTS_PREFIX))
    _, precision, mode, *rest = method.split("-")
    return _tempo(precision, mode == "streaming", float(rest[0][5:]) if rest else auto_scale(H, W))


def footprint(method: str, threads: int) -> dict[str, float | str]:
    """Peak RSS after one run of `method` alone in this process, its parameters and GFLOPs per frame."""
    torch.set_num_threads(threads)
    run, net = build(method)
    run()
    with FlopCounterMode(display=False) as counter:
        run()
    return {
        "method": method,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params_m": sum(p.numel() for p in net.parameters()) / 1e6,
        "gflops": counter.get_total_flops() / 1e9,
    }


def timings(methods: list[str], repeats: int, threads: int) -> dict[str, list[float]]:
    """Seconds per run of each method, taking turns (A B C, B C A, ...) after two warm-up runs each."""
    torch.set_num_threads(threads)
    runs = {method: build(method)[0] for method in methods}
    for run in runs.values():
        run()
        run()
    times: dict[str, list[float]] = {method: [] for method in methods}
    for turn in range(repeats):
        for method in methods[turn % len(methods) :] + methods[: turn % len(methods)]:
            start = time.perf_counter()
            runs[method]()
            times[method].append(time.perf_counter() - start)
    return times


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.model_speed", *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed runs of each method, taking turns")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--weights", action="append", default=[], help="weights to time beside the shipped ones")
    parser.add_argument("--method", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--timings", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        print(json.dumps(footprint(args.method, args.threads)))
        return
    if args.timings:
        print(json.dumps(timings(args.timings.split("\n"), args.repeats, args.threads)))
        return
    from benchmarks.machine import describe_machine
    from benchmarks.peers.rife import rife_available
    from tempo_cli.synth.neural import auto_scale

    methods = ["tempo-fp32-full", "tempo-fp32-streaming", "tempo-bf16-full", "tempo-fp32-full-scale1"]
    skipped = rife_available()
    methods += [WEIGHTS_PREFIX + path for path in args.weights]
    if skipped is None:
        methods.append("rife4")
    times = _child(["--timings", "\n".join(methods), "--repeats", str(args.repeats), "--threads", str(args.threads)])
    rows = []
    for method in methods:
        row = _child(["--method", method, "--threads", str(args.threads)])
        rows.append({**row, "times_s": times[method], "median_s": statistics.median(times[method])})
    print(f"One {W}x{H} frame from two anchors; {describe_machine()}, {args.threads} threads")
    print(f"median of {args.repeats} runs per method, all in one process taking turns, after 2 warm-up runs each;")
    print("peak RSS, parameters and GFLOPs from each method alone in its own process")
    print("full = both anchors encoded; streaming = one new anchor encoded (the other cached), as in a video")
    print(f"tempo works at its default scale for 720p ({auto_scale(H, W)}; scale1 = at full size); RIFE at scale 1")
    print(f"{'method':24} {'median s':>9} {'peak RSS MB':>12} {'params M':>9} {'GFLOPs':>8}")
    for r in rows:
        name = _label(r["method"])
        print(f"{name:24} {r['median_s']:9.3f} {r['peak_rss_mb']:12.0f} {r['params_m']:9.2f} {r['gflops']:8.1f}")
    if skipped:
        print(f"rife4: skipped ({skipped})")
    else:
        rife = next(r for r in rows if r["method"] == "rife4")
        for r in rows[:-1]:
            paired = statistics.median(a / b for a, b in zip(rife["times_s"], r["times_s"], strict=True))
            r["rife_ratio_paired"] = paired
            print(
                f"{_label(r['method'])}: {rife['median_s'] / r['median_s']:.2f}x faster than RIFE 4.x "
                f"(median of the ratios turn by turn: {paired:.2f}x)"
            )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"machine": describe_machine(), "threads": args.threads, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
