"""The training loop: AdamW, warm-up + cosine, AMP, EMA, validation, checkpoints, DDP."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.utils.data import DataLoader

from tempo_cli.errors import TempoError
from tempo_cli.evaluation.perceptual import load_lpips
from tempo_cli.model import Tempo, create_model
from tempo_cli.model.weights import load_weights, read_config, save_weights
from tempo_cli.stop_signals import STOP_SIGNALS
from tempo_cli.synth.flow import FlowSynthesizer
from tempo_cli.training.checkpoint import load_checkpoint, save_checkpoint, train_config_of
from tempo_cli.training.config import TrainConfig
from tempo_cli.training.data.batches import BatchSpec, MixedBatches, Source, collate
from tempo_cli.training.data.sample import MAX_ANCHORS
from tempo_cli.training.data.sources import build_sources, parse_spec
from tempo_cli.training.ema import averaged_model
from tempo_cli.training.logger import RunLogger
from tempo_cli.training.losses import psnr, synthesis_loss
from tempo_cli.training.whole_frames import INTERPOLATION_KINDS, whole_frame_scores, whole_frame_videos
from tempo_cli.video.reader import Warn


def lr_factor(step: int, warmup: int, total: int, floor: float) -> float:
    """Linear warm-up, then cosine decay to `floor` (a fraction of the peak)."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def parameter_groups(model: Tempo, lr: float, motion_lr_scale: float) -> list[dict[str, object]]:
    """AdamW groups: the heads that move sampling positions learn at `motion_lr_scale` times `lr`.

    Their outputs are offsets in pixels of a coarse scale, multiplied by up to 8 at
    full resolution, so an equal step would shake the motion the prior got right.
    Frozen parameters (see `freeze_all_but`) are left out.
    """
    trained = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    motion = [p for name, p in trained if name.startswith(model.MOTION_HEADS)]
    rest = [p for name, p in trained if not name.startswith(model.MOTION_HEADS)]
    return [{"params": motion, "lr": lr * motion_lr_scale}, {"params": rest, "lr": lr}]


def freeze_all_but(model: nn.Module, prefixes: tuple[str, ...]) -> int:
    """Freeze every parameter whose name starts with none of `prefixes` (empty: train all); count trained."""
    if "" in prefixes:
        raise TempoError("train_only has an empty prefix (it would name every parameter)")
    trained = 0
    for name, p in model.named_parameters():
        p.requires_grad_(not prefixes or name.startswith(prefixes))
        trained += p.numel() if p.requires_grad else 0
    if trained == 0:
        raise TempoError(f"train_only {', '.join(prefixes)} names no parameter of the model")
    return trained


def autocast_dtype(precision: str) -> torch.dtype | None:
    """None for fp32, else the autocast dtype."""
    choices = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in choices:
        raise TempoError(f"unknown training precision {precision!r} (use fp32, bf16 or fp16)")
    return choices[precision]


