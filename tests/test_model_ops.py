"""The network's fast tensor helpers equal the plain torch operations they replace."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tempo_cli.model.agreement import box_mean_along
from tempo_cli.model.blocks import cat_channels
from tempo_cli.model.config import TempoConfig
from tempo_cli.model.correlation import local_correlation
from tempo_cli.model.reduce import sum_over, window_max
from tempo_cli.model.warp import area_shrink, sample_at


@pytest.mark.parametrize("dims", [(1,), (1, 3), (-1,), (0, 2, 4)])
def test_sum_over_equals_sum(dims):
    x = torch.randn(2, 3, 4, 5, 6, generator=torch.Generator().manual_seed(0)).transpose(1, 3)
    torch.testing.assert_close(sum_over(x, dims), x.sum(dim=dims))


@pytest.mark.parametrize(("size", "to"), [((8, 12), (4, 6)), ((8, 12), (2, 3)), ((8, 12), (8, 4)), ((9, 12), (4, 5))])
def test_area_shrink_equals_an_area_resize(size, to):
    x = torch.rand(2, 3, *size, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(area_shrink(x, to), F.interpolate(x, size=to, mode="area"))


@pytest.mark.parametrize(("dim", "radius"), [(-1, 1), (-1, 4), (-2, 2), (-2, 9)])
def test_box_mean_along_is_the_mean_over_the_window_inside_the_frame(dim, radius):
    x = torch.rand(2, 3, 7, 11, generator=torch.Generator().manual_seed(3), requires_grad=True)
    n = x.shape[dim]
    windows = [x.narrow(dim, max(0, i - radius), min(n, i + radius + 1) - max(0, i - radius)) for i in range(n)]
    expected = torch.stack([w.mean(dim=dim) for w in windows], dim=dim)
    got = box_mean_along(x, dim, radius)
    torch.testing.assert_close(got, expected)
    (grad,) = torch.autograd.grad(got.sum(), x)
    (expected_grad,) = torch.autograd.grad(expected.sum(), x)
    torch.testing.assert_close(grad, expected_grad)


def test_cat_channels_keeps_the_layout_of_like_and_the_values():
    plain = torch.rand(1, 4, 5, 6)
    last = torch.rand(1, 3, 5, 6).contiguous(memory_format=torch.channels_last)
    joined = cat_channels([last, plain], like=last)
    assert joined.is_contiguous(memory_format=torch.channels_last) and not joined.is_contiguous()
    torch.testing.assert_close(joined, torch.cat([last, plain], dim=1))
    assert cat_channels([last, plain], like=plain).is_contiguous()


@pytest.mark.parametrize(("width", "radius"), [(7, 1), (70, 3)])
def test_correlation_is_the_cosine_of_shifted_features(width, radius):
    """Every offset, across blocks of columns (70 is not a whole number of them), in fp32 under bf16 autocast."""
    g = torch.Generator().manual_seed(2)
    a = torch.randn(2, 5, 6, width, generator=g).contiguous(memory_format=torch.channels_last)
    b = torch.randn(2, 5, 6, width, generator=g)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        corr = local_correlation(a, b, radius=radius)
    assert corr.dtype == torch.float32 and corr.shape == (2, (2 * radius + 1) ** 2, 6, width)
    an, padded = F.normalize(a, dim=1), F.pad(F.normalize(b, dim=1), (radius,) * 4)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            shifted = padded[:, :, dy : dy + 6, dx : dx + width]  # offset (dy - r, dx - r)
            torch.testing.assert_close(corr[:, dy * (2 * radius + 1) + dx], (an * shifted).sum(dim=1))


def test_the_cut_score_of_frames_small_enough_for_a_one_pixel_coarse_map_is_a_number():
    """An 8x8 frame has a 1x1 map at 1/8 scale, where a sample standard deviation would be NaN."""
    from tempo_cli.model.cut_detector import CutDetector

    coarse, images = torch.rand(1, 2, 80, 1, 1), torch.rand(1, 2, 3, 8, 8)
    assert torch.isfinite(CutDetector()(coarse, images)).all()


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_window_max_equals_a_max_pool_of_stride_1(radius):
    x = torch.randn(2, 3, 17, 29)
    assert torch.equal(window_max(x, radius), F.max_pool2d(x, 2 * radius + 1, 1, radius))


def test_bicubic_sampling_keeps_detail_that_bilinear_averages_away() -> None:
    """Half a pixel off, bilinear reads the mean of two pixels: a sine of a 4-pixel period keeps cos(pi / 4) = 0.71
    of its swing. Bicubic keeps more of it and lands nearer the sine itself; whole-pixel moves read the pixels
    themselves either way."""
    columns = torch.arange(32, dtype=torch.float32)
    wave = torch.sin(columns * torch.pi / 2).repeat(8, 1)[None, None]  # [1,1,8,32]
    half = torch.zeros(1, 1, 2, 8, 32)
    half[:, :, 0] = 0.5
    truth = torch.sin((columns + 0.5) * torch.pi / 2)[4:-4]
    errors = {}
    for mode in ("bilinear", "bicubic"):
        read = sample_at(wave, half, mode)[0, 0, 0, 4, 4:-4]  # away from the replicated border
        errors[mode] = float((read - truth).abs().max())
        whole = sample_at(wave, torch.ones(1, 1, 2, 8, 32), mode)[0, 0, 0]
        assert torch.allclose(whole[1:-1, 2:-2], wave[0, 0, 2:, 3:-1], atol=1e-5)
    assert errors["bilinear"] == pytest.approx(0.5**0.5 * (1 - 0.5**0.5), abs=1e-4)  # peaks of 0.71 read as 0.5
    assert errors["bicubic"] < errors["bilinear"] / 2, errors


def test_a_config_refuses_a_sampling_grid_sample_lacks() -> None:
    with pytest.raises(ValueError, match="image_sampling must be one of bilinear, bicubic"):
        TempoConfig(image_sampling="nearest-ish")
