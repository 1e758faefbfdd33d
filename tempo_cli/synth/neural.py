"""TEMPO behind the synthesizer interface: encode each frame once, synthesize many targets."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from tempo_cli.errors import TempoError
from tempo_cli.model import Encoded, Tempo
from tempo_cli.synth.base import SynthesisResult, Synthesizer, check_times

# The largest short side the network works at before it halves the frame (`auto_scale`):
# above the 320 px clips it was trained on and the 480 px benchmark frames, below 720p.
MAX_WORKING_SIDE = 576
GPU_BATCH = 4  # target frames per model call on a GPU when none is asked for


def default_batch(device: torch.device) -> int:
    """Target frames per model call when none is asked for: 4 on a GPU, which runs them side by side, and 1 on the
    CPU, whose threads are already busy within each frame: there a batch of 4 was slower and held more memory
    (README, "Speed": 1080p at 8x 30 s and 3.4 GB against 22 s and 1.9 GB)."""
    return GPU_BATCH if device.type == "cuda" else 1


def auto_scale(height: int, width: int) -> float:
    """Working scale for a frame: 1, or halved until the short side is at most MAX_WORKING_SIDE."""
    scale = 1.0
    while min(height, width) * scale > MAX_WORKING_SIDE:
        scale /= 2
    return scale


def parse_scale(value: str | float | None) -> float | None:
    """`auto` (or None) -> None; otherwise a working scale in (0, 1]."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        scale = float(value)
    except ValueError:
        scale = float("nan")
    if not 0 < scale <= 1:
        raise TempoError(f"scale must be 'auto' or a number in (0, 1], not {value!r}")
    return scale


def _full_scale(dtype: np.dtype) -> float:
    return 65535.0 if dtype == np.uint16 else 255.0


def _unit_frame(source: Tensor, dtype: np.dtype) -> Tensor:
    """A frame as given, [H,W,3] integer samples, as the network takes it: [3,H,W] float in [0,1]."""
    return source.permute(2, 0, 1).float().div_(_full_scale(dtype))


def _full_frames(prepared: list[_Prepared]) -> Tensor | None:
    """The anchors' full-size frames [1,N,3,H,W] where the network works at a reduced scale, else None."""
    if prepared[0].source is None:
        return None
    return torch.stack([_unit_frame(p.source, p.dtype) for p in prepared if p.source is not None])[None]


@dataclass
class _Prepared:
    """A frame as TEMPO's encoder saw it, and the motion prior from it to the anchor after it in the last set.

    Where the network works at a reduced scale, `encoded` holds no full-size frame: `source` keeps the frame as given
    ([H,W,3], integer samples; on the CPU the caller's array itself) and each model call makes the float copy it
    needs (a quarter of the bytes kept for every frame of the window at 8 bits, half at 16; the same values).
    """

    encoded: Encoded
    dtype: np.dtype
    source: Tensor | None = None
    prior_to: tuple[weakref.ref[_Prepared], Tensor] | None = field(default=None, repr=False, compare=False)


def _pair_priors(model: Tempo, anchors: list[_Prepared]) -> Tensor:
    """Each consecutive pair's motion prior [1,N-1,C,2,H,W], anchors in time order.

    A sliding window shares pairs with the window before it (a video's frames are prepared once), so each frame
    keeps the prior to the anchor after it (holding the anchor weakly); a pair's DIS flows are then computed once,
    not once per window. The pairs still missing are computed together, their flows side by side.
    """
    pairs = list(itertools.pairwise(anchors))
    held = {i: a.prior_to[1] for i, (a, b) in enumerate(pairs) if a.prior_to is not None and a.prior_to[0]() is b}
    missing = [i for i in range(len(pairs)) if i not in held]
    if missing:
        firsts = torch.cat([pairs[i][0].encoded.images[:, 0] for i in missing])
        seconds = torch.cat([pairs[i][1].encoded.images[:, 0] for i in missing])
        for i, prior in zip(missing, model.pair_prior(firsts, seconds).split(1), strict=True):
            first, second = pairs[i]
            first.prior_to = (weakref.ref(second), prior)
            held[i] = prior
    return torch.stack([held[i] for i in range(len(pairs))], dim=1)


