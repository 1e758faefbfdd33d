"""Mixing sources by weight, augmenting and collating samples into training batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import IterableDataset, get_worker_info

from tempo_cli.errors import TempoError
from tempo_cli.training.data.sample import MAX_ANCHORS, Sample
from tempo_cli.training.data.teacher import teacher_flows


class Source(Protocol):
    """Anything that draws a sample of N anchors (interpolation or extrapolation), N from 2 to `max_anchors`."""

    @property
    def max_anchors(self) -> int: ...

    def draw(self, rng: np.random.Generator, anchors: int, extrapolate: bool) -> Sample: ...


# Share of batches with 3 or 4 anchors (equally often) instead of 2, unless a run asks otherwise.
LONG_CONTEXT_PROB = 2 / 7


@dataclass(frozen=True)
class BatchSpec:
    """What a batch looks like: its size and how often each task appears."""

    batch_size: int = 8
    long_context_prob: float = LONG_CONTEXT_PROB
    extrapolate_prob: float = 0.25
    cut_prob: float = 0.04
    teacher_flow: bool = False  # add "teacher_flow" and "teacher_error" (`teacher.teacher_flows`) to every batch


def augment(sample: Sample, rng: np.random.Generator) -> Sample:
    """Same flips, time reversal and colour gain for every frame of a sample."""
    frames = [*sample.anchors, sample.target]
    if rng.random() < 0.5:
        frames = [f[:, ::-1] for f in frames]
    if rng.random() < 0.3:
        frames = [f[::-1] for f in frames]
    if rng.random() < 0.5:
        gain = rng.uniform(0.93, 1.07, 3).astype(np.float32)
        frames = [np.clip(f.astype(np.float32) * gain, 0, 255).astype(np.uint8) for f in frames]
    anchor_times, target_time = sample.anchor_times, sample.target_time
    if rng.random() < 0.5:
        last = anchor_times[-1]
        anchor_times = [last - t for t in anchor_times]
        target_time = last - target_time
    n = len(sample.anchors)
    return Sample(
        [np.ascontiguousarray(f) for f in frames[:n]],
        anchor_times,
        np.ascontiguousarray(frames[n]),
        target_time,
        sample.is_cut,
    )


def make_cut(a: Sample, b: Sample) -> Sample:
    """Anchors whose later half comes from an unrelated sample: a scene cut."""
    n = len(a.anchors)
    half = max(1, n // 2)
    return Sample([*a.anchors[:half], *b.anchors[half:]], a.anchor_times, a.target, a.target_time, is_cut=True)


def _to_tensor(img: np.ndarray) -> Tensor:
    return torch.from_numpy(img).permute(2, 0, 1).float().div_(255.0)


def collate(samples: list[Sample]) -> dict[str, Tensor]:
    """Stack samples that share N into model inputs."""
    return {
        "frames": torch.stack([torch.stack([_to_tensor(f) for f in s.anchors]) for s in samples]),
        "anchor_times": torch.tensor([s.anchor_times for s in samples], dtype=torch.float32),
        "target_time": torch.tensor([s.target_time for s in samples], dtype=torch.float32),
        "target": torch.stack([_to_tensor(s.target) for s in samples]),
        "is_cut": torch.tensor([s.is_cut for s in samples]),
    }


class MixedBatches(IterableDataset):
    """Endless batches from several sources mixed by weight; seeded per worker and rank.

    A batch of 3 or 4 anchors draws only from the sources that hold such windows (Vimeo triplets do not); if none
    does, it has 2. In a DataLoader worker, a TempoError is yielded as the last item rather than raised: torch would
    raise it in the main process as a traceback under "Caught TempoError in DataLoader worker process 0".
    """

    def __init__(self, sources: list[tuple[Source, float]], spec: BatchSpec, seed: int, rank: int = 0) -> None:
        super().__init__()
        self.sources = [s for s, _ in sources]
        weights = np.array([w for _, w in sources], dtype=np.float64)
        if not len(weights) or weights.sum() <= 0:
            raise TempoError("data sources need positive weights")
        self.weights = weights / weights.sum()
        self.max_anchors = np.array([s.max_anchors for s in self.sources])
        self.spec = spec
        self.seed = seed
        self.rank = rank

    def _anchors(self, rng: np.random.Generator) -> int:
        """2, or 3 or 4 in a `long_context_prob` share of batches: no more than the longest windows held."""
        if rng.random() < self.spec.long_context_prob:
            return min(int(rng.integers(3, MAX_ANCHORS + 1)), int(self.max_anchors.max()))
        return 2

    def _draw(self, rng: np.random.Generator, anchors: int) -> Sample:
        weights = np.where(self.max_anchors >= anchors, self.weights, 0.0)
        source = self.sources[int(rng.choice(len(self.sources), p=weights / weights.sum()))]
        return source.draw(rng, anchors, bool(rng.random() < self.spec.extrapolate_prob))

    def _batches(self, worker: int) -> Iterator[dict[str, Tensor]]:
        rng = np.random.default_rng([self.seed, self.rank, worker])
        while True:
            anchors = self._anchors(rng)
            samples = []
            for _ in range(self.spec.batch_size):
                sample = self._draw(rng, anchors)
                if rng.random() < self.spec.cut_prob:
                    sample = make_cut(sample, self._draw(rng, anchors))
                samples.append(augment(sample, rng))
            batch = collate(samples)
            if self.spec.teacher_flow:
                batch["teacher_flow"], batch["teacher_error"] = teacher_flows(batch["frames"], batch["target"])
            yield batch

    def __iter__(self) -> Iterator[dict[str, Tensor] | TempoError]:
        info = get_worker_info()
        try:
            yield from self._batches(info.id if info is not None else 0)
        except TempoError as exc:
            if info is None:
                raise
            yield exc
