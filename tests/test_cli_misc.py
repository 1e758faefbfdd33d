"""`tempo eval`, `tempo info` and the entry points."""

from __future__ import annotations

import json
import math
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
    assert result["model"] == "blend"
    assert result["settings"] == {
        "paths": [str(root)], "limit": None, "max_windows": 30, "max_side": None, "anchors": 2, "scale": "auto",
        "device": "cpu", "precision": "fp32",
    }  # fmt: skip


def test_eval_json_of_a_tempo_model_names_its_precision(tmp_path):
    """The network's autocast dtype went into the JSON as a torch object, which cannot be written."""
    root = make_middlebury(tmp_path / "middlebury_other")
    out = tmp_path / "scores.json"
    assert run_cli(["eval", root, "--json", out, "--precision", "bf16", "-q"]) == 0
    assert json.loads(out.read_text())["settings"]["precision"] == "bf16"


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


def test_info_says_the_shipped_weights_are_unusable_and_lists_the_rest(tmp_path, capsys, monkeypatch):
    """It had stopped after the first lines with exit 2."""
    from tempo_cli.cli import info

    junk = tmp_path / "tempo-s.safetensors"
    junk.write_bytes(b"not weights")
    monkeypatch.setattr(info, "shipped_weights", lambda: junk)
    assert run_cli(["info"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "flow" in out and "default model: tempo = shipped weights unusable: " in out


def test_python_dash_m_and_unknown_command():
    done = subprocess.run([sys.executable, "-m", "tempo_cli", "frobnicate"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["tempo: error: No such command 'frobnicate'."]


def test_stop_signals_clean_up_once_and_nohup_keeps_its_sighup_ignored(monkeypatch):
    """A repeat at once (a key held, a process group signalled) cannot interrupt the first one's clean-up; a later
    one stops the run again, as the first can be lost (Python drops an interrupt raised in a fork hook)."""
    import os
    import signal

    from tempo_cli.cli import errors
    from tempo_cli.cli.errors import Stopped, stop_on_signals

    def send(signum: int) -> None:
        os.kill(os.getpid(), signum)
        signal.pthread_sigmask(signal.SIG_BLOCK, [])  # let the handler run before going on

    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    monkeypatch.setattr(errors, "_last_stop", [-math.inf])
    monkeypatch.setattr(errors, "_undelivered", [None])
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a run started with `&` ignores SIGINT
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
        stop_on_signals()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        with pytest.raises(Stopped) as stopped:
            send(signal.SIGTERM)
        assert stopped.value.signum == signal.SIGTERM
        send(signal.SIGTERM)  # a repeat within the window: ignored
        monkeypatch.setattr(errors, "REPEAT_WINDOW", 0.0)
        with pytest.raises(KeyboardInterrupt):
            send(signal.SIGINT)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
