"""Evaluation: metrics, layout detection, item iteration and scoring on tiny generated data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tempo_cli.errors import TempoError
from tempo_cli.evaluation import detect_layout, evaluate, evaluate_many, format_results, iter_items, psnr, ssim
from tempo_cli.evaluation.datasets import TASKS, count_video_frames, min_video_frames, video_windows
from tempo_cli.evaluation.metrics import PSNR_CAP, SELECTION_CAP
from tempo_cli.synth.registry import create_synthesizer
from tests.cli_helpers import run_cli
from tests.media import make_audio_only

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BENCHMARKS = DATA / "vfi_benchmarks"


def write_png(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def flat(value: int, h: int = 24, w: int = 32) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def textured(rng: np.random.Generator, h: int = 64, w: int = 80) -> np.ndarray:
    return cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (5, 5), 1.0)


def write_video(path: Path, frames: list[np.ndarray], fps: int = 24) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        out.mux(stream.encode())
    return path


def moving_frames(count: int, h: int = 48, w: int = 64, step: int = 1) -> list[np.ndarray]:
    """A textured square moving `step` pixels right per frame over a gradient background."""
    rng = np.random.default_rng(1)
    square = textured(rng, 16, 16)
    background = np.broadcast_to(np.linspace(40, 200, w, dtype=np.float32)[None, :, None], (h, w, 3))
    frames = []
    for i in range(count):
        f = background.astype(np.uint8).copy()
        x = 4 + step * i
        f[16:32, x : x + 16] = square
        frames.append(f)
    return frames


# metrics


def test_psnr_identical_is_capped() -> None:
    a = np.random.default_rng(0).random((20, 20, 3))
    assert psnr(a, a) == PSNR_CAP == 100.0


def test_psnr_known_noise() -> None:
    gt = np.full((32, 32, 3), 0.5)
    signs = np.where(np.indices((32, 32)).sum(0) % 2 == 0, 1.0, -1.0)[..., None]
    assert psnr(gt + 0.1 * signs, gt) == pytest.approx(20.0)  # MSE 0.01
    assert psnr(gt + 0.01, gt) == pytest.approx(40.0)


def test_ssim_identical_and_noise() -> None:
    rng = np.random.default_rng(0)
    gt = textured(rng).astype(np.float64) / 255
    assert ssim(gt, gt) == pytest.approx(1.0)
    scores = [ssim(np.clip(gt + rng.normal(0, s, gt.shape), 0, 1), gt) for s in (0.01, 0.05, 0.2)]
    assert 1.0 > scores[0] > scores[1] > scores[2]


def test_metrics_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros((8, 8, 3)), np.zeros((8, 9, 3)))
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)))


# layouts


def make_middlebury(root: Path) -> Path:
    for seq, v in (("Alpha", 40), ("Beta", 80)):
        write_png(root / "other-data" / seq / "frame10.png", flat(v))
        write_png(root / "other-data" / seq / "frame11.png", flat(v + 20))
        write_png(root / "other-gt-interp" / seq / "frame10i11.png", flat(v + 10))
    return root


def make_ucf(root: Path) -> Path:
    for i, v in (("9", 40), ("10", 80), ("21", 120)):
        write_png(root / i / "frame_00.png", flat(v))
        write_png(root / i / "frame_01_gt.png", flat(v + 10))
        write_png(root / i / "frame_02.png", flat(v + 20))
    return root


def make_davis(root: Path) -> Path:
    for seq, v in (("bear", 40), ("dog", 80)):
        write_png(root / "input" / seq / "frame10.png", flat(v))
        write_png(root / "input" / seq / "frame11.png", flat(v + 20))
        write_png(root / "gt" / seq / "frame10i11.png", flat(v + 10))
    return root


def make_vimeo(root: Path, count: int, samples: tuple[str, ...] = ("00001/0001", "00001/0002")) -> Path:
    for s in samples:
        for i in range(1, count + 1):
            write_png(root / "sequences" / s / f"im{i}.png", flat(20 * i))
    return root


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", moving_frames(24))


def test_detect_benchmark_layouts(tmp_path: Path) -> None:
    assert detect_layout(make_middlebury(tmp_path / "mb")) == "middlebury"
    assert detect_layout(make_ucf(tmp_path / "ucf")) == "ucf101"
    assert detect_layout(make_davis(tmp_path / "davis")) == "davis"
    tri = make_vimeo(tmp_path / "vimeo_triplet", 3)
    assert detect_layout(tri) == "vimeo_triplet"
    assert detect_layout(tri / "sequences") == "vimeo_triplet"
    assert detect_layout(tri / "sequences" / "00001" / "0001") == "vimeo_triplet"
    assert detect_layout(make_vimeo(tmp_path / "vimeo_septuplet", 7)) == "vimeo_septuplet"


def test_detect_video_layouts(video: Path) -> None:
    assert detect_layout(video) == "video"
    assert detect_layout(video.parent) == "video_folder"


def test_unknown_layout_is_one_clear_line(tmp_path: Path) -> None:
    write_png(tmp_path / "photo.png", flat(10))
    write_png(tmp_path / "pair" / "im1.png", flat(10))
    write_png(tmp_path / "pair" / "im2.png", flat(10))
    (tmp_path / "empty").mkdir()
    for path in (tmp_path, tmp_path / "photo.png", tmp_path / "missing", tmp_path / "empty"):
        with pytest.raises(TempoError, match="cannot tell the layout of") as info:  # a ValueError too
            detect_layout(path)
        assert "\n" not in str(info.value)


def test_an_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    with pytest.raises(TempoError, match="no video stream in"):
        count_video_frames(make_audio_only(tmp_path / "tone.mp4", codec="aac"))


@pytest.mark.parametrize("anchors", [2, 4])
@pytest.mark.parametrize("task", [t for t in TASKS if t != "all"])
def test_min_video_frames_is_the_shortest_clip_with_a_window(task: str, anchors: int) -> None:
    shortest = min_video_frames(task, anchors)
    assert video_windows(shortest - 1, task, 30, anchors) == []
    assert video_windows(shortest, task, 30, anchors)
    assert shortest == {2: 3, 4: 7 if task == "interpolate" else 5}[anchors]  # 2x from 4: frames 0, 2, 4, 6


# items


def test_triplet_items_per_task(tmp_path: Path) -> None:
    root = make_ucf(tmp_path / "ucf")
    inter = list(iter_items(root, "ucf101", "interpolate"))
    assert [i.name for i in inter] == ["9", "10", "21"]  # natural order
    first = inter[0]
    assert first.set_name == "ucf"
    assert (first.times, first.gt_times) == ([0.0, 1.0], [0.5])
    assert first.frames[0].dtype == np.float32 and first.frames[0].shape == (24, 32, 3)
    assert [round(float(f.max()) * 255) for f in (*first.frames, *first.gts)] == [40, 60, 50]
    extra = list(iter_items(root, "ucf101", "extrapolate", limit=2))
    assert len(extra) == 2 and extra[0].set_name == "ucf/extrapolate"
    assert (extra[0].times, extra[0].gt_times) == ([0.0, 1.0], [2.0])
    assert [round(float(f.max()) * 255) for f in (*extra[0].frames, *extra[0].gts)] == [40, 50, 60]
    assert len(list(iter_items(root, "ucf101", "all"))) == 6


@pytest.mark.parametrize(("make", "layout"), [(make_middlebury, "middlebury"), (make_davis, "davis")])
def test_named_sequence_items(tmp_path: Path, make: Callable[[Path], Path], layout: str) -> None:
    root = make(tmp_path / "bench")
    items = list(iter_items(root, layout))
    assert [i.name for i in items] == (["Alpha", "Beta"] if layout == "middlebury" else ["bear", "dog"])
    assert [round(float(f.max()) * 255) for f in (*items[0].frames, *items[0].gts)] == [40, 60, 50]


def test_septuplet_items(tmp_path: Path) -> None:
    root = make_vimeo(tmp_path / "sep", 7)
    inter = list(iter_items(root, "vimeo_septuplet", "interpolate"))
    assert [i.name for i in inter] == ["sequences/00001/0001", "sequences/00001/0002"]
    assert [round(float(f.max()) * 255) for f in (*inter[0].frames, *inter[0].gts)] == [60, 100, 80]  # im3, im5 -> im4
    (extra,) = iter_items(root, "vimeo_septuplet", "extrapolate", limit=1)
    assert (extra.times, extra.gt_times) == ([0.0, 1.0, 2.0], [3.0])
    assert [round(float(f.max()) * 255) for f in (*extra.frames, *extra.gts)] == [20, 40, 60, 80]  # im1..im3 -> im4


def test_a_folder_of_vimeo_triplets_and_septuplets_scores_each_at_its_own_layout(tmp_path: Path) -> None:
    root = tmp_path / "vimeo"
    make_vimeo(root / "triplets", 3, samples=("t",))
    make_vimeo(root / "septuplets", 7, samples=("s",))
    make_vimeo(root / "incomplete", 5, samples=("i",))
    items = list(iter_items(root, detect_layout(root), "all"))
    levels = {(i.name, i.kind): [round(float(f.max()) * 255) for f in (*i.frames, *i.gts)] for i in items}
    assert levels == {
        ("septuplets/sequences/s", ""): [60, 100, 80],  # im3, im5 -> im4
        ("septuplets/sequences/s", "extrapolate"): [20, 40, 60, 80],  # im1..im3 -> im4
        ("triplets/sequences/t", ""): [20, 60, 40],  # im1, im3 -> im2
        ("triplets/sequences/t", "extrapolate"): [20, 40, 60],  # im1, im2 -> im3
    }


def test_video_items_and_downscale(video: Path) -> None:
    assert count_video_frames(video) == 24
    items = list(iter_items(video, "video", "all", max_windows=3, max_side=24))
    by_kind = {k: [i for i in items if i.kind == k] for k in ("2x", "4x", "ahead1", "ahead2", "ahead4")}
    assert {k: len(v) for k, v in by_kind.items()} == dict.fromkeys(by_kind, 3)
    assert by_kind["4x"][0].gt_times == [0.25, 0.5, 0.75] and len(by_kind["4x"][0].gts) == 3
    assert by_kind["ahead4"][-1].gt_times == [5.0]
    assert items[0].frames[0].shape == (24, 32, 3)
    assert all(i.set_name.startswith("clip/") for i in items)


@pytest.mark.parametrize("anchors", [2, 3, 4])
def test_video_windows_with_more_anchors_keep_the_targets_where_the_two_anchor_windows_put_them(anchors: int) -> None:
    """Extrapolation: the last anchor at time 1 right before the gap, earlier ones one frame apart before it.
    Interpolation (even counts): the pair around the target at times 0 and 1, the rest a step apart on each side."""
    for w in video_windows(40, "extrapolate", 5, anchors):
        h = int(w.kind.removeprefix("ahead"))
        assert w.anchors == tuple(range(w.anchors[-1] - anchors + 1, w.anchors[-1] + 1))
        assert w.times == tuple(float(t) for t in range(2 - anchors, 2))
        assert w.targets == (w.anchors[-1] + h,) and w.target_times == (1.0 + h,)
        assert w.anchors[0] >= 0 and w.targets[0] < 40
    if anchors % 2:
        with pytest.raises(ValueError, match="even number for interpolation"):
            video_windows(40, "interpolate", 5, anchors)
        return
    side = anchors // 2 - 1
    for w in video_windows(40, "interpolate", 5, anchors):
        step = {"2x": 2, "4x": 4}[w.kind]
        first, second = w.anchors[side], w.anchors[side + 1]
        assert second - first == step and w.times[side : side + 2] == (0.0, 1.0)
        assert w.anchors == tuple(first + step * (j - side) for j in range(anchors))
        assert w.targets == tuple(range(first + 1, second)) and w.anchors[0] >= 0 and w.anchors[-1] < 40


def test_eval_with_three_anchors_scores_every_extrapolation_set(video: Path) -> None:
    result = evaluate(video, create_synthesizer("blend"), task="extrapolate", max_windows=2, anchors=3)
    assert {name: s["n"] for name, s in result["sets"].items()} == {f"clip/ahead{h}": 2 for h in (1, 2, 4)}


# scoring


def test_blend_scores_exact_average_perfectly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(3):
        a = textured(rng) // 2 * 2  # even values: the average of a and b is exact in 8 bits
        b = textured(rng) // 2 * 2
        folder = tmp_path / "avg" / f"{i:05d}"
        for name, img in (("im1", a), ("im2", (a.astype(np.uint16) + b) // 2), ("im3", b)):
            write_png(folder / f"{name}.png", img.astype(np.uint8))
    calls: list[int] = []
    result = evaluate(tmp_path / "avg", create_synthesizer("blend"), progress=calls.append)
    assert result["layout"] == "vimeo_triplet" and result["task"] == "interpolate"
    stats = result["sets"]["avg"]
    assert stats["n"] == 3 and stats["psnr"] > 99 and stats["ssim"] == pytest.approx(1.0)
    assert stats["psnr_capped"] == SELECTION_CAP == 50.0  # exact frames count 50 dB in the selection mean
    assert calls == [1, 1, 1]
    assert "avg" in format_results(result)


def test_flow_beats_blend_on_moving_square(tmp_path: Path) -> None:
    frames = moving_frames(9, 64, 96, step=3)
    for i in range(3):
        for j, f in enumerate(frames[3 * i : 3 * i + 3], 1):
            write_png(tmp_path / "square" / str(i) / f"im{j}.png", f)
    scores = {
        name: evaluate(tmp_path / "square", create_synthesizer(name))["sets"]["square"] for name in ("blend", "flow")
    }
    assert scores["flow"]["psnr"] > scores["blend"]["psnr"] + 3
    assert scores["flow"]["ssim"] > scores["blend"]["ssim"]


def test_video_sets_and_counts(video: Path) -> None:
    result = evaluate(video, create_synthesizer("blend"), task="all")
    counts = {name: s["n"] for name, s in result["sets"].items()}
    # 24 frames: 11 2x windows, 5 4x windows of 3 frames, 22/21/19 windows ahead 1/2/4
    assert counts == {"clip/2x": 11, "clip/4x": 15, "clip/ahead1": 22, "clip/ahead2": 21, "clip/ahead4": 19}
    inter = evaluate(video, create_synthesizer("blend"), max_windows=4)
    assert {name: s["n"] for name, s in inter["sets"].items()} == {"clip/2x": 4, "clip/4x": 12}


def test_a_folder_of_frames_is_scored_as_the_clip_it_holds(tmp_path: Path) -> None:
    """Frames named frame_2 before frame_10, as an editor exports them; a video's windows and counts."""
    frames = moving_frames(24)
    folder = tmp_path / "judo"
    for i, frame in enumerate(frames):
        write_png(folder / f"frame_{i}.png", frame)
    assert detect_layout(folder) == "frames" and count_video_frames(folder) == 24
    result = evaluate(folder, create_synthesizer("flow"), task="all")
    counts = {name: s["n"] for name, s in result["sets"].items()}
    assert counts == {"judo/2x": 11, "judo/4x": 15, "judo/ahead1": 22, "judo/ahead2": 21, "judo/ahead4": 19}
    item = next(iter_items(folder, "frames", "interpolate", max_windows=1))
    assert item.gt_times == [0.5]
    assert np.array_equal(item.gts[0], frames[int(item.name.rpartition("@")[2]) + 1].astype(np.float32) / 255)
    assert run_cli(["eval", folder, "--model", "blend", "--max-windows", "2"]) == 0


