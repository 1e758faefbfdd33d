"""Optional LPIPS: off in one line without its package or weights; used in eval and training where present."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from tempo_cli.evaluation import evaluate
from tempo_cli.evaluation.perceptual import ALEXNET_CHECKPOINT, load_lpips
from tempo_cli.synth.registry import create_synthesizer
from tempo_cli.training.losses import LossWeights, synthesis_loss
from tests.test_evaluation import moving_frames, write_png


class _MeanAbsLPIPS(nn.Module):
    """Stands in for lpips.LPIPS: mean absolute difference, [B,1,1,1] like the real one."""

    def __init__(self, net: str = "alex", verbose: bool = True) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a - b).abs().mean(dim=(1, 2, 3), keepdim=True) * self.scale


@pytest.fixture
def fake_lpips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An lpips package and AlexNet weights in a private torch hub folder."""
    module = types.ModuleType("lpips")
    module.LPIPS = _MeanAbsLPIPS  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lpips", module)
    hub = tmp_path / "hub"
    (hub / "checkpoints").mkdir(parents=True)
    (hub / "checkpoints" / ALEXNET_CHECKPOINT).write_bytes(b"")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))


def test_lpips_is_off_in_one_line_without_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lpips", None)
    lines: list[str] = []
    assert load_lpips(lines.append) is None
    assert len(lines) == 1 and lines[0].startswith("LPIPS off: the lpips package is not installed")


def test_lpips_is_off_without_the_alexnet_weights(
    fake_lpips: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "empty"))
    lines: list[str] = []
    assert load_lpips(lines.append) is None
    assert len(lines) == 1 and "AlexNet weights are not at" in lines[0]


def test_lpips_scores_eval_sets_and_adds_a_loss_term(fake_lpips: None, tmp_path: Path) -> None:
    model = load_lpips(pytest.fail)
    assert model is not None and not any(p.requires_grad for p in model.parameters())
    frames = moving_frames(6, 48, 64, step=3)
    for i in range(2):
        for j, f in enumerate(frames[3 * i : 3 * i + 3], 1):
            write_png(tmp_path / "square" / str(i) / f"im{j}.png", f)
    scores = {
        name: evaluate(tmp_path / "square", create_synthesizer(name), perceptual=model)["sets"]["square"]
        for name in ("blend", "flow")
    }
    assert 0 <= scores["flow"]["lpips"] < scores["blend"]["lpips"]

    target = torch.rand(2, 3, 16, 16)
    aux = {"attn_entropy": torch.zeros(2, 1, 16, 16), "cut_logit": torch.zeros(2)}
    is_cut = torch.zeros(2, dtype=torch.bool)
    weights = LossWeights(lpips=0.5)
    exact = synthesis_loss(target.clone(), target, aux, is_cut, weights, model)
    off = synthesis_loss(target.flip(0), target, aux, is_cut, weights, model)
    assert float(exact["lpips"]) == pytest.approx(0.0, abs=1e-6)
    expected = 0.5 * float((target.flip(0) * 2 - (target * 2)).abs().mean())
    assert float(off["lpips"]) == pytest.approx(expected, rel=1e-5)
    assert "lpips" not in synthesis_loss(target, target, aux, is_cut, weights, None)
