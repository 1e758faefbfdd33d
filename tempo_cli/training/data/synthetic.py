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
from tempo_cli.video.imageseq import IMAGE_SUFFIXES


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

    def __init__(
        self,
        images: list[Path],
        crop: int,
        max_speed: float = MAX_SPEED,
        max_ahead: int = MAX_AHEAD,
        overlay_prob: float = 0.0,
        pan_prob: float = 0.0,
    ) -> None:
        """`overlay_prob`: share of sequences with a still caption or logo over them; `pan_prob`: share that are one
        textured plane in pure translation (a camera pan). At 0 (the default) neither draws from the random stream,
        so sequences are as before these existed."""
        if not images:
            raise TempoError("synthetic data needs at least one natural image")
        self.images = images
        self.crop = crop
        self.max_speed = max_speed
        self.max_ahead = max_ahead
        self.overlay_prob = overlay_prob
        self.pan_prob = pan_prob
        self._cache: dict[int, np.ndarray] = {}

    def _image(self, idx: int) -> np.ndarray:
        """Image `idx` as RGB; one whose data turns out broken (truncated) gives way to the next that reads, so that
        one bad file does not stop a run at whatever step draws it."""
        img = self._cache.get(idx)
        if img is None:
            for tried in range(len(self.images)):
                bgr = cv2.imread(str(self.images[(idx + tried) % len(self.images)]), cv2.IMREAD_COLOR)
                if bgr is not None:
                    break
            else:
                raise TempoError(f"none of the {len(self.images)} images can be read, e.g. {self.images[idx]}")
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

    def _pan(self, rng: np.random.Generator, size: int) -> _Layer:
        """A background layer that only translates, at a steady speed."""
        speed = self.max_speed * rng.uniform(0.2, 1.0)
        direction = rng.uniform(0, 2 * np.pi)
        velocity = speed * np.array([np.cos(direction), np.sin(direction)])
        return _Layer(self._patch(rng, size), None, np.zeros(2), velocity, np.zeros(2), 0.0, 0.0, 1.0, 0.0, 1.0, 0.0)

    def _overlay(self, rng: np.random.Generator) -> _Layer:
        """A still layer drawn last: a line of capital letters and digits, sometimes on a banner, as captions and
        logos are (text of 6-14% of the frame's height, light or dark)."""
        size = self.crop
        mask = np.zeros((size, size), np.uint8)  # putText draws on 8-bit images only
        scale = rng.uniform(0.06, 0.14) * size / 22  # Hershey simplex capitals are about 22 px tall at scale 1
        text = "".join(rng.choice(list("ABCDEFGHKLMNPRSTUVWXYZ0123456789 "), int(rng.integers(3, 12))))
        (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x, y = int(rng.integers(0, max(1, size - w))), int(rng.integers(h, max(h + 1, size)))
        if rng.random() < 0.4:  # a banner behind the text
            cv2.rectangle(mask, (0, y - h - 4), (size, y + 6), 204, -1)
        thickness = int(rng.integers(1, 4))
        cv2.putText(mask, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_AA)
        light, dark = (np.clip(level + rng.normal(0, 10, 3), 0, 255) for level in (235.0, 20.0))
        ink, banner = (light, dark) if rng.random() < 0.5 else (dark, light)
        texture = np.empty((size, size, 3), np.uint8)
        texture[:] = banner.astype(np.uint8)
        cv2.putText(texture, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, ink.tolist(), thickness, cv2.LINE_AA)
        alpha = mask.astype(np.float32) / 255
        return _Layer(texture, alpha, np.zeros(2), np.zeros(2), np.zeros(2), 0.0, 0.0, 1.0, 0.0, 1.0, 0.0)

    def _scene(self, rng: np.random.Generator) -> list[_Layer]:
        """The layers of one sequence, back to front."""
        big = int(self.crop * 2)
        if self.pan_prob and rng.random() < self.pan_prob:
            layers = [self._pan(rng, big)]
        else:
            layers = [self._layer(rng, big, foreground=False)]
            layers += [self._layer(rng, self.crop, foreground=True) for _ in range(int(rng.integers(0, 4)))]
        if self.overlay_prob and rng.random() < self.overlay_prob:
            layers.append(self._overlay(rng))
        return layers

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
        layers = self._scene(rng)
        times = [float(i) for i in range(plan.anchors)]
        return Sample(
            anchors=[self._render(layers, t) for t in times],
            anchor_times=times,
            target=self._render(layers, plan.target),
            target_time=plan.target,
        )
