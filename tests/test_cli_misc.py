"""`tempo eval`, `tempo info` and the entry points."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.test_evaluation import make_middlebury

REPO = Path(__file__).resolve().parents[1]


def test_eval_writes_the_json_schema(tmp_path, capsys):
    root = make_middlebury(tmp_path / "middlebury_other")
    out = tmp_path / "scores.json"
    assert run_cli(["eval", root, "--model", "blend", "--json", out]) == 0
    result = json.loads(out.read_text())
    (name, scores), *_ = result["sets"].items()
    assert name == "middlebury_other"
    assert set(scores) == {"psnr", "psnr_capped", "ssim", "n"} and scores["n"] >= 1
    assert "PSNR" in capsys.readouterr().out


def test_eval_bad_task_and_missing_path(tmp_path, capsys):
    assert run_cli(["eval", tmp_path, "--task", "guess"]) == 2
    assert run_cli(["eval", tmp_path / "nothing"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--task" in err[0] and "not found" in err[1]


def test_info_lists_models_and_device(capsys):
    assert run_cli(["info"]) == 0
    out = capsys.readouterr().out
    for name in ("tempo-s", "tempo-base", "tempo-s-learned", "flow", "blend"):
        assert name in out
    assert "CPU" in out or "CUDA" in out


def test_python_dash_m_and_unknown_command():
    done = subprocess.run([sys.executable, "-m", "tempo_cli", "frobnicate"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["tempo: error: No such command 'frobnicate'."]


def test_stop_signals_clean_up_once_and_nohup_keeps_its_sighup_ignored():
    import os
    import signal

    from tempo_cli.cli.errors import Stopped, stop_on_signals

    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
        stop_on_signals()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        with pytest.raises(Stopped) as stopped:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pthread_sigmask(signal.SIG_BLOCK, [])  # let the handler run before leaving the block
        assert stopped.value.signum == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # a second one cannot interrupt the clean-up
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