def validation_batches(
    sources: list[tuple[Source, float]], count: int, batch_size: int, seed: int
) -> list[dict[str, Tensor]]:
    """A fixed set: two-anchor interpolation batches, then next-frame extrapolation batches."""
    rng = np.random.default_rng(seed)
    batches = []
    for extrapolate in (False, True):
        n = count if not extrapolate else max(batch_size, count // 4)
        samples = [sources[i % len(sources)][0].draw(rng, 2, extrapolate) for i in range(n)]
        batches += [
            {**collate(samples[i : i + batch_size]), "extrapolate": torch.tensor(extrapolate)}
            for i in range(0, n, batch_size)
        ]
    return batches


def validation_sources(
    config: TrainConfig, sources: list[tuple[Source, float]], warn: Warn | None = None
) -> list[tuple[Source, float]]:
    """What validation draws from: `val_data` (`warn` hears of its sequences left out), else the training data as
    training draws it; crops of `val_crop` (0: `crop`).

    Held-out clips are held at the default size, so that validation figures compare across runs; they
    are named in `exclude` to keep them out of training, not out of validation.
    """
    val_crop = config.val_crop or config.crop
    if config.val_data:
        return build_sources(config.val_data, val_crop, config.images, warn=warn)
    if val_crop != config.crop:
        return build_sources(config.data, val_crop, config.images, config.exclude, config.source_options())
    return sources


def _flow_baseline(batch: dict[str, Tensor]) -> Tensor:
    """The classical `flow` synthesizer on a validation batch, for reference."""
    flow = FlowSynthesizer()
    preds = []
    images = batch["frames"].mul(255).round().to(torch.uint8).permute(0, 1, 3, 4, 2).numpy()
    for frames, times, t in zip(images, batch["anchor_times"], batch["target_time"], strict=True):
        anchors = [flow.prepare(np.ascontiguousarray(f)) for f in frames]
        pred = flow.synthesize(anchors, times.tolist(), [float(t)]).frames[0]
        preds.append(torch.from_numpy(pred).permute(2, 0, 1).float() / 255)
    return torch.stack(preds)


@torch.no_grad()
def validate(model: nn.Module, batches: list[dict[str, Tensor]], amp: torch.dtype | None) -> dict[str, float]:
    """Mean PSNR of the model and of the classical references, for interpolation and extrapolation."""
    model.eval()
    scores: dict[str, list[float]] = {}
    for batch in batches:
        with torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None):
            pred, _ = model(batch["frames"], batch["anchor_times"], batch["target_time"])
        key = "extrap" if bool(batch["extrapolate"]) else "interp"
        target = batch["target"]
        scores.setdefault(key, []).extend(psnr(pred.float(), target).tolist())
        scores.setdefault(f"{key}_flow", []).extend(psnr(_flow_baseline(batch), target).tolist())
        frames, t = batch["frames"], batch["target_time"].view(-1, 1, 1, 1)
        if key == "interp":
            baseline = frames[:, 0] * (1 - t) + frames[:, 1] * t
            scores.setdefault("interp_blend", []).extend(psnr(baseline, target).tolist())
        else:
            scores.setdefault("extrap_repeat", []).extend(psnr(frames[:, -1], target).tolist())
    model.train()
    return {k: float(np.mean(v)) for k, v in scores.items()}


def selection_metric(config: dict[str, Any]) -> str:
    """The name of what picks the best checkpoint under a training config (as `TrainConfig.to_dict`)."""
    if not config.get("val_whole_windows", 0):
        return "crop interp"
    return "capped whole-frame " + "/".join(config.get("val_whole_kinds", INTERPOLATION_KINDS))


def selection_score(scores: dict[str, float]) -> float:
    """What picks the best checkpoint: the mean of the whole-frame sets' PSNR with each frame capped at 50 dB (one
    nearly still frame cannot decide it) when they were measured, else crop interp."""
    whole = [v for k, v in scores.items() if k.startswith("whole_") and k.endswith("_capped")]
    return float(np.mean(whole)) if whole else scores["interp"]


def _distributed() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    return rank, world


def _end_worker(_signum: int, _frame: FrameType | None) -> None:
    os._exit(0)


def end_workers_quietly_on_stop_signals(_worker_id: int) -> None:
    """DataLoader worker start-up: a stop signal (SIGTERM, SIGHUP) ends the worker at once with exit code 0, unless
    the process ignores it (`nohup`).

    Python ends a worker that outlives its loader with SIGTERM, at exit too: a worker that ignored it kept the run
    from exiting. Sent to the whole process group (`kill -- -PGID`, a closed terminal), the signal reaches the main
    process too, which stops the run cleanly; a worker killed by it would have made torch report a crash instead.
    """
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _end_worker)


def _batches(loader: DataLoader) -> Generator[dict[str, Tensor], None, None]:
    """The loader's batches, endlessly; a TempoError met in a worker is raised here with its own message."""
    while True:
        for batch in loader:
            if isinstance(batch, TempoError):
                raise batch
            yield batch


@dataclass
class TrainResult:
    """The trained network, its EMA copy and the last validation scores (rank 0 only)."""

    model: Tempo
    ema: Tempo
    scores: dict[str, float]


def validation_note(config: TrainConfig) -> str:
    """What the validation lines report, said once at the start of a run."""
    if config.val_data:
        whole = ", whole_* on whole frames of its videos" if config.val_whole_windows else ""
        scored = f"crops of the held-out val_data{whole}"
    else:
        scored = "crops of the training data (no val_data is held out)"
    return (
        f"validation lines give PSNR in dB of the EMA weights: interp / extrap on {scored};"
        " *_flow, *_blend and *_repeat score DIS flow, a plain blend and the last frame repeated"
    )


