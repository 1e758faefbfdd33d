"""Synthetic sequences: textured layers from natural images under random affine motion.

Ground truth exists at every time, inside or outside the anchors' span, so
these teach arbitrary-time interpolation and extrapolation. Motion is
quadratic in time (constant acceleration) so that more anchors help.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tempo_cli.errors import TempoError
from tempo_cli.training.data.sample import MAX_AHEAD, MAX_ANCHORS, Sample, draw_plan

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def list_images(root: Path) -> list[Path]:
    """All images under root, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass
class _Layer:
    texture: np.ndarray
    mask: np.ndarray | None
    center: np.ndarray
    velocity: np.ndarray
    accel: np.ndarray
    angle: float
    spin: float
    scale: float
    zoom: float
    gain: float
    gain_rate: float

    def matrix(self, t: float, out_center: np.ndarray) -> np.ndarray:
        """Affine map from texture to output coordinates at time t (texture centre -> out_center + pos)."""
        pos = self.center + self.velocity * t + 0.5 * self.accel * t * t
        angle = self.angle + self.spin * t
        scale = self.scale * float(np.exp(self.zoom * t))
        h, w = self.texture.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        m[:, 2] += pos + out_center - np.array([w / 2, h / 2])
        return m


MAX_SPEED = 12.0  # px per anchor interval of the fastest background layer (foreground layers: 1.3x)


class SyntheticSequences:
    """Draws samples of size `crop` from a list of natural images."""

    max_anchors = MAX_ANCHORS  # rendered at any time: every window a batch asks for

    def __init__(self, images: list[Path], crop: int, max_speed: float = MAX_SPEED, max_ahead: int = MAX_AHEAD) -> None:
        if not images:
            raise TempoError("synthetic data needs at least one natural image")
        self.images = images
        self.crop = crop
        self.max_speed = max_speed
        self.max_ahead = max_ahead
        self._cache: dict[int, np.ndarray] = {}

    def _image(self, idx: int) -> np.ndarray:
        img = self._cache.get(idx)
        if img is None:
            bgr = cv2.imread(str(self.images[idx]), cv2.IMREAD_COLOR)
            if bgr is None:
                raise TempoError(f"cannot read image {self.images[idx]}")
            img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            if len(self._cache) < 256:
                self._cache[idx] = img
        return img

    def _patch(self, rng: np.random.Generator, size: int) -> np.ndarray:
        img = self._image(int(rng.integers(len(self.images))))
        h, w = img.shape[:2]
        scale = rng.uniform(0.5, 1.0)
        src = int(min(h, w, size / scale))
        y, x = int(rng.integers(0, h - src + 1)), int(rng.integers(0, w - src + 1))
        return cv2.resize(img[y : y + src, x : x + src], (size, size), interpolation=cv2.INTER_AREA)

    def _shape_mask(self, rng: np.random.Generator, size: int) -> np.ndarray:
        mask = np.zeros((size, size), np.float32)
        c = size / 2
        if rng.random() < 0.5:
            axes = (int(rng.uniform(0.2, 0.48) * size), int(rng.uniform(0.2, 0.48) * size))
            cv2.ellipse(mask, (int(c), int(c)), axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        else:
            k = int(rng.integers(3, 8))
            angles = np.sort(rng.uniform(0, 2 * np.pi, k))
            radii = rng.uniform(0.2, 0.48, k) * size
            pts = np.stack([c + radii * np.cos(angles), c + radii * np.sin(angles)], 1).astype(np.int32)
            cv2.fillPoly(mask, [pts], 1.0)
        return cv2.GaussianBlur(mask, (3, 3), 0.7)

    def _layer(self, rng: np.random.Generator, size: int, foreground: bool) -> _Layer:
        speed = self.max_speed * (rng.uniform(0.0, 1.0) ** 1.5) * (1.3 if foreground else 1.0)
        direction = rng.uniform(0, 2 * np.pi)
        velocity = speed * np.array([np.cos(direction), np.sin(direction)])
        accel = rng.normal(0, 0.15 * max(speed, 1.0), 2) if rng.random() < 0.5 else np.zeros(2)
        offset = rng.uniform(-0.35, 0.35, 2) * self.crop if foreground else np.zeros(2)
        rotating = rng.random() < 0.4
        return _Layer(
            texture=self._patch(rng, size),
            mask=self._shape_mask(rng, size) if foreground else None,
            center=offset,
            velocity=velocity,
            accel=accel,
            angle=float(rng.uniform(0, 360)) if foreground else 0.0,
            spin=float(rng.normal(0, 3.0)) if rotating else 0.0,
            scale=1.0,
            zoom=float(rng.normal(0, 0.03)) if rng.random() < 0.3 else 0.0,
            gain=1.0,
            gain_rate=float(rng.normal(0, 0.03)) if rng.random() < 0.2 else 0.0,
        )

    def _render(self, layers: list[_Layer], t: float) -> np.ndarray:
        size = (self.crop, self.crop)
        out_center = np.array([self.crop / 2, self.crop / 2])
        canvas = np.zeros((self.crop, self.crop, 3), np.float32)
        for layer in layers:
            m = layer.matrix(t, out_center)
            tex = cv2.warpAffine(layer.texture, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
            tex = tex.astype(np.float32) * (layer.gain * (1 + layer.gain_rate * t))
            if layer.mask is None:
                canvas = tex
            else:
                alpha = cv2.warpAffine(layer.mask, m, size, flags=cv2.INTER_LINEAR, borderValue=0.0)[..., None]
                canvas = canvas * (1 - alpha) + tex * alpha
        return np.clip(canvas + 0.5, 0, 255).astype(np.uint8)

    def draw(self, rng: np.random.Generator, anchors: int, extrapolate: bool) -> Sample:
        """Render anchors at times 0..N-1 and a target inside or outside their span."""
        plan = draw_plan(rng, anchors, extrapolate, self.max_ahead)
        big = int(self.crop * 2)
        layers = [self._layer(rng, big, foreground=False)]
        layers += [self._layer(rng, self.crop, foreground=True) for _ in range(int(rng.integers(0, 4)))]
        times = [float(i) for i in range(plan.anchors)]
        return Sample(
            anchors=[self._render(layers, t) for t in times],
            anchor_times=times,
            target=self._render(layers, plan.target),
            target_time=plan.target,
        )
