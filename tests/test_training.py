"""`tempo train`: a few real steps, checkpoints, resume, init, DDP and bad input."""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from safetensors import safe_open

from tempo_cli.errors import TempoError
from tempo_cli.files import temporary_name
from tempo_cli.model import create_model
from tempo_cli.model.weights import model_from_weights, save_weights
from tempo_cli.training import loop
from tempo_cli.training.config import load_config
from tempo_cli.training.data.batches import BatchSpec
from tempo_cli.training.data.sources import parse_spec
from tempo_cli.training.data.synthetic import SyntheticSequences
from tempo_cli.training.ema import warmed_up_decay
from tempo_cli.training.loop import end_workers_quietly_on_stop_signals
from tempo_cli.training.losses import LOG_MSE_FLOOR, LossWeights, synthesis_loss
from tests.cli_helpers import run_cli
from tests.media import make_clip
from tests.training_helpers import make_images, make_vimeo_triplets, tiny_train_args, with_data


def test_train_writes_weights_checkpoint_and_logs_then_resumes(tmp_path, capsys):
    args = tiny_train_args(tmp_path, steps=2)
    assert run_cli(args) == 0
    run = tmp_path / "run"
    assert (run / "last.ckpt").is_file()
    assert (run / "best.safetensors").is_file()
    assert any((run / "tb").iterdir())
    model = model_from_weights(run / "best.safetensors")
    assert model.config.name == "tempo-s"
    state = torch.load(run / "last.ckpt", weights_only=True)
    assert state["step"] == 2
    more = [a if a != "2" or args[i - 1] != "--steps" else "4" for i, a in enumerate(args)]
    assert run_cli([*more, "--resume"]) == 0
    assert "resumed" in capsys.readouterr().err
    assert torch.load(run / "last.ckpt", weights_only=True)["step"] == 4


