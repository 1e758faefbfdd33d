"""The planner, without any video: timestamps in, output decisions out."""

from __future__ import annotations

import itertools
from fractions import Fraction as F

import pytest

from tempo_cli.engine.planner import (
    MAX_ADDED,
    MAX_TARGETS,
    Copy,
    CrossFade,
    PlanConfig,
    SourceTime,
    Synthesize,
    most_targets,
    plan,
)
from tempo_cli.errors import TempoError


def cfr(n: int, fps: F, cuts: tuple[int, ...] = ()) -> list[SourceTime]:
    return [SourceTime(i, i / fps, i in cuts) for i in range(n)]


def times_of(items) -> list[F]:
    out = []
    for item in items:
        out += list(item.times) if isinstance(item, Synthesize) else [item.time]
    return out


@pytest.mark.parametrize("factor", [2, 3, 4, 8])
@pytest.mark.parametrize("fps", [F(24000, 1001), F(25), F(30000, 1001)])
def test_factor_gives_n_times_the_frames_on_an_exact_grid(factor, fps):
    n = 10
    items = list(plan(cfr(n, fps), PlanConfig(rate=fps * factor, period=1 / fps)))
    times = times_of(items)
    assert len(times) == n * factor
    assert times == [j / (fps * factor) for j in range(n * factor)]
    copies = [i for i in items if isinstance(i, Copy)]
    assert [c.source for c in copies[:n]] == list(range(n))


@pytest.mark.parametrize("fps", [F(24000, 1001), F(25), F(30000, 1001)])
def test_target_fps_keeps_the_duration_within_one_output_frame(fps):
    rate = F(60000, 1001)
    n = 240
    times = times_of(plan(cfr(n, fps), PlanConfig(rate=rate, period=1 / fps)))
    duration_in = n / fps
    duration_out = len(times) / rate
    assert abs(duration_out - duration_in) <= 1 / rate
    assert times == [j / rate for j in range(len(times))]


def test_source_frames_at_source_times_are_copies():
    fps = F(24000, 1001)
    items = list(plan(cfr(20, fps), PlanConfig(rate=F(60000, 1001), period=1 / fps)))
    copies = {c.time: c.source for c in items if isinstance(c, Copy)}
    for k in range(0, 20, 2):
        assert copies[k / fps] == k


def test_pts_rounding_still_copies_source_frames():
    fps = F(24000, 1001)
    tb = F(1, 15360)
    src = [SourceTime(i, round(i / fps / tb) * tb) for i in range(12)]
    items = list(plan(src, PlanConfig(rate=fps * 2, period=1 / fps)))
    assert sum(isinstance(i, Copy) for i in items) == 13


def test_source_frames_a_few_ms_off_the_grid_are_still_copies():
    """A first interval 3.8 ms short, then the nominal one (as a real clip has): every source frame but the first
    was made anew at 2x under a 2 ms tolerance."""
    fps = F(179, 6)
    src = [SourceTime(0, F(0))] + [SourceTime(i, F(887, 29847) + (i - 1) / fps) for i in range(1, 12)]
    items = list(plan(src, PlanConfig(rate=fps * 2, period=1 / fps)))
    copies = [item for item in items if isinstance(item, Copy)]
    assert [c.source for c in copies[:12]] == list(range(12))


def test_an_output_time_within_reach_of_two_frames_copies_the_nearer():
    """Frames 10 ms apart at 64 and 74 ms, output at 30 fps: 66.7 ms is 2.7 ms from the first and 7.3 ms from the
    second, both within a quarter frame; it had copied the second, and the first never came out."""
    times = [F(0), F(1, 30), F(64, 1000), F(74, 1000), F(4, 30), F(5, 30)]
    items = list(plan([SourceTime(i, t) for i, t in enumerate(times)], PlanConfig(rate=F(30), period=F(1, 30))))
    copies = {item.time: item.source for item in items if isinstance(item, Copy)}
    assert copies[F(2, 30)] == 2


def test_without_filling_gaps_an_off_grid_last_frame_still_gets_exactly_the_frames_asked_for():
    times = [F(0), F(1, 25), F(2, 25), F(3, 25) + F(3, 200)]
    config = PlanConfig(rate=F(25), period=F(1, 25), anchors=2, ahead=2, fill_gaps=False)
    items = list(plan([SourceTime(i, t) for i, t in enumerate(times)], config))
    assert times_of(items) == [F(i, 25) for i in range(6)]


