"""Slowing audio down without lowering its pitch, for slow-motion output (FFmpeg's atempo filter)."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Any

import av
import av.filter
import numpy as np

ATEMPO_MIN = Fraction(1, 2)  # the slowest one atempo filter plays; slower speeds chain several
PROBE_BURSTS = 4  # tone bursts through which the chain's lead is measured (WSOLA's phase moves each a few ms) ...
PROBE_SPACING = 0.15  # ... this many seconds apart (atempo smears each over about 0.06 s, times the slowdown) ...
PROBE_BURST = 0.02  # ... each this long, at ...
PROBE_PITCH = 440.0  # ... this pitch (Hz)


def atempo_chain(slowdown: Fraction) -> list[Fraction]:
    """Speeds of consecutive atempo filters whose product is 1 / `slowdown` (>= 1), each at least ATEMPO_MIN."""
    if slowdown < 1:
        raise ValueError(f"audio can only be slowed down, not sped up by {slowdown}")
    speed = 1 / Fraction(slowdown)
    chain = []
    while speed < ATEMPO_MIN:
        chain.append(ATEMPO_MIN)
        speed /= ATEMPO_MIN
    return [*chain, speed]


def _atempo_graph(chain: list[Fraction], sample_format: str, layout: str, rate: int) -> av.filter.Graph:
    """atempo filters at the `chain`'s speeds, taking and giving frames of one format, layout and rate."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(format=sample_format, sample_rate=rate, layout=layout, time_base=Fraction(1, rate))
    tempos = [graph.add("atempo", str(float(speed))) for speed in chain]
    same = f"sample_fmts={sample_format}:channel_layouts={layout}:sample_rates={rate}"
    graph.link_nodes(source, *tempos, graph.add("aformat", same), graph.add("abuffersink")).configure()
    return graph


def _pulled(graph: av.filter.Graph) -> list[av.AudioFrame]:
    """The frames `graph` has ready."""
    frames: list[av.AudioFrame] = []
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return frames
        assert isinstance(frame, av.AudioFrame)
        frames.append(frame)


@lru_cache(maxsize=16)
def atempo_lead(slowdown: Fraction, rate: int) -> int:
    """Samples (at `rate`) by which sound comes out of the atempo chain for `slowdown` early: by about 20 ms times
    the slowdown at 48 kHz (atempo starts from half a window before the audio), which slow motion would put ahead of
    the picture.

    Measured, not derived, as it depends on atempo's window and on the FFmpeg build: tone bursts go through the
    chain, and the lead is the mean of how far each burst's energy centroid lands before where it belongs."""
    spacing, burst = round(PROBE_SPACING * rate), round(PROBE_BURST * rate)
    probe = np.zeros((1, spacing * (PROBE_BURSTS + 1)), np.float32)
    tone = np.sin(2 * np.pi * PROBE_PITCH / rate * np.arange(burst), dtype=np.float32)
    centres = [spacing * (k + 1) for k in range(PROBE_BURSTS)]
    for centre in centres:
        probe[0, centre - burst // 2 : centre - burst // 2 + burst] = tone
    graph = _atempo_graph(atempo_chain(slowdown), "fltp", "mono", rate)
    frame = av.AudioFrame.from_ndarray(probe, format="fltp", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
    graph.push(frame)
    graph.push(None)
    energy = np.square(np.concatenate([f.to_ndarray()[0] for f in _pulled(graph)]))  # float32: 300x is 7M samples
    half = spacing * float(slowdown) / 2
    leads = []
    for centre in centres:
        expected = (centre - burst // 2 + burst / 2) * float(slowdown)
        low, high = round(expected - half), round(expected + half)
        window = energy[low:high].astype(np.float64)
        if window.sum() > 0:
            leads.append(expected - (low + float((window * np.arange(window.size)).sum() / window.sum())))
    return max(0, round(float(np.mean(leads)))) if leads else 0


def _first_samples(frame: av.AudioFrame, samples: int) -> av.AudioFrame:
    """A copy of `frame`'s first `samples` samples."""
    per_sample = 1 if frame.format.is_planar else len(frame.layout.channels)
    array: Any = np.ascontiguousarray(frame.to_ndarray()[:, : samples * per_sample])  # in the frame's own dtype
    kept = av.AudioFrame.from_ndarray(array, format=frame.format.name, layout=frame.layout.name)
    kept.sample_rate = frame.sample_rate
    return kept


class AudioStretch:
    """Plays audio frames `slowdown` times slower at the same pitch; the output is exactly that much longer, and in
    step with the input slowed down (atempo's lead, `atempo_lead`, is made up with silence at the start).

    Push decoded frames in order, then call `flush()` once. The filter graph is built for the first frame's
    format, layout and rate, and gives out frames in the same ones.
    """

    def __init__(self, slowdown: Fraction) -> None:
        self._chain = atempo_chain(slowdown)
        self._slowdown = Fraction(slowdown)
        self._graph: av.filter.Graph | None = None
        self._samples_in = 0
        self._samples_out = 0
        self._template: av.AudioFrame | None = None
        self._lead = 0  # silence still to come before the first stretched sound

    def push(self, frame: av.AudioFrame) -> list[av.AudioFrame]:
        """The stretched audio that `frame` completes (possibly none yet)."""
        if self._graph is None:
            self._graph = _atempo_graph(self._chain, frame.format.name, frame.layout.name, frame.sample_rate)
            self._template = frame
            self._lead = atempo_lead(self._slowdown, frame.sample_rate)
        frame.pts = self._samples_in
        frame.time_base = Fraction(1, frame.sample_rate)
        self._samples_in += frame.samples
        self._graph.push(frame)
        return self._pull()

    def flush(self) -> list[av.AudioFrame]:
        """The rest of the stretched audio, padded with silence (or cut) to `slowdown` times the input's length."""
        if self._graph is None:
            return []  # no audio came
        self._graph.push(None)
        frames = self._pull()
        missing = round(self._samples_in * self._slowdown) - self._samples_out
        while missing < 0 and frames:  # the lead made it longer: cut the end
            last = frames.pop()
            missing += last.samples  # what remains to cut, if still negative, once `last` is dropped
            if missing > 0:
                frames.append(_first_samples(last, missing))
                missing = 0
        return [*frames, *self._silence(missing)]

    def _silence(self, samples: int) -> list[av.AudioFrame]:
        """`samples` of silence in the input's format (none if `samples` <= 0)."""
        if samples <= 0 or self._template is None:
            return []
        t = self._template
        return [silent_frame(t.format.name, t.layout.name, t.sample_rate, samples)]

    def _pull(self) -> list[av.AudioFrame]:
        """The stretched frames ready; the first come after the lead's silence, held back until then so that audio
        too short to come out of atempo at all is no longer than its slowed length."""
        assert self._graph is not None
        frames = _pulled(self._graph)
        if frames:
            frames = [*self._silence(self._lead), *frames]
            self._lead = 0
        self._samples_out += sum(frame.samples for frame in frames)
        return frames


def silent_frame(sample_format: str, layout: str, rate: int, samples: int) -> av.AudioFrame:
    """An audio frame of `samples` samples of silence: zero, or 128 in unsigned 8-bit (where 0 is the lowest)."""
    frame = av.AudioFrame(format=sample_format, layout=layout, samples=samples)
    level = b"\x80" if sample_format in ("u8", "u8p") else b"\x00"
    for plane in frame.planes:
        plane.update(level * plane.buffer_size)
    frame.sample_rate = rate
    return frame
