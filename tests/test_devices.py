"""Precision choice: what `auto` picks on a CPU, and refusals."""

from __future__ import annotations

import pytest
import torch

from tempo_cli import devices
from tempo_cli.errors import TempoError

CPU = torch.device("cpu")


@pytest.mark.parametrize(
    ("flags", "native"),
    [("fpu avx2 avx512f", False), ("fpu avx512f avx512_bf16", True), ("fpu amx_bf16 amx_tile", True)],
)
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path, flags, native):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert devices.cpuinfo_reports_bf16(cpuinfo) is native


def test_no_cpuinfo_means_no_native_bf16(tmp_path):
    assert devices.cpuinfo_reports_bf16(tmp_path / "missing") is False


@pytest.mark.parametrize(("native", "expected"), [(True, torch.bfloat16), (False, None)])
def test_auto_on_a_cpu_is_bf16_only_where_it_is_native(monkeypatch, native, expected):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: native)
    assert devices.resolve_precision("auto", CPU) is expected


def test_explicit_precisions_are_kept(monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: True)
    assert devices.resolve_precision("fp32", CPU) is None
    assert devices.resolve_precision("bf16", CPU) is torch.bfloat16


@pytest.mark.parametrize(("spec", "message"), [("fp16", "not supported on the CPU"), ("fp8", "unknown precision")])
def test_bad_precision_is_refused(spec, message):
    with pytest.raises(TempoError, match=message):
        devices.resolve_precision(spec, CPU)
