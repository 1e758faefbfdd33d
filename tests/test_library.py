"""The library used from Python: what it accepts, what it refuses and what it hands back."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tempo_cli.api import Interpolator, RunOptions, load_model
from tempo_cli.errors import TempoError
from tempo_cli.evaluation.metrics import psnr, ssim
from tempo_cli.model import create_model
from tempo_cli.model.weights import WeightsError, load_weights, save_weights
from tempo_cli.synth.registry import shipped_weights


def panning(count: int, step: int = 3, dtype: type = np.uint8) -> list[np.ndarray]:
    """`count` 64x96 frames of a blurred random texture moving `step` px right per frame."""
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.random((64, 96 + step * count, 3)).astype(np.float32), (0, 0), 1.5)
    scale = np.iinfo(dtype).max
    frames = [texture[:, step * (count - t) : step * (count - t) + 96] for t in range(count)]
    return [np.ascontiguousarray(np.rint(f * scale).astype(dtype)) for f in frames]


def synthesizer(name: str):
    if name == "tempo" and shipped_weights() is None:
        pytest.skip("no shipped weights in weights/")
    return load_model(name, device="cpu", precision="fp32")


FRAME_MISTAKES = {
    "float in [0,1]": lambda f: f.astype(np.float32) / 255,
    "grayscale": lambda f: f[..., 0],
    "RGBA": lambda f: np.dstack([f, f[..., :1]]),
    "int32": lambda f: f.astype(np.int32),
    "another size": lambda f: f[:32],
    "another dtype": lambda f: f.astype(np.uint16) * 257,
    "no pixels": lambda f: f[:0, :0],  # as frame 0 it had been a ZeroDivisionError
}


@pytest.mark.parametrize("mistake", FRAME_MISTAKES)
def test_frames_the_engine_cannot_use_are_refused_naming_the_frame(mistake: str) -> None:
    """A float frame made pure black-and-white frames with TEMPO, RGBA and grayscale failed deep in torch or
    OpenCV, and frames of two sizes or dtypes failed late or gave mixed outputs."""
    frames = panning(3)
    frames[1] = FRAME_MISTAKES[mistake](frames[1])
    with pytest.raises(TempoError, match=r"^frame 1 is ") as caught:
        Interpolator(load_model("blend")).interpolate_frames(frames, factor=2)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["blend", "flow", "tempo"])
@pytest.mark.parametrize(
    ("anchor_times", "target", "message"),
    [([0.0, 1.0], float("nan"), "finite"), ([0.0, 1.0], float("inf"), "finite"), ([0.0, 0.0], 0.5, "share a time")],
)
def test_synthesis_refuses_times_that_mean_nothing(name: str, anchor_times, target, message) -> None:
    """A NaN target made an all-black (TEMPO) or all-white frame, two anchors at one time a ZeroDivisionError."""
    synth = synthesizer(name)
    prepared = [synth.prepare(f) for f in panning(2)]
    with pytest.raises(TempoError, match=message):
        synth.synthesize(prepared, anchor_times, [target])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda i, f: i.interpolate_frames(f, factor=2.5), "factor"),
        (lambda i, f: i.interpolate_frames(f, factor=2, tile=32), "tile size"),
        (lambda i, f: i.extrapolate_frames(f, ahead=1.5), "whole numbers"),
        (lambda i, f: i.extrapolate_frames(f[:2], ahead=1), "needs at least 3 frames"),
        (lambda i, f: i.extrapolate_frames(f, ahead=10**6), "at most 10000 frame intervals"),  # as the CLI's cap
        (lambda i, f: RunOptions(tile="big"), "tile size"),
        (lambda i, f: RunOptions(tile_overlap=32), "a tile overlap needs a tile size"),  # was ignored
        (lambda i, f: i.interpolate_frames(f, factor=2, tile_overlap=32), "a tile overlap needs a tile size"),
        (lambda i, f: RunOptions(fps="fast"), "not a frame rate"),
        (lambda i, f: load_model("flow", weights="w.safetensors"), "no weights"),
    ],
)
def test_bad_settings_raise_one_clear_tempo_error(call, message: str) -> None:
    with pytest.raises(TempoError, match=message) as caught:
        call(Interpolator(load_model("blend")), panning(3))
    assert "\n" not in str(caught.value)


def test_targets_made_in_batches_equal_targets_made_one_at_a_time() -> None:
    """On the CPU one target per call is the default; a batch of several (a GPU's default) makes the same frames."""
    synthesizer("tempo")
    frames = panning(3)
    one = load_model("tempo", device="cpu", precision="fp32")
    assert one.batch == 1
    alone = Interpolator(one).interpolate_frames(frames, factor=4)
    together = Interpolator(load_model("tempo", device="cpu", precision="fp32", batch=3)).interpolate_frames(
        frames, factor=4
    )
    assert len(alone) == len(together) == 12  # the last frame held for its own interval, as in a video
    for a, b in zip(alone, together, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_same_frames_give_the_same_output_every_time(dtype: type) -> None:
    """Reproducible to the level, 16-bit too, at a reduced working scale (frames moved at full size): a model used
    again and a new one give what the first call gave."""
    synthesizer("tempo")
    frames = panning(4, dtype=dtype)
    first = Interpolator(load_model("tempo", device="cpu", scale=0.5))
    runs = [first.interpolate_frames(frames, factor=3) for _ in range(2)]
    runs.append(Interpolator(load_model("tempo", device="cpu", scale=0.5)).interpolate_frames(frames, factor=3))
    assert len(runs[0]) == 12 and not np.array_equal(runs[0][1], frames[0])  # a frame was made, not copied
    for run in runs[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(runs[0], run, strict=True))


def test_a_batch_of_no_frames_is_refused() -> None:
    """It became 1 without a word."""
    synthesizer("tempo")
    with pytest.raises(TempoError, match="batch"):
        load_model("tempo", batch=0)


def test_numpy_integers_are_whole_numbers() -> None:
    """The whole-number checks refused np.int64(2) as a factor."""
    frames = panning(2)
    out = Interpolator(load_model("blend")).interpolate_frames(frames, factor=np.int64(3), tile=np.int64(96))
    assert len(out) == 6 and np.array_equal(out[3], frames[1])


def test_rates_given_as_numbers_become_exact() -> None:
    assert RunOptions(factor=None, fps=29.97).fps == Fraction(30000, 1001)
    assert RunOptions(input_fps=24).input_fps == Fraction(24)


def test_output_frames_are_not_the_callers_arrays() -> None:
    """Source frames came back as the caller's own arrays (the last one three times at 3x): writing to an output
    changed the input and the other outputs."""
    frames = panning(2)
    before = [f.copy() for f in frames]
    out = Interpolator(load_model("blend")).interpolate_frames(frames, factor=3)
    assert np.array_equal(out[0], frames[0]) and np.array_equal(out[-1], frames[-1])
    for image in out:
        image[:] = 0
    assert all(np.array_equal(a, b) for a, b in zip(frames, before, strict=True))


@pytest.mark.parametrize("name", ["flow", "tempo"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_extrapolate_frames_adds_predictions_around_untouched_frames(name: str, dtype: type) -> None:
    frames = panning(6, dtype=dtype)
    source, before, after = frames[1:5], frames[0], frames[5]
    out = Interpolator(synthesizer(name)).extrapolate_frames(source, ahead=1, behind=1, anchors=3)
    assert len(out) == 6 and all(o.dtype == dtype and o.shape == source[0].shape for o in out)
    assert all(np.array_equal(a, b) for a, b in zip(out[1:5], source, strict=True))
    for predicted, truth, nearest in ((out[0], before, source[0]), (out[-1], after, source[-1])):
        assert psnr(predicted, truth) > psnr(nearest, truth) + 3  # the motion goes on, not a repeat


def test_scores_take_integer_frames_on_their_scale_and_refuse_nan() -> None:
    """uint8 frames scored -22 dB (read as if 0..1), and a NaN prediction scored 100 dB, the score of a copy."""
    first, second = panning(2)
    as_float = [f.astype(np.float64) / 255 for f in (first, second)]
    assert psnr(first, second) == pytest.approx(psnr(*as_float))
    assert ssim(first, second) == pytest.approx(ssim(*as_float))
    assert psnr(first, as_float[1]) == pytest.approx(psnr(*as_float))
    with pytest.raises(ValueError, match="NaN"):
        psnr(np.full_like(as_float[0], np.nan), as_float[1])


def test_a_checkpoint_under_another_name_is_named_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"model": {}, "step": 1}, path)
    with pytest.raises(WeightsError, match="is a training checkpoint"):
        load_model("tempo", weights=path)


def test_weights_of_another_config_are_refused_in_a_line_naming_what_differs(tmp_path: Path) -> None:
    """The message held both configs whole: 903 characters."""
    path = tmp_path / "w.safetensors"
    save_weights(create_model("tempo-s"), path)
    with pytest.raises(WeightsError, match="trained for config 'tempo-s', not 'tempo-m'") as caught:
        load_weights(create_model("tempo-m"), path)
    assert "widths" in str(caught.value) and len(str(caught.value)) < 400