def short_window_note(specs: tuple[str, ...], sources: list[tuple[Source, float]], long_context_prob: float) -> str:
    """A line naming the sources whose sequences hold no window of as many anchors as batches may ask for; "" if
    there is none, or if no batch asks for more than 2."""
    limits = [(parse_spec(spec)[0], s.max_anchors) for spec, (s, _) in zip(specs, sources, strict=True)]
    held = [f"{name} holds windows of {most} anchors at most" for name, most in limits if most < MAX_ANCHORS]
    if not held or not long_context_prob:
        return ""
    top = max(most for _, most in limits)
    effect = f"batches have {top} anchors at most" if top < MAX_ANCHORS else "batches of more anchors draw on the rest"
    return f"{'; '.join(held)}, so {effect}"


def changed_options(then: dict[str, Any], now: dict[str, Any]) -> str:
    """The options that differ between two runs' configs, as "lr 0.0003 -> 5e-05, loss.census 0.001 -> 0.3"."""
    before, after = _flat(then), _flat(now)
    changes = [f"{k} {before.get(k)} -> {v}" for k, v in after.items() if k != "resume" and before.get(k) != v]
    return ", ".join(changes)


def _flat(config: dict[str, Any]) -> dict[str, str]:
    """A config's options as JSON text, the loss weights as loss.NAME (a stored config and a live one compare alike)."""
    flat = {k: json.dumps(v) for k, v in config.items() if k != "loss"}
    return flat | {f"loss.{k}": json.dumps(v) for k, v in config.get("loss", {}).items()}


def holds_a_run(out: Path) -> bool:
    """True if `out` holds a checkpoint or weights of a run (a crash before the first checkpoint leaves neither)."""
    return (out / "last.ckpt").exists() or any(out.glob("*.safetensors"))


# What a run leaves before its first checkpoint: TensorBoard's folder and wandb's. A new run may start there.
LOG_FOLDERS = ("tb", "wandb")


def check_new_run_folder(out: Path) -> None:
    """TempoError unless a new run can start in `out`: a new or empty folder, or one holding only `LOG_FOLDERS` and
    the .tmp files of a run killed while saving."""
    if holds_a_run(out):
        raise TempoError(f"{out} already holds a run: --resume continues it; give another --out to start a new one")
    if out.exists() and not out.is_dir():
        raise TempoError(f"--out {out} is an existing file, not a folder")
    entries = out.iterdir() if out.exists() else ()
    others = sorted(p.name for p in entries if p.name not in LOG_FOLDERS and p.suffix != ".tmp")
    if others:
        held = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise TempoError(f"{out} is not empty (it holds {held}): give --out a new or empty folder")


def _saved_note(out: Path) -> str:
    """Where a run's weights are."""
    best = out / "best.safetensors"
    return f"weights in {out / 'last.safetensors'}" + (f" and {best} (best validation)" if best.exists() else "")


def _stopped_note(step: int, saved: int, out: Path) -> str:
    """What a run stopped at `step` leaves, its checkpoint holding step `saved` (0: none)."""
    if not saved:
        return f"stopped at step {step}; nothing saved"
    return f"stopped at step {step}; {out / 'last.ckpt'} goes on from step {saved} (--resume), {_saved_note(out)}"


def _quiet(_line: str) -> None:
    """What ranks other than 0 say."""


def _initialise(model: Tempo, weights: str) -> str:
    """Load `weights` into `model` (tensors it lacks start as they are); the line that says so."""
    changed = load_weights(model, weights, partial=True)
    trained_as = read_config(weights).name
    other = f", weights of {trained_as}" if trained_as != model.config.name else ""
    return f"initialised from {weights}" + (f" ({len(changed)} tensors new or dropped{other})" if changed else "")


def resume_state(path: Path, model: Tempo, config: TrainConfig) -> dict[str, Any]:
    """The checkpoint a resumed run goes on from, read before the run's data: TempoError if it holds another model
    or `train_only`, or is at `config.steps` already."""
    state = load_checkpoint(path, model.config.to_json())
    trained_then = tuple(train_config_of(state, path).get("train_only", ()))
    if trained_then != config.train_only:
        raise TempoError(f"{path} trained train_only={list(trained_then)}, not {list(config.train_only)}")
    step = int(state["step"])
    if step >= config.steps:
        raise TempoError(f"{path} is at step {step} already: give --steps above {step} to train on")
    return state