def test_a_folder_of_frames_is_named_by_its_own_name_skips_hidden_files_and_is_no_vimeo_septuplet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tempo eval .` named its sets "/2x"; a folder `clip.v2` became `clip`; im1..im11 read as one septuplet; a
    macOS `._frame_3.png` beside the frames failed the whole folder."""
    folder = tmp_path / "clip.v2"
    for i, frame in enumerate(moving_frames(11)):
        write_png(folder / f"im{i + 1}.png", frame)
    (folder / "._im3.png").write_bytes(b"\x00\x05\x16\x07 resource fork")
    assert detect_layout(folder) == "frames" and count_video_frames(folder) == 11
    monkeypatch.chdir(folder)
    result = evaluate(Path("."), create_synthesizer("blend"), max_windows=2)
    assert list(result["sets"]) == ["clip.v2/2x", "clip.v2/4x"]


def test_video_folder_aggregates(tmp_path: Path) -> None:
    write_video(tmp_path / "a.mp4", moving_frames(12, step=2))
    write_video(tmp_path / "b.mp4", moving_frames(12))
    result = evaluate(tmp_path, create_synthesizer("blend"), task="extrapolate", max_windows=5)
    assert result["layout"] == "video_folder"
    assert list(result["sets"])[-3:] == ["videos/ahead1", "videos/ahead2", "videos/ahead4"]
    a, b, pooled = (result["sets"][f"{g}/ahead1"] for g in ("a", "b", "videos"))
    assert pooled["n"] == a["n"] + b["n"] == 10
    assert pooled["psnr"] == pytest.approx((a["psnr"] + b["psnr"]) / 2)


def test_videos_whose_names_would_share_a_row_each_keep_their_own(tmp_path: Path) -> None:
    """A clip called videos.mp4 was counted into the pooled "videos" rows and had none of its own; clips with the
    same stem (a.mp4 beside a.mkv, or one name in two folders) were merged into one row."""
    for path in ("one/videos.mp4", "one/a.mp4", "one/a.mkv", "two/a.mp4"):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        write_video(tmp_path / path, moving_frames(6))
    paths = [tmp_path / "one", tmp_path / "two"]
    result = evaluate_many(paths, create_synthesizer("blend"), max_windows=1)
    two = (tmp_path / "two" / "a.mp4").as_posix()
    rows = {name: s["n"] for name, s in result["sets"].items() if name.endswith("/2x")}
    assert rows == {"videos.mp4/2x": 1, "a.mkv/2x": 1, f"{(tmp_path / 'one' / 'a.mp4').as_posix()}/2x": 1,
                    f"{two}/2x": 1, "videos/2x": 4}  # fmt: skip


def test_the_pooled_rows_come_last_even_beside_a_clip_labelled_by_a_path_in_videos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for path in ("videos/a.mp4", "more/a.mp4"):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        write_video(tmp_path / path, moving_frames(6))
    result = evaluate_many([Path("videos"), Path("more")], create_synthesizer("blend"), max_windows=1)
    assert list(result["sets"])[-2:] == ["videos/2x", "videos/4x"]
    assert "videos/a.mp4/2x" in result["sets"]


def test_evaluate_many_pools_sets(tmp_path: Path) -> None:
    ucf = make_ucf(tmp_path / "ucf")
    davis = make_davis(tmp_path / "davis")
    blend = create_synthesizer("blend")
    merged = evaluate_many([ucf, davis, ucf], blend, limit=2)
    assert merged["layout"] == "ucf101, davis"
    assert {name: s["n"] for name, s in merged["sets"].items()} == {"davis": 2, "ucf": 4}
    alone = evaluate(ucf, blend, limit=2)["sets"]["ucf"]
    assert merged["sets"]["ucf"]["psnr"] == pytest.approx(alone["psnr"])
    assert merged["sets"]["ucf"]["psnr_capped"] == pytest.approx(alone["psnr_capped"])


# shared data


def test_shared_benchmarks_detected_and_scored() -> None:
    if not BENCHMARKS.is_dir():
        pytest.skip(f"shared VFI benchmarks not found at {BENCHMARKS}")
    expected = {
        "middlebury_other": "middlebury",
        "ucf101_interp": "ucf101",
        "davis_triplets": "davis",
        "vimeo90k_samples/toflow_triplet": "vimeo_triplet",
        "vimeo90k_samples/mmagic_septuplet_lr_x4": "vimeo_septuplet",
    }
    assert {name: detect_layout(BENCHMARKS / name) for name in expected} == expected
    result = evaluate(BENCHMARKS / "middlebury_other", create_synthesizer("blend"), task="all", limit=2)
    assert result["sets"]["middlebury_other"]["n"] == 1
    assert result["sets"]["middlebury_other/extrapolate"]["n"] == 1
    assert 15 < result["sets"]["middlebury_other"]["psnr"] < 60


# the command line


def eval_fails(args: list[object], capsys: pytest.CaptureFixture[str]) -> str:
    """The one stderr line of a `tempo eval` that exits 2 before printing any table."""
    assert run_cli(["eval", *args, "--model", "blend", "-q"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tempo: error: ") and "PSNR" not in out
    return lines[0]


def not_a_dataset(tmp_path: Path, kind: str) -> Path:
    """A path that holds no evaluation data: an empty folder, a folder of text, an audio file."""
    if kind == "empty":
        (tmp_path / "empty").mkdir()
        return tmp_path / "empty"
    if kind == "text":
        (tmp_path / "notes").mkdir()
        (tmp_path / "notes" / "readme.txt").write_text("not frames")
        return tmp_path / "notes"
    return make_audio_only(tmp_path / "tone.m4a", codec="aac")


@pytest.mark.parametrize("kind", ["empty", "text", "audio"])
def test_eval_of_what_is_not_a_dataset_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    assert "cannot tell the layout of" in eval_fails([not_a_dataset(tmp_path, kind)], capsys)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"frame_02.png": (30, 40)}, "its frames differ in size (32x24, 40x30)"),
        ({"frame_01_gt.png": (30, 40)}, "its frames differ in size"),
        ({name: (8, 8) for name in ("frame_00.png", "frame_01_gt.png", "frame_02.png")}, "too small to score"),
    ],
)
@pytest.mark.parametrize("task", ["interpolate", "extrapolate"])
def test_eval_of_a_triplet_it_cannot_score_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sizes: dict[str, tuple[int, int]], message: str, task: str
) -> None:
    """Frames of different sizes had ended in OpenCV's or numpy's traceback, frames under 11 px in SSIM's."""
    root = make_ucf(tmp_path / "ucf")
    for name, (h, w) in sizes.items():
        write_png(root / "9" / name, flat(60, h, w))
    line = eval_fails([root, "--task", task], capsys)
    assert "ucf/9: " in line and message in line


def test_eval_of_an_audio_only_video_file_says_it_has_no_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no video stream in" in eval_fails([make_audio_only(tmp_path / "tone.mp4", codec="aac")], capsys)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--limit", "0"), ("--limit", "-2"), ("--max-windows", "0"), ("--max-windows", "-1"), ("--max-side", "4")],
)
def test_eval_refuses_counts_that_score_nothing(
    video: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    assert option in eval_fails([video, option, value], capsys)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--anchors", "1"], "--anchors must be between 2 and 8"),
        (["--anchors", "9"], "--anchors must be between 2 and 8"),
        (["--anchors", "3"], "an even number for interpolation"),
    ],
)
def test_eval_refuses_anchors_a_window_cannot_have(
    video: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert message in eval_fails([video, *extra], capsys)


def test_eval_refuses_more_anchors_for_a_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ucf"
    for name in ("frame_00.png", "frame_01_gt.png", "frame_02.png"):
        write_png(root / "1" / name, flat(10))
    message = eval_fails([root, "--task", "extrapolate", "--anchors", "3"], capsys)
    assert "other numbers of anchors are for videos" in message


def test_eval_of_a_clip_too_short_for_any_window_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = write_video(tmp_path / "short.mp4", moving_frames(min_video_frames("interpolate") - 1))
    out = tmp_path / "scores.json"
    assert "nothing to score in" in eval_fails([short, "--json", out], capsys)
    assert not out.exists()
    four = write_video(tmp_path / "four.mp4", moving_frames(4))
    message = eval_fails([four, "--task", "extrapolate", "--anchors", "4"], capsys)
    assert "needs at least 5 frames for --task extrapolate with 4 anchors" in message


def test_eval_json_leaves_a_users_tmp_file_beside_it(video: Path, tmp_path: Path) -> None:
    """The JSON was written through NAME.tmp and that file deleted after, whoever it was."""
    out = tmp_path / "scores.json"
    notes = tmp_path / "scores.json.tmp"
    notes.write_text("mine")
    assert run_cli(["eval", video, "--model", "blend", "-q", "--max-windows", "1", "--json", out]) == 0
    assert notes.read_text() == "mine" and json.loads(out.read_text())["sets"]


def test_eval_names_a_video_it_cannot_open_before_scoring_any(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's unreadable file (macOS leaves ._NAME.mp4 files on shared drives) stopped the run after the clips
    before it had been scored."""
    from tempo_cli.evaluation import runner

    scored: list[object] = []
    monkeypatch.setattr(runner, "predict", lambda synthesizer, item: scored.append(item) or [])
    write_video(tmp_path / "a.mp4", moving_frames(6))
    (tmp_path / "b.mp4").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert f"not a readable video file: {tmp_path / 'b.mp4'}" in eval_fails([tmp_path], capsys)
    assert scored == []


def test_eval_json_never_replaces_the_input(video: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = video.read_bytes()
    for extra in ([], ["--overwrite"]):
        assert "would overwrite the input" in eval_fails([video, "--json", video, *extra], capsys)
    assert video.read_bytes() == before


@pytest.mark.parametrize(
    ("target", "message"), [(".", "existing folder, not a file"), ("missing/scores.json", "folder does not exist")]
)
def test_eval_json_target_is_checked_before_scoring(
    video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    assert message in eval_fails([video, "--json", tmp_path / target], capsys)
    assert list(tmp_path.iterdir()) == []


def test_eval_json_replaces_an_existing_file_only_with_overwrite(
    video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.json"
    out.write_text("old")
    assert "already exists" in eval_fails([video, "--json", out], capsys)
    assert out.read_text() == "old"
    assert run_cli(["eval", video, "--model", "blend", "-q", "--max-windows", "1", "--json", out, "--overwrite"]) == 0
    assert set(json.loads(out.read_text())["sets"]) == {"clip/2x", "clip/4x"}
    assert list(tmp_path.iterdir()) == [out]


def test_eval_interrupted_while_writing_json_leaves_the_old_file(
    video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scores.json"
    out.write_text("old")

    def interrupted(self: Path, data: bytes, *args: object, **kwargs: object) -> None:
        with self.open("wb") as file:
            file.write(data[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", interrupted)
    assert run_cli(["eval", video, "--model", "blend", "-q", "--max-windows", "1", "--json", out, "--overwrite"]) == 130
    assert "no output written" in capsys.readouterr().err
    assert out.read_text() == "old"
    assert list(tmp_path.iterdir()) == [out]


def test_eval_says_which_sets_a_short_video_has_no_window_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    four = write_video(tmp_path / "four.mp4", moving_frames(4))
    assert run_cli(["eval", str(four), "--model", "blend"]) == 0
    captured = capsys.readouterr()
    assert "four.mp4: no 4x window" in captured.out + captured.err
    assert "blend · video · interpolate" in captured.out  # the table names the model it scored
