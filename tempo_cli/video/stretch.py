"""Slowing audio down without lowering its pitch, for slow-motion output (FFmpeg's atempo filter)."""

from __future__ import annotations

from fractions import Fraction

import av
import av.filter

ATEMPO_MIN = Fraction(1, 2)  # the slowest one atempo filter plays; slower speeds chain several


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


class AudioStretch:
    """Plays audio frames `slowdown` times slower at the same pitch; the output is exactly that much longer.

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

    def push(self, frame: av.AudioFrame) -> list[av.AudioFrame]:
        """The stretched audio that `frame` completes (possibly none yet)."""
        if self._graph is None:
            self._graph = self._build(frame)
            self._template = frame
        frame.pts = self._samples_in
        frame.time_base = Fraction(1, frame.sample_rate)
        self._samples_in += frame.samples
        self._graph.push(frame)
        return self._pull()

    def flush(self) -> list[av.AudioFrame]:
        """The rest of the stretched audio, padded with silence to `slowdown` times the input's length."""
        if self._graph is None or self._template is None:
            return []  # no audio came
        self._graph.push(None)
        frames = self._pull()
        missing = round(self._samples_in * self._slowdown) - self._samples_out
        if missing > 0:
            t = self._template
            frames.append(silent_frame(t.format.name, t.layout.name, t.sample_rate, missing))
        return frames

    def _pull(self) -> list[av.AudioFrame]:
        assert self._graph is not None
        frames: list[av.AudioFrame] = []
        while True:
            try:
                frame = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return frames
            assert isinstance(frame, av.AudioFrame)
            self._samples_out += frame.samples
            frames.append(frame)

    def _build(self, frame: av.AudioFrame) -> av.filter.Graph:
        graph = av.filter.Graph()
        source = graph.add_abuffer(
            format=frame.format.name,
            sample_rate=frame.sample_rate,
            layout=frame.layout.name,
            time_base=Fraction(1, frame.sample_rate),
        )
        tempos = [graph.add("atempo", str(float(speed))) for speed in self._chain]
        same = f"sample_fmts={frame.format.name}:channel_layouts={frame.layout.name}:sample_rates={frame.sample_rate}"
        graph.link_nodes(source, *tempos, graph.add("aformat", same), graph.add("abuffersink")).configure()
        return graph


def silent_frame(sample_format: str, layout: str, rate: int, samples: int) -> av.AudioFrame:
    """An audio frame of `samples` zero samples."""
    frame = av.AudioFrame(format=sample_format, layout=layout, samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = rate
    return frame
