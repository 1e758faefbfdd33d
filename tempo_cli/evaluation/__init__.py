"""Scoring synthesizers on VFI benchmarks and on videos with dropped frames (PSNR/SSIM)."""

from tempo_cli.evaluation.datasets import LAYOUTS, TASKS, Item, detect_layout, iter_items
from tempo_cli.evaluation.metrics import psnr, ssim
from tempo_cli.evaluation.runner import evaluate, evaluate_many, format_results, results_table

__all__ = [
    "LAYOUTS",
    "TASKS",
    "Item",
    "detect_layout",
    "evaluate",
    "evaluate_many",
    "format_results",
    "iter_items",
    "psnr",
    "results_table",
    "ssim",
]
