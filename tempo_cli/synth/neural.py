"""TEMPO behind the synthesizer interface: encode each frame once, synthesize many targets."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor

from tempo_cli.model import Encoded, Tempo
from tempo_cli.synth.base import SynthesisResult, Synthesizer


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
    def prepare(self, frame: Tensor) -> Encoded:
        with self._autocast():
            return self.model.encode(frame[None, None].to(self.device, torch.float32))

    @torch.inference_mode()
    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        encoded = [a for a in anchors if isinstance(a, Encoded)]
        if len(encoded) != len(anchors):
            raise TypeError("TempoSynthesizer needs anchors prepared by itself")
        times = torch.tensor([list(anchor_times)], dtype=torch.float32, device=self.device)
        frames, confs = [], []
        with self._autocast():
            aset = self.model.bind(Encoded.stack(encoded), times)
            cut_score = float(torch.sigmoid(aset.cut_logit.float())[0])
            for start in range(0, len(target_times), self.batch):
                chunk = torch.tensor(target_times[start : start + self.batch], dtype=torch.float32, device=self.device)
                pred, aux = self.model.synthesize(aset, chunk)
                frames.append(pred.float().clamp(0, 1).cpu())
                confs.append(aux["conf_map"].float().cpu())
        return SynthesisResult(torch.cat(frames), torch.cat(confs), cut_score)
