"""TEMPO behind the synthesizer interface: encode each frame once, synthesize many targets."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from tempo_cli.model import Encoded, Tempo
from tempo_cli.synth.base import SynthesisResult, Synthesizer


def _full_scale(dtype: np.dtype) -> float:
    return 65535.0 if dtype == np.uint16 else 255.0


@dataclass
class _Prepared:
    encoded: Encoded
    dtype: np.dtype


class TempoSynthesizer(Synthesizer):
    """Runs a TEMPO model on a device with an optional autocast precision, `batch` targets at a time."""

    def __init__(self, model: Tempo, device: torch.device, precision: torch.dtype | None, batch: int = 4) -> None:
        self.model = model.to(device).eval()
        self.device = device
        self.precision = precision
        self.batch = max(1, batch)
        self.name = model.config.name

    def _autocast(self) -> AbstractContextManager[object]:
        if self.precision is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.precision)

    @torch.inference_mode()
    def prepare(self, image: np.ndarray) -> _Prepared:
        scale = _full_scale(image.dtype)
        frame = torch.from_numpy(np.ascontiguousarray(image)).to(self.device).permute(2, 0, 1).float().div_(scale)
        with self._autocast():
            return _Prepared(self.model.encode(frame[None, None]), image.dtype)

    def _to_image(self, frame: Tensor, dtype: np.dtype) -> np.ndarray:
        scale = _full_scale(dtype)
        out = frame.float().clamp_(0, 1).mul_(scale).add_(0.5).permute(1, 2, 0)
        return out.to(torch.int32).cpu().numpy().astype(dtype)

    @torch.inference_mode()
    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        prepared = [a for a in anchors if isinstance(a, _Prepared)]
        if len(prepared) != len(anchors):
            raise TypeError("TempoSynthesizer needs anchors prepared by itself")
        dtype = prepared[0].dtype
        times = torch.tensor([list(anchor_times)], dtype=torch.float32, device=self.device)
        frames: list[np.ndarray] = []
        confidence: list[np.ndarray] = []
        with self._autocast():
            aset = self.model.bind(Encoded.stack([p.encoded for p in prepared]), times)
            cut_score = float(torch.sigmoid(aset.cut_logit.float())[0])
            for start in range(0, len(target_times), self.batch):
                chunk = torch.tensor(target_times[start : start + self.batch], dtype=torch.float32, device=self.device)
                pred, aux = self.model.synthesize(aset, chunk)
                frames += [self._to_image(p, dtype) for p in pred]
                confidence += list(aux["conf_map"][:, 0].float().cpu().numpy())
        return SynthesisResult(frames, confidence, cut_score)