def test_no_synthesis_across_a_cut_and_no_window_straddles_it():
    items = list(plan(cfr(12, F(24), cuts=(6,)), PlanConfig(rate=F(96), period=F(1, 24), anchors=4)))
    for item in items:
        if isinstance(item, Synthesize):
            assert all(a < 6 for a in item.anchors) or all(a >= 6 for a in item.anchors)
            assert not (min(item.anchors) <= 5 and max(item.anchors) >= 6)
    between = [i for i in items if not isinstance(i, Synthesize) and F(5, 24) < i.time < F(6, 24)]
    assert len(between) == 3 and all(isinstance(i, Copy) for i in between)
    assert [i.source for i in between] == [5, 5, 6]


def test_cut_mode_blend_cross_fades_instead():
    items = list(plan(cfr(4, F(24), cuts=(2,)), PlanConfig(rate=F(48), period=F(1, 24), cut_mode="blend")))
    fades = [i for i in items if isinstance(i, CrossFade)]
    assert len(fades) == 1 and fades[0].first == 1 and fades[0].second == 2 and fades[0].weight == 0.5


def test_four_anchors_take_two_on_each_side():
    items = list(plan(cfr(8, F(24)), PlanConfig(rate=F(48), period=F(1, 24), anchors=4)))
    synth = [i for i in items if isinstance(i, Synthesize)]
    assert synth[3].anchors == (2, 3, 4, 5)
    assert all(len(s.anchors) >= 2 for s in synth)


def test_variable_frame_rate_is_planned_by_real_timestamps():
    times = [F(0), F(1, 30), F(3, 30), F(4, 30), F(7, 30)]
    src = [SourceTime(i, t) for i, t in enumerate(times)]
    items = list(plan(src, PlanConfig(rate=F(60), period=F(1, 30))))
    out = times_of(items)
    assert out == [F(j, 60) for j in range(len(out))]
    assert len(out) == 16
    for item in items:
        if isinstance(item, Synthesize):
            for t in item.times:
                lo, hi = times[item.anchors[0]], times[item.anchors[-1]]
                assert lo < t < hi


def test_ahead_and_behind_add_frames_at_the_source_interval():
    items = list(plan(cfr(6, F(25)), PlanConfig(rate=F(25), period=F(1, 25), anchors=3, ahead=2, behind=1)))
    times = times_of(items)
    assert times == [F(-1, 25)] + [F(i, 25) for i in range(8)]
    assert isinstance(items[0], Synthesize) and items[0].anchors == (0, 1, 2)
    assert isinstance(items[-1], Synthesize) and items[-1].anchors == (3, 4, 5)


def test_without_filling_gaps_only_source_frames_and_the_added_ones_come_out():
    """Extrapolation at the source's rate passes a variable-rate source's frames as they are: a frame the source
    left out is not made, one off the grid goes to its nearest free time, and two within one output frame both stay."""
    times = [F(0), F(1, 25), F(3, 25), F(4, 25) + F(1, 200), F(5, 25) - F(1, 100), F(5, 25), F(7, 25)]
    src = [SourceTime(i, t) for i, t in enumerate(times)]
    items = list(plan(src, PlanConfig(rate=F(25), period=F(1, 25), anchors=3, ahead=2, behind=1, fill_gaps=False)))
    copies = [item for item in items if isinstance(item, Copy)]
    assert [c.source for c in copies] == list(range(7))
    assert [c.time for c in copies] == [F(j, 25) for j in (0, 1, 3, 4, 5, 6, 7)]
    assert times_of(items) == [F(-1, 25), *(c.time for c in copies), F(8, 25), F(9, 25)]
    with pytest.raises(TempoError, match="causal"):
        PlanConfig(rate=F(50), period=F(1, 25), causal=True, fill_gaps=False)


@pytest.mark.parametrize(
    "config",
    [
        PlanConfig(rate=F(25), period=F(1, 25), anchors=2, ahead=40, behind=40),
        PlanConfig(rate=F(25 * 64), period=F(1, 25)),
        PlanConfig(rate=F(25 * 8), period=F(1, 25), causal=True, ahead=5),
    ],
)
def test_no_item_holds_more_than_max_targets_frames(config):
    """The engine keeps an item's frames until all are made: long runs of new frames come in bounded pieces."""
    items = list(plan(cfr(6, F(25)), config))
    assert all(len(item.times) <= MAX_TARGETS for item in items if isinstance(item, Synthesize))
    expected = (6 + config.ahead + config.behind) * config.rate * config.period
    assert len(times_of(items)) == expected


