"""Distillation: DIS flow from the true frame as a teacher for the network's hypotheses."""

from __future__ import annotations

from itertools import islice

import pytest
import torch
import torch.nn.functional as F

from tempo_cli.training.data.batches import BatchSpec, MixedBatches
from tempo_cli.training.data.sources import build_sources
from tempo_cli.training.data.teacher import teacher_flows
from tempo_cli.training.losses import LossWeights, distillation, synthesis_loss
from tests.cli_helpers import run_cli
from tests.training_helpers import make_images, tiny_train_args

SHIFT = (3, -2)  # (x, y) pixels


def _texture(seed: int, size: int = 64) -> torch.Tensor:
    """A smooth random RGB texture [3,H,W] in [0,1] that DIS can follow."""
    noise = torch.rand(1, 3, size // 4, size // 4, generator=torch.Generator().manual_seed(seed))
    return F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)[0].clamp(0, 1)


def test_the_teacher_finds_where_each_anchor_shows_the_true_frame_and_trusts_only_that():
    target = _texture(0)
    shifted = torch.roll(target, shifts=(SHIFT[1], SHIFT[0]), dims=(1, 2))
    unrelated = _texture(1)
    flow, trust = teacher_flows(torch.stack([shifted, unrelated])[None], target[None])
    assert flow.shape == (1, 2, 2, 64, 64) and trust.shape == (1, 2, 64, 64)
    inner = (slice(8, -8), slice(8, -8))
    assert float(flow[0, 0, 0][inner].median()) == pytest.approx(SHIFT[0], abs=0.25)
    assert float(flow[0, 0, 1][inner].median()) == pytest.approx(SHIFT[1], abs=0.25)
    assert float(trust[0, 0][inner].mean()) > 0.8
    assert float(trust[0, 1][inner].mean()) < 0.1


def _positions(teacher: torch.Tensor, offsets: list[float]) -> torch.Tensor:
    """Hypotheses [1,1,M,2,H,W] each the teacher's flow moved by one of `offsets` pixels in x."""
    hypotheses = [teacher + torch.tensor([dx, 0.0]).view(2, 1, 1) for dx in offsets]
    return torch.stack(hypotheses, dim=2).requires_grad_(True)


def test_distillation_pulls_only_the_hypothesis_nearest_the_teacher_where_it_is_trusted():
    teacher = torch.randn(1, 1, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    trust = torch.ones(1, 1, 8, 8)
    positions = _positions(teacher, [0.0, 5.0])
    assert float(distillation(positions, teacher, trust).detach()) < 0.02
    positions = _positions(teacher, [2.0, -4.0])
    loss = distillation(positions, teacher, trust)
    assert float(loss.detach()) == pytest.approx(torch.log1p(torch.tensor(2.0)).item(), abs=1e-3)
    loss.backward()
    assert positions.grad is not None
    assert float(positions.grad[:, :, 0].abs().sum()) > 0 and float(positions.grad[:, :, 1].abs().sum()) == 0
    half = trust.clone()
    half[..., 4:] = 0
    positions = _positions(teacher, [1.0])
    far = positions.detach().clone()
    far[..., 4:] += 10
    near = distillation(positions, teacher, half).detach()
    assert float(distillation(far, teacher, half)) == pytest.approx(float(near))


def test_the_distillation_term_scores_no_cut():
    teacher = torch.zeros(2, 2, 2, 8, 8)
    positions = torch.zeros(2, 2, 1, 2, 8, 8)
    positions[1] += 3
    aux = {"cut_logit": torch.zeros(2), "positions": positions}
    weights = LossWeights(charbonnier=1.0, census=0.0, ssim=0.0, frequency=0.0, cut=0.0, distill=1.0)
    frames = torch.zeros(2, 3, 8, 8)
    trust = torch.ones(2, 2, 8, 8)
    scored = synthesis_loss(frames, frames, aux, torch.tensor([False, True]), weights, teacher=(teacher, trust))
    assert float(scored["distill"]) < 0.02
    scored = synthesis_loss(frames, frames, aux, torch.tensor([True, False]), weights, teacher=(teacher, trust))
    assert float(scored["distill"]) == pytest.approx(torch.log1p(torch.tensor(18.0).sqrt()).item(), abs=1e-3)


def test_batches_carry_the_teacher_only_when_asked(tmp_path):
    sources = build_sources(("synthetic:1",), 32, str(make_images(tmp_path / "images")))
    for asked in (False, True):
        spec = BatchSpec(batch_size=2, long_context_prob=0.5, teacher_flow=asked)
        for batch in islice(iter(MixedBatches(sources, spec, seed=0)), 4):
            b, n = batch["frames"].shape[:2]
            assert ("teacher_flow" in batch) == asked and ("teacher_trust" in batch) == asked
            if asked:
                assert batch["teacher_flow"].shape == (b, n, 2, 32, 32)
                assert batch["teacher_trust"].shape == (b, n, 32, 32)


def test_the_distillation_term_changes_what_a_run_teaches_the_motion_heads(tmp_path):
    heads = []
    for distill in (0.0, 1.0):
        folder = tmp_path / f"distill{distill}"
        args = [*tiny_train_args(folder, steps=2), "--set", f"loss.distill={distill}"]
        args += ["--set", "train_only=level4.head"]
        assert run_cli(args) == 0
        heads.append(torch.load(folder / "run" / "last.ckpt", weights_only=True)["model"]["level4.head.weight"])
    assert not torch.equal(heads[0], heads[1])
