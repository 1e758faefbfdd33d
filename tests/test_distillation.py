"""Distillation: DIS flow from the true frame as a teacher for the network's hypotheses."""

from __future__ import annotations

import math
from itertools import islice

import pytest
import torch
import torch.nn.functional as F

from tempo_cli.model.warp import sample_at
from tempo_cli.training.data.batches import BatchSpec, MixedBatches
from tempo_cli.training.data.sources import build_sources
from tempo_cli.training.data.teacher import teacher_flows, warp_error
from tempo_cli.training.losses import LossWeights, distillation, synthesis_loss
from tests.cli_helpers import run_cli
from tests.training_helpers import make_images, tiny_train_args

SHIFT = (3, -2)  # (x, y) pixels


def _texture(seed: int, size: int = 64) -> torch.Tensor:
    """A smooth random RGB texture [3,H,W] in [0,1] that DIS can follow."""
    noise = torch.rand(1, 3, size // 4, size // 4, generator=torch.Generator().manual_seed(seed))
    return F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)[0].clamp(0, 1)


def _shifted(image: torch.Tensor) -> torch.Tensor:
    """image [3,H,W] moved by SHIFT: its pixel x shows image(x - SHIFT)."""
    return torch.roll(image, shifts=(SHIFT[1], SHIFT[0]), dims=(1, 2))


INNER = (slice(8, -8), slice(8, -8))


def test_the_teacher_finds_where_each_anchor_shows_the_true_frame_and_says_how_well():
    target = _texture(0)
    flow, error = teacher_flows(torch.stack([_shifted(target), _texture(1)])[None], target[None])
    assert flow.shape == (1, 2, 2, 64, 64) and error.shape == (1, 2, 64, 64)
    assert float(flow[0, 0, 0][INNER].median()) == pytest.approx(SHIFT[0], abs=0.25)
    assert float(flow[0, 0, 1][INNER].median()) == pytest.approx(SHIFT[1], abs=0.25)
    assert float(error[0, 0][INNER].mean()) < 0.01
    assert float(error[0, 1][INNER].mean()) > 0.05


def _moved(anchors: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """anchors [B,N,3,H,W] sampled at offsets [B,N,M,2,H,W] -> [B,N,M,3,H,W], as the network's aux["samples"]."""
    b, n, m = offsets.shape[:3]
    return sample_at(anchors.flatten(0, 1), offsets.detach().flatten(0, 1)).view(b, n, m, *anchors.shape[2:])


def _case(image: torch.Tensor, misses: list[float]) -> tuple[torch.Tensor, ...]:
    """One anchor (the target shifted), the exact flow as teacher, hypotheses off it by `misses` pixels in x, and
    what the anchor shows under each hypothesis."""
    anchors = _shifted(image)[None, None]
    flow = torch.tensor([float(SHIFT[0]), float(SHIFT[1])]).view(1, 1, 2, 1, 1).expand(1, 1, 2, 64, 64)
    teacher = (flow, warp_error(_moved(anchors, flow[:, :, None]), image[None])[:, :, 0])
    hypotheses = [flow + torch.tensor([miss, 0.0]).view(2, 1, 1) for miss in misses]
    positions = torch.stack(hypotheses, dim=2).requires_grad_(True)
    return positions, _moved(anchors, positions), image[None], teacher


def test_distillation_pulls_the_hypothesis_nearest_the_teacher_where_the_teacher_explains_more():
    positions, anchors, target, teacher = _case(_texture(0), [2.0, -4.0])
    loss = distillation(positions, anchors, target, teacher)
    assert float(loss.detach()) > 0.5 * math.log1p(2.0)
    loss.backward()
    assert positions.grad is not None
    assert float(positions.grad[:, :, 0].abs().sum()) > 0 and float(positions.grad[:, :, 1].abs().sum()) == 0
    assert float(distillation(*_case(_texture(0), [0.0, 5.0])).detach()) < 0.01


def test_distillation_leaves_motion_free_where_any_motion_explains_the_truth():
    flat = torch.full((3, 64, 64), 0.4)
    assert float(distillation(*_case(flat, [2.0, -4.0])).detach()) == 0


def test_the_distillation_term_scores_no_cut():
    """Two items, the first with a hypothesis 2 px off the teacher, the second exact: a cut's item is not scored."""
    items = [_case(_texture(0), [miss]) for miss in (2.0, 0.0)]
    positions, samples, target = (torch.cat([item[i].detach() for item in items]) for i in range(3))
    teacher = (torch.cat([item[3][0] for item in items]), torch.cat([item[3][1] for item in items]))
    aux = {"cut_logit": torch.zeros(2), "positions": positions, "samples": samples}
    weights = LossWeights(charbonnier=1.0, census=0.0, ssim=0.0, frequency=0.0, cut=0.0, distill=1.0)
    missed = float(distillation(*items[0]).detach())
    for cuts, expected in (([False, True], missed), ([True, False], 0.0)):
        scored = synthesis_loss(target, target, aux, torch.tensor(cuts), weights, None, teacher)
        assert float(scored["distill"]) == pytest.approx(expected, abs=1e-3)
    assert missed > 0.5


def test_batches_carry_the_teacher_only_when_asked(tmp_path):
    sources = build_sources(("synthetic:1",), 32, str(make_images(tmp_path / "images")))
    for asked in (False, True):
        spec = BatchSpec(batch_size=2, long_context_prob=0.5, teacher_flow=asked)
        for batch in islice(iter(MixedBatches(sources, spec, seed=0)), 4):
            b, n = batch["frames"].shape[:2]
            assert ("teacher_flow" in batch) == asked and ("teacher_error" in batch) == asked
            if asked:
                assert batch["teacher_flow"].shape == (b, n, 2, 32, 32)
                assert batch["teacher_error"].shape == (b, n, 32, 32)


def test_the_distillation_term_changes_what_a_run_teaches_the_motion_heads(tmp_path):
    heads = []
    for distill in (0.0, 1.0):
        folder = tmp_path / f"distill{distill}"
        args = [*tiny_train_args(folder, steps=2), "--set", f"loss.distill={distill}"]
        args += ["--set", "train_only=level4.head"]
        assert run_cli(args) == 0
        heads.append(torch.load(folder / "run" / "last.ckpt", weights_only=True)["model"]["level4.head.weight"])
    assert not torch.equal(heads[0], heads[1])