@pytest.mark.parametrize("fill_gaps", [True, False])
@pytest.mark.parametrize("side", ["ahead", "behind"])
def test_any_number_of_frames_ahead_or_behind_is_planned_as_it_is_made(side, fill_gaps):
    """`--ahead 99999999999` listed every time before the first was made: 12 GB and growing after 6 minutes (the
    most is now MAX_ADDED, still listed only as it is made)."""
    huge = MAX_ADDED
    config = PlanConfig(rate=F(25), period=F(1, 25), anchors=2, fill_gaps=fill_gaps, **{side: huge})
    items = list(itertools.islice(plan(cfr(3, F(25)), config), 6))
    made = [item for item in items if isinstance(item, Synthesize)]
    start = -huge if side == "behind" else 3
    assert [item.times[0] for item in made[:2]] == [F(start, 25), F(start + MAX_TARGETS, 25)]
    assert all(len(item.times) == MAX_TARGETS for item in made)


def _longest_item(times: list[F], config: PlanConfig) -> int:
    frames = [SourceTime(i, t) for i, t in enumerate(times)]
    return max((len(item.times) for item in plan(frames, config) if isinstance(item, Synthesize)), default=0)


@pytest.mark.parametrize("extra", [{}, {"ahead": 2}, {"behind": 3}, {"causal": True, "anchors": 3}])
@pytest.mark.parametrize("fps", [F(24000, 1001), F(24), F(25), F(30000, 1001), F(30), F(60)])
def test_most_targets_bounds_every_item_the_plan_makes(fps, extra):
    """`--tile auto` sizes memory for this many frames a model call makes. It assumed one frame whatever the ratio
    (25 -> 48 fps makes 2 between some pairs), and a whole factor makes exactly factor - 1 between every pair."""
    times = [i / fps for i in range(120)]
    for rate in [F(24), F(45), F(48), F(50), F(60000, 1001), F(60), F(72), F(100), F(144), fps * 2, fps * 4]:
        config = PlanConfig(rate=rate, period=1 / fps, **{"anchors": 2, **extra})
        assert _longest_item(times, config) <= most_targets(config)
    for factor in (2, 4, 16, 32):
        config = PlanConfig(rate=fps * factor, period=1 / fps, **{"anchors": 2, **extra})
        assert _longest_item(times, config) == most_targets(config)


def test_most_targets_counts_the_gaps_left_by_dropped_copies():
    """--dedup leaves gaps of up to 3 source periods (2 copies dropped in a row): 2 frames made in one at the source's
    rate and 5 at 2x, where a steady source has 1 and 1."""
    times = [F(t, 24) for t in (0, 1, 2, 5, 6, 7, 8, 11, 12)]
    for rate, most in [(F(24), 2), (F(48), 5)]:
        config = PlanConfig(rate=rate, period=F(1, 24))
        assert _longest_item(times, config) == most_targets(config, gap=3) == most
        assert most_targets(config) < most


def test_negative_or_too_many_frames_ahead_or_behind_are_refused():
    with pytest.raises(TempoError, match="ahead and behind"):
        PlanConfig(rate=F(25), period=F(1, 25), ahead=-1)
    with pytest.raises(TempoError, match=f"at most {MAX_ADDED} frame intervals"):
        PlanConfig(rate=F(25), period=F(1, 25), behind=MAX_ADDED + 1)


@pytest.mark.parametrize("factor", [2, 4])
def test_causal_uses_only_past_frames_and_emits_before_reading_ahead(factor):
    read: list[int] = []

    def stream():
        for s in cfr(6, F(24)):
            read.append(s.index)
            yield s

    config = PlanConfig(rate=F(24) * factor, period=F(1, 24), anchors=3, causal=True)
    count = 0
    for item in plan(stream(), config):
        count += len(item.times) if isinstance(item, Synthesize) else 1
        newest = read[-1]
        if isinstance(item, Synthesize):
            assert max(item.anchors) == newest
            assert all(t > newest / F(24) for t in item.times)
    assert count == 6 * factor


def test_extrapolation_after_a_cut_uses_only_the_new_shot():
    items = list(plan(cfr(6, F(24), cuts=(5,)), PlanConfig(rate=F(24), period=F(1, 24), anchors=3, ahead=1)))
    assert isinstance(items[-1], Copy) and items[-1].source == 5
