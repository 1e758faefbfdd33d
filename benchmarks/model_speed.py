"""Speed of one 1280x720 frame from two anchors: TEMPO (shipped config) against RIFE 4.x, same run.

    python -m benchmarks.model_speed [--repeats 5] [--rounds 3] [--threads 2] [--json out.json]

Each method runs in its own process so peak memory (max RSS) is its own. The
methods take turns for several rounds (A B C, A B C, ...), so a slow spell of a
shared machine falls on all of them; a method's figure is the median over all
its timed runs. Reports median seconds, peak RSS, parameters and GFLOPs per 720p frame.
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


def _tempo(precision: str, streaming: bool, scale: float):
    from tempo_cli.model import create_model
    from tempo_cli.model.weights import model_from_weights
    from tempo_cli.synth.registry import shipped_weights

    path = shipped_weights()
    model = model_from_weights(path) if path else create_model("tempo-s").eval()
    amp = precision == "bf16"
    frames = torch.rand(1, 2, 3, H, W)
    times = torch.tensor([[0.0, 1.0]])
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


def measure(method: str, repeats: int, threads: int) -> dict[str, float | str]:
    """Run one method in this process."""
    torch.set_num_threads(threads)
    if method == "rife4":
        run, net = _rife()
    else:
        from tempo_cli.synth.neural import auto_scale

        _, precision, mode, *rest = method.split("-")
        run, net = _tempo(precision, mode == "streaming", float(rest[0][5:]) if rest else auto_scale(H, W))
    run()
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    with FlopCounterMode(display=False) as counter:
        run()
    return {
        "method": method,
        "times_s": times,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params_m": sum(p.numel() for p in net.parameters()) / 1e6,
        "gflops": counter.get_total_flops() / 1e9,
    }


def _combine(found: list[dict]) -> dict:
    """One row from a method's rounds: median over every timed run, the highest peak memory."""
    times = [t for r in found for t in r["times_s"]]
    return {
        **found[0],
        "times_s": times,
        "median_s": statistics.median(times),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="turns each method takes, interleaved")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--method", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        print(json.dumps(measure(args.method, args.repeats, args.threads)))
        return
    from benchmarks.machine import describe_machine
    from benchmarks.peers.rife import rife_available
    from tempo_cli.synth.neural import auto_scale

    methods = ["tempo-fp32-full", "tempo-fp32-streaming", "tempo-bf16-full", "tempo-fp32-full-scale1"]
    skipped = rife_available()
    if skipped is None:
        methods.append("rife4")
    runs: dict[str, list[dict]] = {method: [] for method in methods}
    for _ in range(args.rounds):
        for method in methods:
            cmd = [sys.executable, "-m", "benchmarks.model_speed", "--method", method]
            cmd += ["--repeats", str(args.repeats), "--threads", str(args.threads)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs[method].append(json.loads(out.strip().splitlines()[-1]))
    rows = [_combine(found) for found in runs.values()]
    print(f"One {W}x{H} frame from two anchors; {describe_machine()}, {args.threads} threads")
    print(f"median of {args.rounds} interleaved rounds x {args.repeats} runs per method, after 2 warm-up runs")
    print("full = both anchors encoded; streaming = one new anchor encoded (the other cached), as in a video")
    print(f"tempo works at its default scale for 720p ({auto_scale(H, W)}; scale1 = at full size); RIFE at scale 1")
    print(f"{'method':24} {'median s':>9} {'peak RSS MB':>12} {'params M':>9} {'GFLOPs':>8}")
    for r in rows:
        print(f"{r['method']:24} {r['median_s']:9.3f} {r['peak_rss_mb']:12.0f} {r['params_m']:9.2f} {r['gflops']:8.1f}")
    if skipped:
        print(f"rife4: skipped ({skipped})")
    else:
        rife = next(r for r in rows if r["method"] == "rife4")
        for r in rows[:-1]:
            print(f"{r['method']}: {rife['median_s'] / r['median_s']:.2f}x faster than RIFE 4.x")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"machine": describe_machine(), "threads": args.threads, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