def make_optimizer(model: Tempo, config: TrainConfig) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over `parameter_groups` and its schedule: warm-up, then cosine down to `min_lr`."""
    groups = parameter_groups(model, config.lr, config.motion_lr_scale)
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    floor = config.min_lr / config.lr
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, config.warmup, config.steps, floor))
    return optimizer, scheduler


def load_optimizer_state(
    optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LambdaLR, state: dict[str, Any]
) -> None:
    """Load a checkpoint's optimizer and schedule, keeping this run's peak learning rates and weight decay (the state
    holds those it was saved with) at the rate this run's schedule gives the step reached."""
    options = [(group["initial_lr"], group["weight_decay"]) for group in optimizer.param_groups]
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scheduler.base_lrs = [peak for peak, _ in options]
    for group, (peak, decay), factor in zip(optimizer.param_groups, options, scheduler.lr_lambdas, strict=True):
        group.update(initial_lr=peak, lr=peak * factor(scheduler.last_epoch), weight_decay=decay)


def train(
    config: TrainConfig,
    echo: Callable[[str], None] = print,
    progress: Callable[[int, int], None] | None = None,
    warn: Warn | None = None,
) -> TrainResult:
    """Run (or resume) training; `progress(step, steps)` is called after every step, `warn` hears of data left out
    (default: `echo` "warning: ..."). Only rank 0 speaks.

    An interrupt or an error of the data, validation or saving first saves the steps trained since the last
    checkpoint."""
    rank, world = _distributed()
    say = echo if rank == 0 else _quiet
    tell = (warn or (lambda line: echo(f"warning: {line}"))) if rank == 0 else _quiet
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    out = Path(config.out)
    ckpt_path = out / "last.ckpt"
    if rank == 0 and not config.resume:
        check_new_run_folder(out)
    model = create_model(config.model)
    state = resume_state(ckpt_path, model, config) if config.resume else None
    if config.init and not config.resume:  # a resumed run's checkpoint holds all its weights
        say(_initialise(model, config.init))
    if config.train_only:
        say(f"training {freeze_all_but(model, config.train_only):,} parameters under {', '.join(config.train_only)}")
    whole_videos = whole_frame_videos(config.val_data, config.val_whole_windows, config.val_whole_kinds)
    sources = build_sources(config.data, config.crop, config.images, config.exclude, config.source_options(), tell)
    val_sources = validation_sources(config, sources, tell)
    val = validation_batches(val_sources, config.val_samples, config.batch_size, seed=1234) if rank == 0 else []
    ema = averaged_model(model, config.ema_decay)
    ema_model = ema.module
    assert isinstance(ema_model, Tempo)
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
    optimizer, scheduler = make_optimizer(model, config)
    step, best = 0, -math.inf
    metric = selection_metric(config.to_dict())
    if state is not None:
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        load_optimizer_state(optimizer, scheduler, state)
        step, best = int(state["step"]), float(state["best"])
        say(f"resumed {ckpt_path} at step {step}")
        config_then = train_config_of(state, ckpt_path)
        differences = changed_options(config_then, config.to_dict())
        if differences:
            say(f"options changed since the checkpoint: {differences}")
        if selection_metric(config_then) != metric:
            best = -math.inf
            say(f"the best checkpoint is now picked by {metric} PSNR; the best so far is forgotten")
    spec = BatchSpec(
        batch_size=config.batch_size,
        long_context_prob=config.long_context_prob,
        extrapolate_prob=config.extrapolate_prob,
        teacher_flow=config.loss.distill > 0,
    )
    dataset = MixedBatches(sources, spec, seed=config.seed + step, rank=rank)
    loader = DataLoader(
        dataset, batch_size=None, num_workers=config.workers, worker_init_fn=end_workers_quietly_on_stop_signals
    )
    logger = RunLogger(out, enabled=rank == 0, wandb=config.wandb, config=config.to_dict())
    amp = autocast_dtype(config.precision)
    perceptual = load_lpips(say) if config.loss.lpips else None
    model.train()
    batches = _batches(loader)
    scores: dict[str, float] = {}
    tick, seen = time.perf_counter(), 0
    first = saved = step

    def save_run(with_weights: bool = True) -> None:
        """The checkpoint to resume from, and the EMA weights beside it (unless just written), at the current step."""
        nonlocal saved
        state = {
            "model": model.state_dict(),
            "ema": ema.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "step": step,
            "best": best,
            "model_config": model.config.to_json(),
            "train_config": json.dumps(config.to_dict()),
        }
        save_checkpoint(ckpt_path, state)
        saved = step
        if with_weights:
            save_weights(ema_model, out / "last.safetensors", extra={"step": str(step)})

    if config.warmup > config.steps:
        say(f"warmup ({config.warmup} steps) outlasts the run: the learning rate stays below {config.lr:g}")
    say(f"TensorBoard logs in {out / 'tb'}")
    note = short_window_note(config.data, sources, config.long_context_prob)
    if note:
        say(note)
    say(validation_note(config))
    try:
        while step < config.steps:
            optimizer.zero_grad(set_to_none=True)
            terms: dict[str, Tensor] = {}
            for _ in range(config.accumulate):
                batch = next(batches)
                teacher = (batch["teacher_flow"], batch["teacher_error"]) if "teacher_flow" in batch else None
                with torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None):
                    pred, aux = net(batch["frames"], batch["anchor_times"], batch["target_time"], teacher is not None)
                terms = synthesis_loss(
                    pred.float(), batch["target"], aux, batch["is_cut"], config.loss, perceptual, teacher
                )
                share = terms["total"] / config.accumulate
                if share.requires_grad:  # not so for a batch of cuts while train_only leaves the cut detector frozen
                    share.backward()
                seen += batch["frames"].shape[0]
            grad_norm = nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            scheduler.step()
            ema.update_parameters(model)
            step += 1
            if progress is not None and rank == 0:
                progress(step, config.steps)
            if rank == 0 and step % config.log_every == 0:
                rate = seen * world / (time.perf_counter() - tick)
                tick, seen = time.perf_counter(), 0
                logger.scalars(step, {f"loss/{k}": float(v.detach()) for k, v in terms.items()})
                lr_now = float(scheduler.get_last_lr()[-1])
                logger.scalars(step, {"lr": lr_now, "grad_norm": float(grad_norm), "samples_per_s": rate})
                echo(f"step {step} loss {float(terms['total'].detach()):.4f} lr {lr_now:.2e} {rate:.1f} samples/s")
            validating = rank == 0 and (step % config.val_every == 0 or step == config.steps)
            if validating:
                scores = validate(ema_model, val, amp)
                if whole_videos:
                    windows, side, kinds = config.val_whole_windows, config.val_whole_side, config.val_whole_kinds
                    scores |= whole_frame_scores(ema_model, whole_videos, windows, side, amp, kinds)
                logger.scalars(step, {f"val/{k}": v for k, v in scores.items()})
                logger.samples(step, ema_model, val[0], amp)
                echo(f"step {step} val " + " ".join(f"{k} {v:.2f}" for k, v in scores.items()))
                score = selection_score(scores)
                if score > best:
                    best = score
                    extra = {"step": str(step), "val_psnr": f"{best:.3f}", "val_metric": metric}
                    save_weights(ema_model, out / "best.safetensors", extra=extra)
                save_weights(ema_model, out / "last.safetensors", extra={"step": str(step)})
            if rank == 0 and (step % config.ckpt_every == 0 or step == config.steps):
                save_run(with_weights=not validating)  # validation has just written last.safetensors
    except (KeyboardInterrupt, TempoError, OSError):
        if rank == 0 and step > saved:
            with contextlib.suppress(TempoError, OSError):  # what stopped the run is the error to report
                save_run()
        if step > first:
            say(_stopped_note(step, saved, out))
        raise
    finally:
        batches.close()  # ends the loader's workers now: at interpreter exit, torch leaves them running
        logger.close()
    say(f"done at step {step}; {_saved_note(out)}")
    if dist.is_initialized():
        dist.barrier()
    return TrainResult(model, ema_model, scores)