class TempoSynthesizer(Synthesizer):
    """Runs a TEMPO model on a device with an optional autocast precision, `batch` targets at a time.

    `scale` is the factor frames are resized by for the network (its motion and
    weights then move the full frames); None picks it per frame size (`auto_scale`).
    """

    def __init__(
        self,
        model: Tempo,
        device: torch.device,
        precision: torch.dtype | None,
        batch: int | None = None,
        scale: float | None = None,
    ) -> None:
        self.model = model.for_inference(device)
        self.device = device
        self.precision = precision
        if batch is not None and batch < 1:
            raise TempoError(f"the batch must hold 1 or more target frames, got {batch}")
        self.batch = default_batch(device) if batch is None else batch
        self.scale = scale
        self.name = model.config.name
        self.has_confidence = True

    def working_scale(self, height: int, width: int) -> float:
        return self.scale if self.scale is not None else auto_scale(height, width)

    def _autocast(self) -> AbstractContextManager[object]:
        if self.precision is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.precision)

    @torch.inference_mode()
    def prepare(self, image: np.ndarray, frame_size: tuple[int, int] | None = None) -> _Prepared:
        working = self.working_scale(*(frame_size or image.shape[:2]))
        source = torch.from_numpy(np.ascontiguousarray(image)).to(self.device)
        with self._autocast():
            encoded = self.model.encode(_unit_frame(source, image.dtype)[None, None], working)
        if encoded.full is None:
            return _Prepared(encoded, image.dtype)
        return _Prepared(replace(encoded, full=None), image.dtype, source)

    def _to_image(self, frame: Tensor, dtype: np.dtype) -> np.ndarray:
        scale = _full_scale(dtype)
        out = frame.float().clamp_(0, 1).mul_(scale).add_(0.5).permute(1, 2, 0)
        if dtype == np.uint8:  # truncation of [0.5, 255.5], as below, without an int32 copy
            return out.clamp_(max=255).to(torch.uint8).cpu().numpy()
        return out.to(torch.int32).cpu().numpy().astype(dtype)

    @torch.inference_mode()
    def synthesize(
        self, anchors: Sequence[object], anchor_times: Sequence[float], target_times: Sequence[float]
    ) -> SynthesisResult:
        prepared = [a for a in anchors if isinstance(a, _Prepared)]
        if len(prepared) != len(anchors):
            raise TypeError("TempoSynthesizer needs anchors prepared by itself")
        check_times(len(prepared), anchor_times, target_times)
        dtype = prepared[0].dtype
        order = sorted(range(len(prepared)), key=lambda i: anchor_times[i])
        prepared = [prepared[i] for i in order]
        times = torch.tensor([[anchor_times[i] for i in order]], dtype=torch.float32, device=self.device)
        frames: list[np.ndarray] = []
        confidence: list[np.ndarray] = []
        with self._autocast():
            prior = _pair_priors(self.model, prepared) if self.model.config.motion_prior else None
            encoded = replace(Encoded.stack([p.encoded for p in prepared]), full=_full_frames(prepared))
            aset = self.model.bind(encoded, times, prior)
            cut_score = float(torch.sigmoid(aset.cut_logit.float())[0])
            for start in range(0, len(target_times), self.batch):
                chunk = torch.tensor(target_times[start : start + self.batch], dtype=torch.float32, device=self.device)
                pred, aux = self.model.synthesize(aset, chunk)
                frames += [self._to_image(p, dtype) for p in pred]
                confidence += list(aux["conf_map"][:, 0].float().cpu().numpy())
        return SynthesisResult(frames, confidence, cut_score)