def test_init_from_weights_fine_tunes(tmp_path, capsys):
    weights = tmp_path / "start.safetensors"
    save_weights(create_model("tempo-s"), weights)
    assert run_cli([*tiny_train_args(tmp_path, steps=1), "--init", str(weights)]) == 0
    assert f"initialised from {weights}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "/no/such/folder:1"], "data path not found"),
        (["--data", "EMPTY:1"], "no videos or frame folders"),
        (["--data", "synthetic:-1"], "the weight of synthetic:-1 is not a positive number"),
        (["--data", "synthetic:abc"], "the weight of synthetic:abc is not a positive number"),
        (["--data", "synthetic:0"], "the weight of synthetic:0 is not a positive number"),
        (["--data", "EMPTY:nan"], "is not a positive number"),
        (["--data", ""], "a data entry names no source"),  # had searched the working folder
        (["--data", ":1"], "a data entry names no source"),
        (["--images", ""], "synthetic data needs --images DIR"),
        (["--set", "bogus=1"], "unknown training option"),
        (["--precision", "fp8"], "unknown training precision"),
        (["--set", "train_only=no_such_part."], "names no parameter"),
        (["--set", "train_only=fusion.,"], "empty prefix"),
        (["--set", "ema_decay=1.5"], "ema_decay must be between 0 and 1"),
        (["--threads", "100000"], "threads must be between 0 and 1024"),
        (
            [
                "--set",
                "loss.charbonnier=0",
                "--set",
                "loss.census=0",
                "--set",
                "loss.ssim=0",
                "--set",
                "loss.frequency=0",
            ],
            "the loss has no image term",
        ),
    ],
)
def test_bad_training_input_is_one_line(tmp_path, capsys, extra, message):
    (tmp_path / "empty").mkdir()
    args = [a.replace("EMPTY", str(tmp_path / "empty")) for a in tiny_train_args(tmp_path)]
    if extra[0] == "--data":
        i = args.index("--data")
        args[i + 1] = extra[1].replace("EMPTY", str(tmp_path / "empty"))
    else:
        args += extra
    assert run_cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (b"[1, 2]", [], "must be a JSON object of options"),
        (b'{"loss": 5}', [], "loss must be an object of term weights"),
        (b'{"loss": {"census": "x"}}', [], "training option loss.census must be a finite number"),
        (b"{}", ["--set", "lr=nan"], "training option lr must be a finite number"),
        (b'{"steps": "abc"}', [], "training option steps must be a whole number"),
        (b'{"steps": 2.5}', [], "training option steps must be a whole number"),
        (b"{}", ["--set", "crop=abc"], "training option crop must be a whole number"),
        (b"{}", ["--set", "resume=maybe"], "training option resume must be true or false"),
        (b"{}", ["--set", "loss=5"], "loss must be an object of term weights"),
        (b"\xff\xfe{", [], "cannot read training config"),
    ],
)
def test_bad_training_config_is_one_line_before_training(tmp_path, capsys, content, extra, message):
    config = tmp_path / "config.json"
    config.write_bytes(content)
    assert run_cli([*tiny_train_args(tmp_path), "--config", str(config), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "run").exists()


def test_config_values_are_read_as_the_type_of_each_option(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"steps": 20.0, "exclude": ["a", "b"], "wandb": "off", "loss": {"census": 0, "scales": "2"}}')
    overrides = {"resume": "yes", "val_data": "x.mp4,y.mp4", "lr": "1e-3", "loss.ssim": "0.5", "crop": "1.28e2"}
    cfg = load_config(config, overrides)
    assert (cfg.steps, cfg.exclude, cfg.wandb, cfg.resume, cfg.crop) == (20, ("a", "b"), False, True, 128)
    assert (cfg.val_data, cfg.lr) == (("x.mp4", "y.mp4"), 1e-3)
    assert (cfg.loss.census, cfg.loss.scales, cfg.loss.ssim) == (0.0, 2, 0.5)


def test_whole_frame_validation_scores_held_out_videos_and_picks_the_best_by_them(tmp_path, capsys):
    clip = make_clip(tmp_path / "held_out.mp4", frames=12, audio=False)
    args = [*tiny_train_args(tmp_path, steps=2), "--set", f"val_data={clip}", "--set", "val_whole_windows=2"]
    assert run_cli(args) == 0
    line = next(x for x in capsys.readouterr().err.splitlines() if " val " in x)
    scores = dict(zip(line.split()[3::2], map(float, line.split()[4::2]), strict=True))
    assert {"whole_2x", "whole_4x", "whole_2x_capped", "whole_4x_capped", "interp"} <= scores.keys()
    assert all(scores[f"{k}_capped"] <= min(scores[k], 50.0) + 0.005 for k in ("whole_2x", "whole_4x"))
    with safe_open(str(tmp_path / "run" / "best.safetensors"), framework="pt") as f:
        picked = float(f.metadata()["val_psnr"])
    assert picked == pytest.approx((scores["whole_2x"] + scores["whole_4x"]) / 2, abs=0.01)


def test_whole_frame_validation_can_score_and_pick_by_extrapolation(tmp_path, capsys):
    clip = make_clip(tmp_path / "held_out.mp4", frames=12, audio=False)
    args = [*tiny_train_args(tmp_path, steps=2), "--set", f"val_data={clip}", "--set", "val_whole_windows=2"]
    assert run_cli([*args, "--set", "val_whole_kinds=ahead1"]) == 0
    line = next(x for x in capsys.readouterr().err.splitlines() if " val " in x)
    scores = dict(zip(line.split()[3::2], map(float, line.split()[4::2]), strict=True))
    assert {"whole_ahead1", "whole_ahead1_capped"} <= scores.keys() and "whole_2x" not in scores
    with safe_open(str(tmp_path / "run" / "best.safetensors"), framework="pt") as f:
        assert f.metadata()["val_metric"] == "capped whole-frame ahead1"
        assert float(f.metadata()["val_psnr"]) == pytest.approx(scores["whole_ahead1_capped"], abs=0.01)


@pytest.mark.parametrize("kinds", ["8x", "ahead3", ""])
def test_unknown_whole_frame_sets_are_refused(tmp_path, capsys, kinds):
    clip = make_clip(tmp_path / "held_out.mp4", frames=12, audio=False)
    args = [*tiny_train_args(tmp_path, steps=1), "--set", f"val_data={clip}", "--set", "val_whole_windows=2"]
    assert run_cli([*args, "--set", f"val_whole_kinds={kinds}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "val_whole_kinds must name one or more of 2x, 4x, ahead1" in err[0]


@pytest.mark.parametrize(
    ("val_data", "windows", "message"),
    [
        ("", "2", "needs val_data"),
        ("IMAGE", "2", "cannot tell the layout"),
        ("TRIPLETS", "2", "is ucf101 data, not videos"),
        ("/no/such/clip.mp4", "2", "does not exist"),
        ("FRAMES", "-1", "val_whole_windows must be at least 0"),
        ("VIDEOS", "2", "val_data: not a readable video file: VIDEOS/broken.mp4"),
    ],
)
def test_whole_frame_validation_needs_videos(tmp_path, capsys, val_data, windows, message):
    """An unreadable video (VIDEOS/broken.mp4) failed at the first validation, after the steps before it."""
    args = tiny_train_args(tmp_path, steps=1)
    frames = make_images(tmp_path / "frames", count=8)
    triplet = tmp_path / "triplets" / "1"
    for name in ("frame_00.png", "frame_01_gt.png", "frame_02.png"):
        make_images(triplet, count=1).joinpath("img0.png").rename(triplet / name)
    videos = tmp_path / "videos"
    if val_data == "VIDEOS":
        videos.mkdir()
        make_clip(videos / "held_out.mp4", frames=12, audio=False)
        (videos / "broken.mp4").write_bytes(b"not a video")
    message = message.replace("VIDEOS", str(videos))
    if val_data:
        path = val_data.replace("FRAMES", str(frames)).replace("TRIPLETS", str(triplet.parent))
        path = path.replace("IMAGE", str(make_images(tmp_path / "one_image", count=1)))
        args += ["--set", f"val_data={path.replace('VIDEOS', str(videos))}"]
    assert run_cli([*args, "--set", f"val_whole_windows={windows}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_resuming_with_another_validation_metric_forgets_the_best_so_far(tmp_path, capsys):
    clip = make_clip(tmp_path / "held_out.mp4", frames=12, audio=False)
    args = [*tiny_train_args(tmp_path, steps=2), "--set", f"val_data={clip}"]
    assert run_cli(args) == 0
    more = [a if a != "2" or args[i - 1] != "--steps" else "4" for i, a in enumerate(args)]
    assert run_cli([*more, "--set", "val_whole_windows=2", "--resume"]) == 0
    assert "picked by capped whole-frame 2x/4x PSNR; the best so far is forgotten" in capsys.readouterr().err
    with safe_open(str(tmp_path / "run" / "best.safetensors"), framework="pt") as f:
        assert f.metadata()["val_metric"] == "capped whole-frame 2x/4x" and f.metadata()["step"] == "4"


def test_too_short_sequences_are_refused(tmp_path, capsys):
    folder = tmp_path / "short"
    make_images(folder, count=2)
    args = tiny_train_args(tmp_path)
    args[args.index("--data") + 1] = f"{folder}:1"
    assert run_cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "at least" in err[0]


def test_checkpoint_of_another_model_is_refused_naming_both_models(tmp_path, capsys):
    """The error printed the checkpoint's whole model config, as one long line of JSON."""
    args = tiny_train_args(tmp_path, steps=2)
    assert run_cli(args) == 0
    capsys.readouterr()
    assert run_cli([*args, "--steps", "4", "--model", "tempo-s-learned", "--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    checkpoint = tmp_path / "run" / "last.ckpt"
    assert err == [f"tempo: error: checkpoint {checkpoint} is for model tempo-s, not tempo-s-learned"]


def test_two_process_ddp_ends_with_identical_weights_and_only_rank_0_speaks(tmp_path):
    """Each rank said "initialised from" (and whatever else rank 0 says)."""
    images = make_images(tmp_path / "images")
    init = tmp_path / "init.safetensors"
    torch.manual_seed(0)
    save_weights(create_model("tempo-s"), init)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533"]
    cmd += [str(Path(__file__).with_name("ddp_worker.py")), str(tmp_path), str(images), str(init)]
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    start = model_from_weights(init).state_dict()
    assert any(not torch.equal(a[k], start[k]) for k in a if a[k].is_floating_point())
    assert (tmp_path / "rank0.log").read_text().startswith(f"initialised from {init}\n")
    assert (tmp_path / "rank1.log").read_text() == ""


def test_motion_heads_learn_at_their_own_rate():
    from tempo_cli.training.loop import parameter_groups

    model = create_model("tempo-s")
    motion, rest = parameter_groups(model, lr=1e-3, motion_lr_scale=0.1)
    names = {id(p): n for n, p in model.named_parameters()}
    assert motion["lr"] == pytest.approx(1e-4) and rest["lr"] == pytest.approx(1e-3)
    assert {names[id(p)] for p in motion["params"]} == {
        f"{head}{kind}" for head in ("motion_head.", "level8.head.", "level4.head.") for kind in ("weight", "bias")
    }
    assert len(motion["params"]) + len(rest["params"]) == len(list(model.parameters()))


def test_train_only_moves_those_parameters_and_no_other(tmp_path, capsys):
    weights = tmp_path / "start.safetensors"
    torch.manual_seed(1)
    save_weights(create_model("tempo-s"), weights)
    args = [*tiny_train_args(tmp_path, steps=2), "--init", str(weights), "--set", "train_only=fusion.residual"]
    assert run_cli(args) == 0
    assert "training 11,948 parameters under fusion.residual" in capsys.readouterr().err
    start = model_from_weights(weights).state_dict()
    trained = torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)["model"]
    moved = {k for k in start if not torch.equal(start[k], trained[k])}
    assert moved and all(k.startswith("fusion.residual") for k in moved)


def test_batches_that_teach_the_trained_parameters_nothing_leave_them_as_they_were(tmp_path, monkeypatch):
    """Every sample a cut trains only the cut detector; with it frozen by train_only, the run goes on unchanged."""
    monkeypatch.setattr(loop, "BatchSpec", functools.partial(BatchSpec, cut_prob=1.0))
    weights = tmp_path / "start.safetensors"
    save_weights(create_model("tempo-s"), weights)
    args = [*tiny_train_args(tmp_path, steps=2), "--init", str(weights), "--set", "train_only=fusion.residual"]
    assert run_cli(args) == 0
    start = model_from_weights(weights).state_dict()
    trained = torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)["model"]
    assert all(torch.equal(start[k], trained[k]) for k in start)


def test_a_short_fine_tune_saves_weights_that_moved_with_the_training(tmp_path):
    weights = tmp_path / "start.safetensors"
    torch.manual_seed(2)
    save_weights(create_model("tempo-s"), weights)
    args = [*tiny_train_args(tmp_path, steps=3), "--init", str(weights), "--set", "train_only=fusion.residual"]
    assert run_cli(args) == 0
    start = model_from_weights(weights).state_dict()
    trained = torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)["model"]
    saved = model_from_weights(tmp_path / "run" / "last.safetensors").state_dict()

    def distance(state: dict[str, torch.Tensor]) -> float:
        return sum(float((state[k].float() - start[k].float()).norm() ** 2) for k in start) ** 0.5

    # The EMA copies the first step's weights, then averages with a decay that starts low (2/11), so
    # three steps are not averaged away.
    assert distance(trained) > 0
    assert distance(saved) > 0.5 * distance(trained)


@pytest.mark.parametrize(("updates", "decay"), [(0, 0.1), (10, 0.55), (300, 301 / 310), (10**6, 0.999)])
def test_the_ema_decay_warms_up_to_the_configured_one(updates, decay):
    assert warmed_up_decay(0.999, updates) == pytest.approx(decay)


def test_resume_with_another_train_only_is_refused(tmp_path, capsys):
    args = tiny_train_args(tmp_path, steps=1)
    assert run_cli([*args, "--set", "train_only=fusion.residual"]) == 0
    capsys.readouterr()
    assert run_cli([*args, "--resume", "--set", "train_only=fusion"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "trained train_only=['fusion.residual'], not ['fusion']" in err.splitlines()[-1]


def test_a_run_started_before_a_setting_was_added_resumes_with_its_default(tmp_path, capsys):
    """Runs written before `keep_still` existed were refused as "another config of tempo-s (differing in
    keep_still)"; a setting the checkpoint does not name takes its default."""
    args = tiny_train_args(tmp_path, steps=1)
    assert run_cli(args) == 0
    checkpoint = tmp_path / "run" / "last.ckpt"
    state = torch.load(checkpoint, weights_only=True)
    older = json.loads(state["model_config"])
    del older["keep_still"]
    state["model_config"] = json.dumps(older, sort_keys=True)
    torch.save(state, checkpoint)
    capsys.readouterr()
    assert run_cli(["train", "--out", str(tmp_path / "run"), "--resume", "--steps", "2"]) == 0
    assert torch.load(checkpoint, weights_only=True)["step"] == 2


def test_resume_keeps_the_runs_own_options(tmp_path, capsys):
    """--resume alone goes on with the options the run was started with; what the command line gives changes them."""
    args = tiny_train_args(tmp_path, steps=1)
    assert run_cli([*args, "--set", "train_only=fusion.residual", "--set", "motion_lr_scale=0.5"]) == 0
    capsys.readouterr()
    out = ["--out", str(tmp_path / "run"), "--resume", "--steps", "2"]
    assert run_cli(["train", *out]) == 0
    err = capsys.readouterr().err
    assert "resumed" in err and "options changed since the checkpoint: steps 1 -> 2" in err
    assert "motion_lr_scale" not in err


def test_lpips_term_without_lpips_says_off_once_and_trains(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "lpips", None)
    assert run_cli([*tiny_train_args(tmp_path, steps=1), "--set", "loss.lpips=0.1"]) == 0
    err = capsys.readouterr().err
    assert err.count("LPIPS off: the lpips package is not installed") == 1
    assert (tmp_path / "run" / "last.safetensors").is_file()


def test_clip_short_side_sets_the_size_training_videos_are_held_at(tmp_path):
    from tempo_cli.training.data.sources import SourceOptions, build_sources
    from tests.media import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=7, size=(320, 240))
    for short_side, expected in ((160, (160, 213)), (480, (240, 320))):
        [(source, _)] = build_sources((f"{clip}:1",), 128, "", options=SourceOptions(short_side=short_side))
        assert source.sequences[0][0].shape[:2] == expected  # reduced, never enlarged


def test_clip_max_frames_sets_how_many_of_a_videos_first_frames_training_holds(tmp_path, capsys):
    from tempo_cli.training.data.sources import SourceOptions, build_sources
    from tests.media import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=12, size=(64, 48), audio=False)
    for max_frames, held in ((7, 7), (160, 12)):
        [(source, _)] = build_sources((f"{clip}:1",), 32, "", options=SourceOptions(max_frames=max_frames))
        assert len(source.sequences[0]) == held
        for anchors in (2, 3, 4):  # every window a batch may ask for fits
            source.draw(np.random.default_rng(0), anchors, extrapolate=False)
    assert run_cli([*tiny_train_args(tmp_path), "--set", "clip_max_frames=6"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "at least 7 frames held, not 6" in err[0]


def test_a_runs_source_options_are_its_own_settings():
    from tempo_cli.training.config import TrainConfig
    from tempo_cli.training.data.sources import SourceOptions

    config = TrainConfig(
        clip_short_side=300,
        clip_max_frames=90,
        extrapolate_max_ahead=3,
        synthetic_max_speed=20.0,
        synthetic_overlay_prob=0.3,
        synthetic_pan_prob=0.2,
    )
    assert config.source_options() == SourceOptions(
        short_side=300, max_frames=90, max_ahead=3, max_speed=20.0, overlay_prob=0.3, pan_prob=0.2
    )


@pytest.mark.parametrize(("max_ahead", "horizons"), [(None, {1.0, 2.0}), (4, {1.0, 2.0, 3.0, 4.0})])
def test_extrapolation_targets_of_clips_and_synthetic_sequences_lie_up_to_max_ahead_gaps_past_the_end(
    tmp_path, max_ahead, horizons
):
    from tempo_cli.training.data.sources import SourceOptions, build_sources

    clip = make_clip(tmp_path / "clip.mp4", frames=12, size=(64, 48), audio=False)
    images = str(make_images(tmp_path / "images"))
    options = SourceOptions() if max_ahead is None else SourceOptions(max_ahead=max_ahead)
    rng = np.random.default_rng(0)
    for source, _ in build_sources((f"{clip}:1", "synthetic:1"), 32, images, options=options):
        drawn = [source.draw(rng, 2, extrapolate=True) for _ in range(200)]
        past_an_end = {max(s.target_time - s.anchor_times[-1], s.anchor_times[0] - s.target_time) for s in drawn}
        assert past_an_end == horizons | {0.5}  # whole gaps; half gaps: a frame past anchors two frames apart


@pytest.mark.parametrize(("prob", "counts"), [(0.0, {2}), (1.0, {3, 4}), (2 / 7, {2, 3, 4})])
def test_long_context_prob_is_the_share_of_batches_with_three_or_four_anchors(tmp_path, prob, counts):
    from itertools import islice

    from tempo_cli.training.data.batches import BatchSpec, MixedBatches
    from tempo_cli.training.data.sources import build_sources

    sources = build_sources(("synthetic:1",), 32, str(make_images(tmp_path / "images")))
    batches = MixedBatches(sources, BatchSpec(batch_size=1, long_context_prob=prob), seed=0)
    anchors = [int(b["frames"].shape[1]) for b in islice(iter(batches), 60)]
    assert set(anchors) == counts
    assert abs(sum(a > 2 for a in anchors) / len(anchors) - prob) < 0.15


def test_synthetic_max_speed_sets_how_far_layers_move_between_anchors(tmp_path):
    from tempo_cli.training.data.sources import SourceOptions, build_sources

    images = str(make_images(tmp_path / "images"))

    def mean_change(max_speed: float) -> float:
        ((source, _),) = build_sources(("synthetic:1",), 64, images, options=SourceOptions(max_speed=max_speed))
        rng = np.random.default_rng(0)
        drawn = [source.draw(rng, 2, extrapolate=False) for _ in range(60)]
        return float(np.mean([np.abs(s.anchors[1].astype(float) - s.anchors[0]).mean() for s in drawn]))

    still, slow, fast = mean_change(1e-6), mean_change(4.0), mean_change(24.0)
    assert 2 * still < slow and 2 * slow < fast  # what changes at ~0 px is the layers' spin, zoom and gain


def _synthetic(tmp_path: Path, **options: float) -> list:
    """Extrapolation samples of 96-px synthetic sequences from natural-looking images, with `SourceOptions`."""
    from tempo_cli.training.data.sources import SourceOptions, build_sources

    images = str(make_images(tmp_path / "images", size=256))
    ((source, _),) = build_sources(("synthetic:1",), 96, images, options=SourceOptions(max_speed=8.0, **options))
    rng = np.random.default_rng(0)
    return [source.draw(rng, 2, extrapolate=True) for _ in range(12)]


def test_synthetic_overlays_stay_still_over_the_moving_scene(tmp_path):
    """A still caption over a moving background: what extrapolated frames broke up (session 24's review)."""

    def still_share(samples: list) -> float:
        frames = [np.stack([*s.anchors, s.target]).astype(int) for s in samples]
        return float(np.mean([(np.ptp(f, axis=0).max(axis=-1) == 0).mean() for f in frames]))

    plain, captioned = still_share(_synthetic(tmp_path)), still_share(_synthetic(tmp_path, overlay_prob=1.0))
    assert captioned > plain + 0.005, (plain, captioned)


def test_synthetic_pans_move_the_whole_frame_by_one_steady_shift(tmp_path):
    """A pan is one plane (no foreground layers) that only translates, at a steady speed: the frame two gaps past
    the last anchor is that anchor shifted twice as far as between the anchors."""
    from tempo_cli.training.data.synthetic import SyntheticSequences

    source = SyntheticSequences(sorted((make_images(tmp_path / "images", size=256)).iterdir()), 96, 8.0, pan_prob=1.0)
    rng = np.random.default_rng(0)
    for _ in range(6):
        (plane,) = source._scene(rng)
        assert plane.mask is None and (plane.spin, plane.zoom, plane.gain_rate) == (0.0, 0.0, 0.0)
        assert not plane.accel.any() and 1.6 <= np.hypot(*plane.velocity) <= 8.0
        last, target = (source._render([plane], t).astype(float) for t in (1.0, 3.0))
        shift = np.float32([[1, 0, 2 * plane.velocity[0]], [0, 1, 2 * plane.velocity[1]]])
        moved = cv2.warpAffine(last, shift, (96, 96))
        inner = (slice(20, -20), slice(20, -20))  # away from what enters the frame
        assert np.abs(moved[inner] - target[inner]).mean() < 2.0


def test_synthetic_shares_must_lie_between_0_and_1(tmp_path, capsys):
    assert run_cli([*tiny_train_args(tmp_path), "--set", "synthetic_pan_prob=1.5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the synthetic pan share must lie in [0, 1], not 1.5" in err[0]


def test_synthetic_max_speed_must_be_positive(tmp_path, capsys):
    assert run_cli([*tiny_train_args(tmp_path), "--set", "synthetic_max_speed=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "positive top speed, not 0" in err[0]


def test_extrapolation_targets_must_lie_ahead(tmp_path, capsys):
    assert run_cli([*tiny_train_args(tmp_path), "--set", "extrapolate_max_ahead=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "at least 1 gap ahead, not 0" in err[0]


def test_a_held_out_clip_in_exclude_still_validates(tmp_path, capsys):
    from tests.media import make_clip

    clip = make_clip(tmp_path / "held_out.mp4", frames=8, size=(64, 48), audio=False)
    args = [*tiny_train_args(tmp_path, steps=1), "--val-data", str(clip), "--set", f"exclude={clip.name}"]
    assert run_cli([*args, "--set", "val_samples=2"]) == 0
    assert "val interp" in capsys.readouterr().err


def test_validation_draws_crops_of_val_crop(tmp_path):
    from tempo_cli.training.config import TrainConfig
    from tempo_cli.training.data.sources import build_sources
    from tempo_cli.training.loop import validation_batches, validation_sources

    images = str(make_images(tmp_path / "images"))
    config = TrainConfig(data=("synthetic:1",), images=images, crop=32, val_crop=64)
    sources = build_sources(config.data, config.crop, images)
    for val_crop, expected in ((0, 32), (64, 64)):
        chosen = validation_sources(replace(config, val_crop=val_crop), sources)
        [batch, *_] = validation_batches(chosen, count=2, batch_size=2, seed=0)
        assert batch["frames"].shape[-2:] == (expected, expected)


def _squared_error_case() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[float]]:
    """Three samples, the middle one a cut; each sample's error differs from pixel to pixel."""
    target = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 0.5
    ramp = torch.linspace(0.0, 1.0, 16).view(1, 1, 1, 16)
    pred = target + torch.tensor([0.1, 0.2, 0.3]).view(3, 1, 1, 1) * ramp
    per_sample = [float(((pred[i] - target[i]) ** 2).mean()) for i in (0, 2)]
    return pred, target, torch.tensor([False, True, False]), per_sample


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("mse", lambda errors: 2.0 * sum(errors) / 2),
        ("log_mse", lambda errors: 2.0 * sum(math.log10(e + LOG_MSE_FLOOR) for e in errors) / 2),
    ],
)
def test_a_squared_error_loss_alone_scores_only_the_frames_that_are_not_cuts(term, expected) -> None:
    pred, target, is_cut, errors = _squared_error_case()
    weights = LossWeights(charbonnier=0.0, census=0.0, ssim=0.0, frequency=0.0, cut=0.0, **{term: 2.0})
    terms = synthesis_loss(pred, target, {"cut_logit": torch.zeros(3)}, is_cut, weights)
    assert set(terms) == {term, "total"}
    assert float(terms["total"]) == pytest.approx(expected(errors), rel=1e-4)


def test_the_log_mse_of_an_exact_prediction_is_finite_and_so_is_its_gradient() -> None:
    target = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    pred = target.clone().requires_grad_(True)
    weights = LossWeights(charbonnier=0.0, census=0.0, ssim=0.0, frequency=0.0, cut=0.0, log_mse=1.0)
    terms = synthesis_loss(pred, target, {"cut_logit": torch.zeros(2)}, torch.zeros(2, dtype=torch.bool), weights)
    total = terms["total"]
    total.backward()
    assert float(total.detach()) == pytest.approx(math.log10(LOG_MSE_FLOOR))
    assert pred.grad is not None and bool(torch.isfinite(pred.grad).all())


class _WorkerSignals(torch.utils.data.IterableDataset):
    """Yields how the worker it runs in handles SIGTERM and SIGHUP: ended quietly, or ignored."""

    def __iter__(self):
        yield [{loop._end_worker: "ends", signal.SIG_IGN: "ignored"}.get(signal.getsignal(s)) for s in _STOPS]


_STOPS = (signal.SIGTERM, signal.SIGHUP) if hasattr(signal, "SIGHUP") else ()


@pytest.mark.skipif(not _STOPS, reason="no SIGHUP on this platform")
def test_data_loader_workers_end_quietly_on_stop_signals_unless_ignored():
    """They ignored SIGTERM, which Python sends a worker to end it: after an error, the run hung at exit. One the
    process ignores (nohup's SIGHUP) stays ignored."""
    loader = torch.utils.data.DataLoader(
        _WorkerSignals(), batch_size=None, num_workers=1, worker_init_fn=end_workers_quietly_on_stop_signals
    )
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        assert next(iter(loader)) == ["ends", "ignored"]
    finally:
        signal.signal(signal.SIGHUP, before)
    assert signal.getsignal(signal.SIGTERM) != loop._end_worker


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--batch-size", "0"], "batch_size must be at least 1, not 0"),
        (["--batch-size", "-3"], "batch_size must be at least 1, not -3"),
        (["--steps", "0"], "steps must be at least 1, not 0"),
        (["--lr", "0"], "lr must be above 0, not 0"),
        (["--set", "lr=-1"], "lr must be above 0, not -1"),
        (["--set", "crop=0"], "crop must be at least 1, not 0"),
        (["--set", "log_every=0"], "log_every must be at least 1, not 0"),
        (["--set", "val_samples=0"], "val_samples must be at least 1, not 0"),
        (["--set", "accumulate=0"], "accumulate must be at least 1, not 0"),
        (["--set", "extrapolate_prob=1.5"], "extrapolate_prob must be between 0 and 1, not 1.5"),
        (["--set", "loss.census=-1"], "loss.census must be at least 0, not -1"),
        (["--set", "loss.scales=0"], "loss.scales must be at least 1, not 0"),
        (["--set", "seed=-1"], "seed must be between 0 and 4294967295, not -1"),
        (["--set", "seed=1e30"], "seed must be between 0 and 4294967295"),
        (["--set", "val_whole_side=5"], "val_whole_side must be at least 11, not 5"),  # had failed at validation
        (["--set", f"warmup={10**400}"], "warmup must be a whole number"),  # too long for a float
        (["--set", f"lr={10**400}"], "lr must be a finite number"),
    ],
)
def test_numbers_out_of_range_are_one_line(tmp_path, capsys, option, message):
    """They used to end in a traceback, some in a hang on the data loader's worker (batch size -3, log_every 0)."""
    assert run_cli([*tiny_train_args(tmp_path, steps=1), *option]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "run").exists()


def test_a_folder_that_holds_a_run_is_not_overwritten(tmp_path, capsys):
    args = tiny_train_args(tmp_path, steps=1)
    assert run_cli(args) == 0
    weights = (tmp_path / "run" / "last.safetensors").read_bytes()
    capsys.readouterr()
    assert run_cli(args) == 2
    assert "already holds a run: --resume continues it" in capsys.readouterr().err
    assert (tmp_path / "run" / "last.safetensors").read_bytes() == weights


def test_a_stop_saves_the_step_it_reached(tmp_path):
    """Stopped between checkpoints, a run keeps the steps since the last one, and weights to use beside them."""
    cfg = load_config(
        None,
        {
            "out": str(tmp_path / "run"),
            "steps": 10,
            "batch_size": 2,
            "crop": 48,
            "images": str(make_images(tmp_path / "images")),
            "data": ["synthetic:1"],
            "ckpt_every": 100,
            "val_every": 100,
            "val_samples": 2,
        },
    )
    lines: list[str] = []

    def stop_at_three(step: int, _total: int) -> None:
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        loop.train(cfg, echo=lines.append, progress=stop_at_three)
    state = torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)
    assert state["step"] == 3
    assert model_from_weights(tmp_path / "run" / "last.safetensors").config.name == "tempo-s"
    assert lines[-1].startswith(f"stopped at step 3; {tmp_path / 'run' / 'last.ckpt'} goes on from step 3 (--resume)")


@pytest.mark.parametrize(("warmup", "noted"), [(5, True), (2, False)])
def test_a_warmup_longer_than_the_run_is_pointed_out(tmp_path, capsys, warmup, noted):
    assert run_cli([*tiny_train_args(tmp_path, steps=2), "--set", f"warmup={warmup}"]) == 0
    assert ("outlasts the run" in capsys.readouterr().err) == noted


def test_a_folder_left_by_a_run_that_saved_nothing_can_start_again(tmp_path):
    """A crash before the first checkpoint leaves TensorBoard's folder only: that is no run to protect."""
    (tmp_path / "run" / "tb").mkdir(parents=True)
    (tmp_path / "run" / "tb" / "events.out.tfevents.1").write_bytes(b"")
    assert run_cli(tiny_train_args(tmp_path, steps=1)) == 0
    assert (tmp_path / "run" / "last.ckpt").is_file()


def test_a_folder_holding_other_files_is_refused(tmp_path, capsys):
    """--help says the run folder must be new or empty: checkpoints were written beside the files it held."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    assert run_cli(tiny_train_args(tmp_path, steps=1)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    refused = f"{tmp_path / 'run'} is not empty (it holds notes.txt): give --out a new or empty folder"
    assert err == [f"tempo: error: {refused}"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["notes.txt"]


def test_a_folder_left_by_a_killed_run_can_start_again(tmp_path):
    """A run killed while saving leaves NAME.tmp beside its log folder; the folder check refused it, and --resume
    had no checkpoint to go on from."""
    (tmp_path / "tb").mkdir()
    temporary_name(tmp_path / "last.ckpt").write_bytes(b"half a checkpoint")
    loop.check_new_run_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(TempoError, match=r"holds notes\.txt"):
        loop.check_new_run_folder(tmp_path)


def test_an_existing_path_with_a_colon_and_a_number_is_a_path(tmp_path):
    folder = tmp_path / "clips:30"
    folder.mkdir()
    assert parse_spec(str(folder)) == (str(folder), 1.0)
    assert parse_spec(f"{folder}:0.5") == (str(folder), 0.5)


def test_an_existing_file_as_the_run_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "run").write_text("mine")
    assert run_cli(tiny_train_args(tmp_path, steps=1)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is an existing file, not a folder" in err[0]


def _fill_the_disk_at(monkeypatch, path: Path) -> None:
    """Make `path` a link to /dev/full (writes fail with ENOSPC, as on a full disk) once training has taken its first
    step: the run folder is new when the run starts, as it must be."""
    validate = loop.validate

    def full_disk_then_validate(*args, **kwargs):
        if not path.is_symlink():
            path.symlink_to("/dev/full")
        return validate(*args, **kwargs)

    monkeypatch.setattr(loop, "validate", full_disk_then_validate)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to stand for a full disk")
@pytest.mark.parametrize("target", ["last.ckpt", "last.safetensors", "best.safetensors"])
def test_a_full_disk_is_one_line_naming_the_file_and_leaves_no_temporary_file(tmp_path, capsys, monkeypatch, target):
    """torch.save reported it as a 58-line RuntimeError traceback ("unexpected pos"), the weights as "No space left on
    device" without the file; both left their .tmp file behind."""
    run = tmp_path / "run"
    _fill_the_disk_at(monkeypatch, temporary_name(run / target))
    assert run_cli(tiny_train_args(tmp_path, steps=1)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"tempo: error: cannot write {run / target}: No space left on device"
    assert not any("Traceback" in line for line in err)
    assert not list(run.glob("*.tmp"))
    if target == "best.safetensors":
        assert not (run / target).exists()
    else:  # before it stops, the run saves the step it reached again, whole: this disk had room again
        assert torch.load(run / "last.ckpt", weights_only=True)["step"] == 1
        assert model_from_weights(run / "last.safetensors").config.name == "tempo-s"


@pytest.mark.parametrize(
    ("stop_in", "outcome"),
    [
        ("build_sources", "nothing saved (no checkpoint to resume from)"),
        ("validate", "RUN/last.ckpt holds the last step saved (--resume goes on from it)"),
    ],
)
def test_an_interrupt_says_what_was_saved(tmp_path, capsys, monkeypatch, stop_in, outcome):
    """Stopped before its first step, a run used to point at "the line above" for what was saved: there was none."""

    def stop(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, stop_in, stop)
    assert run_cli(tiny_train_args(tmp_path, steps=1)) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("tempo: interrupted; " + outcome.replace("RUN", str(tmp_path / "run")))


def test_resume_needs_neither_the_init_weights_nor_a_complete_checkpoint_to_say_what_is_wrong(tmp_path, capsys):
    init = tmp_path / "init.safetensors"
    save_weights(create_model("tempo-s"), init)
    args = tiny_train_args(tmp_path, steps=1)
    assert run_cli([*args, "--init", str(init)]) == 0
    init.unlink()
    resume = ["train", "--out", str(tmp_path / "run"), "--resume", "--steps", "2"]
    assert run_cli(resume) == 0  # the checkpoint holds every weight; the moved --init file is not needed
    checkpoint = tmp_path / "run" / "last.ckpt"
    whole = checkpoint.read_bytes()
    for content, message in (
        (None, "holds no training options to resume with"),
        (b"garbage\n", "damaged, or not a tempo checkpoint"),  # had been the unpickler's traceback
        (whole[: len(whole) // 2], "damaged, or not a tempo checkpoint"),  # had said only "Invalid argument"
    ):
        if content is None:
            torch.save({"step": 2}, checkpoint)
        else:
            checkpoint.write_bytes(content)
        capsys.readouterr()
        assert run_cli(resume) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


def test_images_that_cannot_be_read_do_not_stop_a_run(tmp_path, capsys):
    """One junk file among the images had stopped a run at whatever step drew it ("cannot read image ...")."""
    args = tiny_train_args(tmp_path, steps=3)
    images = tmp_path / "images"
    (images / "zz.png").write_bytes(b"not an image at all")
    good = (images / "img0.png").read_bytes()
    (images / "zy.png").write_bytes(good[: len(good) // 3])  # a PNG's signature, its data cut short
    assert run_cli(args) == 0
    err = capsys.readouterr().err
    assert f"left out 1 file(s) under {images} that are not images OpenCV reads, e.g. {images / 'zz.png'}" in err
    sequences = SyntheticSequences([images / "zy.png", images / "img0.png"], crop=48)
    assert np.array_equal(sequences._image(0), cv2.cvtColor(cv2.imread(str(images / "img0.png")), cv2.COLOR_BGR2RGB))


def test_a_checkpoint_given_as_weights_is_named_as_such(tmp_path):
    from tempo_cli.model.weights import WeightsError

    with pytest.raises(WeightsError, match="is a training checkpoint, not weights"):
        model_from_weights(tmp_path / "last.ckpt")


def test_an_error_in_a_data_worker_is_its_own_line_and_leaves_no_process(tmp_path):
    """It printed "Caught TempoError in DataLoader worker process 0." and hung at exit on the worker, which ignored
    the SIGTERM Python ends it with; a killed run could leave the worker running."""
    root = make_vimeo_triplets(tmp_path / "vimeo", count=1)
    broken = root / "sequences" / "00001" / "0001" / "im2.png"
    broken.write_bytes(b"not an image")  # read in the worker only: validation draws on the held-out clip
    held_out = make_clip(tmp_path / "held_out.mp4", frames=8, size=(64, 48), audio=False)
    args = [*with_data(tiny_train_args(tmp_path, steps=2), str(root)), "--val-data", str(held_out)]
    args += ["--set", "workers=1"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    run = subprocess.Popen(
        [sys.executable, "-m", "tempo_cli", *args], stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        _, err = run.communicate(timeout=60)
    finally:
        left = _group_alive(run.pid)
        if left:
            os.killpg(run.pid, signal.SIGKILL)
    assert not left
    assert run.returncode == 2
    assert err.strip().splitlines()[-1] == f"tempo: error: cannot read image {broken}"


def _group_alive(group: int) -> bool:
    """Whether any process of process group `group` is left."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_vimeo_triplets_train_on_windows_of_two_anchors(tmp_path, capsys):
    """A batch of 3 or 4 anchors (2 in 7 by default) crashed: a triplet holds no such window."""
    root = make_vimeo_triplets(tmp_path / "vimeo")
    assert run_cli([*with_data(tiny_train_args(tmp_path, steps=1), str(root)), "--set", "long_context_prob=1"]) == 0
    assert f"{root} holds windows of 2 anchors at most, so batches have 2 anchors at most" in capsys.readouterr().err


def test_longer_batches_draw_on_the_sources_that_hold_them(tmp_path):
    from itertools import islice

    from tempo_cli.training.data.batches import MixedBatches
    from tempo_cli.training.data.sources import build_sources

    root = str(make_vimeo_triplets(tmp_path / "vimeo"))
    images = str(make_images(tmp_path / "images"))
    for specs, anchors in (((root,), {2}), ((root, "synthetic:1"), {3, 4})):
        batches = MixedBatches(build_sources(specs, 32, images), BatchSpec(batch_size=4, long_context_prob=1), seed=0)
        assert {int(b["frames"].shape[1]) for b in islice(iter(batches), 12)} == anchors


def _frames_with_one_of_another_size(folder: Path) -> Path:
    """Eight 96 px frames but the fifth, img4.png, 64 px."""
    make_images(folder, count=8, size=96)
    make_images(folder / "odd", count=1, size=64).joinpath("img0.png").rename(folder / "img4.png")
    (folder / "odd").rmdir()
    return folder


def test_a_frame_of_another_size_is_named_with_both_sizes(tmp_path, capsys):
    """It crashed in a data worker with OpenCV's traceback (!ssize.empty() in function 'resize')."""
    frames = _frames_with_one_of_another_size(tmp_path / "frames")
    assert run_cli(with_data(tiny_train_args(tmp_path, steps=1), str(frames))) == 2
    odd = f"{frames / 'img4.png'} is 64x64 px, unlike the sequence's first frame img0.png (96x96 px)"
    assert capsys.readouterr().err.strip().splitlines() == [
        f"tempo: error: {frames}: no usable sequence among 1 path: {odd}"
    ]


def test_each_unusable_clip_is_named_in_a_warning_and_the_rest_train(tmp_path, capsys):
    """An unreadable, a too short clip and a folder of odd frames were left out without a word."""
    clips = tmp_path / "clips"
    clips.mkdir()
    make_clip(clips / "good.mp4", frames=12, size=(64, 48), audio=False)
    make_clip(clips / "five.mp4", frames=5, size=(64, 48), audio=False)
    (clips / "broken.mp4").write_bytes(b"not a video")
    odd = _frames_with_one_of_another_size(clips / "odd")
    assert run_cli(with_data(tiny_train_args(tmp_path, steps=1), str(clips))) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3 and all(line.endswith("; skipped") for line in warnings)
    assert warnings[0].startswith(f"warning: not a readable video file: {clips / 'broken.mp4'} (")
    assert warnings[1].startswith(
        f"warning: {clips / 'five.mp4'} has 5 frames of 64x48 px at this scale (needs at least 7"
    )
    assert warnings[2].startswith(f"warning: {odd / 'img4.png'} is 64x64 px, unlike")


def test_a_folder_of_videos_ignores_images_beside_them_as_eval_does(tmp_path):
    """One thumbnail made the folder a frame folder of 1 frame; 8 images beside 3 videos, a clip of its own."""
    from tempo_cli.training.data.sources import build_sources

    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("bear.mp4", "ski.mp4"):
        make_clip(folder / name, frames=12, size=(64, 48), audio=False)
    make_images(folder, count=1).joinpath("img0.png").rename(folder / "thumbnail.png")
    assert run_cli(with_data(tiny_train_args(tmp_path, steps=1), str(folder))) == 0
    make_images(folder, count=8)
    [(source, _)] = build_sources((str(folder),), 32, "")
    assert source.names == ["bear.mp4", "ski.mp4"]


def test_resume_trains_with_the_changed_optimizer_options(tmp_path, capsys):
    """The checkpoint's optimizer state brought back the old learning rates and weight decay, while the options
    changed line and the saved record claimed the new ones."""
    from tempo_cli.training.loop import lr_factor

    args = tiny_train_args(tmp_path, steps=2)
    assert run_cli(args) == 0
    changed = ["--steps", "4", "--lr", "1e-3", "--set", "weight_decay=0.5", "--set", "motion_lr_scale=0.5"]
    capsys.readouterr()
    assert run_cli([*args, *changed, "--set", "min_lr=1e-4", "--resume"]) == 0
    step_3 = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("step 3 loss"))
    assert f" lr {1e-3 * lr_factor(3, 1, 4, 0.1):.2e} " in step_3
    state = torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)
    groups = [(g["initial_lr"], g["lr"], g["weight_decay"]) for g in state["optimizer"]["param_groups"]]
    assert groups == [pytest.approx((5e-4, 5e-5, 0.5)), pytest.approx((1e-3, 1e-4, 0.5))]
    assert state["scheduler"]["base_lrs"] == pytest.approx([5e-4, 1e-3])


def test_an_error_in_validation_keeps_the_steps_trained(tmp_path, capsys, monkeypatch):
    """Validation that failed lost every step since the last checkpoint (with none yet, the run held nothing)."""

    def fail(*_args, **_kwargs):
        raise TempoError("cannot decode held_out.mp4")

    monkeypatch.setattr(loop, "validate", fail)
    args = [*tiny_train_args(tmp_path, steps=4), "--set", "val_every=3", "--set", "ckpt_every=100"]
    assert run_cli(args) == 2
    run = tmp_path / "run"
    assert capsys.readouterr().err.strip().splitlines()[-2:] == [
        f"stopped at step 3; {run / 'last.ckpt'} goes on from step 3 (--resume), weights in {run / 'last.safetensors'}",
        "tempo: error: cannot decode held_out.mp4",
    ]
    assert torch.load(run / "last.ckpt", weights_only=True)["step"] == 3


@pytest.mark.parametrize(
    ("val_data", "scored"), [(False, "the training data (no val_data is held out)"), (True, "the held-out val_data")]
)
def test_the_start_says_where_logs_go_and_what_validation_scores(tmp_path, capsys, val_data, scored):
    """It said "held-out crops" with no val_data too, and no line named the log folder."""
    args = tiny_train_args(tmp_path, steps=1)
    if val_data:
        args += ["--val-data", str(make_clip(tmp_path / "held_out.mp4", frames=8, size=(64, 48), audio=False))]
    assert run_cli(args) == 0
    err = capsys.readouterr().err
    assert f"TensorBoard logs in {tmp_path / 'run' / 'tb'}\n" in err
    assert f"interp / extrap on crops of {scored};" in err


def test_no_training_data_is_said_as_such(tmp_path, capsys):
    """It said "synthetic data needs --images DIR": no --data stood for synthetic data."""
    assert run_cli(["train", "--out", str(tmp_path / "run"), "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tempo: error: no training data: give --data PATH (videos")


def test_resuming_a_run_at_its_last_step_says_so_before_reading_data(tmp_path, capsys, monkeypatch):
    """It read all the data, then said "done at step N" with exit code 0, leaving an empty TensorBoard file."""
    assert run_cli(tiny_train_args(tmp_path, steps=1)) == 0
    logs = sorted((tmp_path / "run" / "tb").iterdir())
    monkeypatch.setattr(loop, "build_sources", lambda *_a, **_k: pytest.fail("the data was read"))
    capsys.readouterr()
    assert run_cli(["train", "--out", str(tmp_path / "run"), "--resume"]) == 2
    checkpoint = tmp_path / "run" / "last.ckpt"
    expected = f"tempo: error: {checkpoint} is at step 1 already: give --steps above 1 to train on"
    assert capsys.readouterr().err.strip().splitlines() == [expected]
    assert sorted((tmp_path / "run" / "tb").iterdir()) == logs


def test_only_rank_0_says_what_a_stop_saved(tmp_path, monkeypatch):
    """Rank 1 said "nothing saved" beside rank 0's line on the checkpoint it had just written."""
    from tempo_cli.cli.train import _stop_outcome

    (tmp_path / "last.ckpt").write_bytes(b"")
    monkeypatch.setenv("RANK", "1")
    assert _stop_outcome(tmp_path / "elsewhere") == "rank 0 says what was saved"
    monkeypatch.setenv("RANK", "0")
    assert _stop_outcome(tmp_path).startswith(f"{tmp_path / 'last.ckpt'} holds the last step saved")
