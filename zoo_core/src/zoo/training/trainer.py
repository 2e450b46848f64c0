"""The trainer every family shares: its recipe picks losses, n_critic, learning rates, EMA, regularisers.

Every random draw of step ``s`` is seeded from (seed, s, rank), and batches come from a
``DistributedSampler`` schedule indexed by step, so a killed-and-resumed run ends with the same
weights as an uninterrupted one. Rank 0 alone writes; checkpoints are atomic.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo.checkpoint import load_training_state, save_training_state
from zoo.data import dataset_fingerprint
from zoo.errors import Interrupted, ZooError
from zoo.files import write_atomically
from zoo.hardware import bf16_choice
from zoo.images import make_grid, save_png, to_uint8
from zoo.interfaces import Loss, Regulariser
from zoo.losses import orthogonal_regularisation
from zoo.seeds import init_seed
from zoo.specs import ArchitectureSpec, import_object
from zoo.training import distributed
from zoo.training.augment import diff_augment, parse_policy
from zoo.training.data import random_flip, to_float
from zoo.training.export import export_generator, recalibrate_batchnorm, update_ema
from zoo.training.plots import QUALITY_PLOT, plot_quality, plot_training
from zoo.training.settings import CHECKPOINT, RUN_CONFIG, TrainSettings
from zoo.training.signals import stop_requests
from zoo.training.streaming import Batches, open_batches
from zoo.training.timeline import PROGRESS, log_lines, logged_seconds, read_progress

Fakes = tuple[torch.Tensor, torch.Tensor | None] | None  # generated images with G's graph, their labels


def _step_seed(seed: int, step: int, rank: int) -> int:
    """A distinct, reproducible seed per (run seed, step, rank)."""
    return (seed * 1_000_003 + step) * 1_009 + rank


def _finite(module: torch.nn.Module) -> bool:
    """Whether every parameter and buffer of ``module`` is finite (a step can leave NaN with finite losses)."""
    tensors = [*module.parameters(), *module.buffers()]
    return all(bool(torch.isfinite(t).all()) for t in tensors if t.is_floating_point())


def _component(setting: str, name: str, base: type) -> Any:
    """Instantiate the registered loss or regulariser ``name``; a loss given as a regulariser (or back) is refused."""
    from zoo.registry import get_registry

    registry = get_registry()
    component = import_object(registry.component("losses", name).builder)()
    if not isinstance(component, base):
        fitting = sorted(n for n, spec in registry.losses.items() if issubclass(import_object(spec.builder), base))
        raise ZooError(f"{setting}={name!r} is not a {base.__name__}: choose one of {', '.join(fitting)}")
    return component


def ema_lag_note(settings: TrainSettings, step: int) -> str | None:
    """Why a short run's grid can show noise: the EMA generator still holds much of its step-0 weights."""
    averaged = max(0, step - settings.ema_start)
    held = settings.ema_decay**averaged if settings.ema_decay > 0 else 0.0
    if held < 0.1:
        return None
    return (
        f"the exported generator is an EMA (decay {settings.ema_decay}) that still holds {held:.0%} of its "
        f"step-{settings.ema_start} weights at step {step}, so its samples look like noise: train longer, or for "
        f"short runs --set ema_decay=0.99 (or ema_start=N to average only from step N)"
    )


class Trainer:
    """Owns the networks, optimisers and run directory of one training run."""

    def __init__(
        self,
        arch: ArchitectureSpec,
        settings: TrainSettings,
        data: str,
        out: Path,
        *,
        device: str = "auto",
        quiet: bool = False,
        command: str = "",
        data_sha256: str | None = None,
    ) -> None:
        self._open_run(arch, settings, data, out, device, quiet, command, data_sha256)
        self.G_train = distributed.wrap(self.G, self.context)
        self.D_train = distributed.wrap(self.D, self.context)
        # A batch-norm D that sees real and fake in one batch normalises each by the other's statistics;
        # the G step then shows it an all-fake batch it has never seen, and both losses fall to ~0 while
        # G learns nothing (measured: DCGAN at 64 px, d_loss 5e-5 and g_loss 1e-4 by step 100). Such a D
        # gets separate real and fake batches, as in Radford et al.'s and the PyTorch tutorial's loop.
        self.separate_d_batches = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in self.D.modules())
        self.loss = _component("loss", settings.loss, Loss)
        self.regulariser = None
        if settings.regulariser:
            self.regulariser = _component("regulariser", settings.regulariser, Regulariser)
        try:
            self.policy = parse_policy(settings.diffaug)
        except ValueError as exc:
            raise ZooError(str(exc)) from None
        self.num_classes = self.G.num_classes

    def _open_run(
        self,
        arch: ArchitectureSpec,
        settings: TrainSettings,
        data: str,
        out: Path,
        device: str,
        quiet: bool,
        command: str,
        data_sha256: str | None,
    ) -> None:
        """What every trainer shares: the run's records, the process group, G, D, G's EMA, optimisers, evaluator.

        Wrapping for DDP is left to each trainer: it wraps the modules whose forward it calls.
        """
        from zoo.api import build

        self.arch, self.settings, self.data_path, self.out, self.quiet = arch, settings, data, Path(out), quiet
        self.command = command
        if data_sha256 is None and Path(data).exists():  # a file or image folder; not a torchvision: spec
            data_sha256 = dataset_fingerprint(data)  # before any rank waits on another: a big folder takes a while
        self.data_sha256 = data_sha256
        self.context = distributed.init_distributed(device)
        torch.manual_seed(init_seed(settings.seed))  # same initial weights on every rank and every restart
        handle = build(arch.name, **settings.model)
        if handle.discriminator is None:
            raise ZooError(f"{arch.name} registers no discriminator, so it cannot be trained adversarially")
        memory_format = torch.channels_last if settings.channels_last else torch.contiguous_format
        self.G = handle.generator.to(self.context.device, memory_format=memory_format)
        self.D = handle.discriminator.to(self.context.device, memory_format=memory_format)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.bf16, self.precision_note = bf16_choice(settings.bf16, self.context.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), settings.lr_g, betas=settings.betas_g)
        self.opt_d = torch.optim.Adam(self.D.parameters(), settings.lr_d, betas=settings.betas_d)
        self.classes: tuple[str, ...] = ()  # the data's class names, recorded in the exported weights
        self.step = 0
        self.resumed = False
        self.train_seconds = 0.0  # wall-clock of every leg so far (a resume adds its own), for quality-vs-time
        self.evaluator = None
        if settings.eval_every:
            from zoo.training.evaluation import TrainingEvaluator

            self.evaluator = TrainingEvaluator(
                self.out, data, settings.eval_metrics, settings.eval_n, settings.eval_extractor,
                settings.best_metric, quiet, task=arch.task,
            )  # fmt: skip

    # ---- state -----------------------------------------------------------------------------

    def _modules(self) -> dict[str, torch.nn.Module]:
        return {"generator": self.G, "discriminator": self.D, "generator_ema": self.G_ema}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def resume(self) -> None:
        """Load the run's last checkpoint and drop log lines written after it."""
        path = self.out / CHECKPOINT
        from zoo.weights import read_config

        family, _ = read_config(path)
        if family != self.arch.name:
            raise ZooError(f"{self.out} is a {family} run; it cannot be resumed as {self.arch.name}")
        progress = load_training_state(path, modules=self._modules(), optimizers=self._optimizers())
        self.step = int(progress["step"])
        self.resumed = True
        self._set_learning_rates()  # the saved optimiser state carries the old rates; --set may lower them
        if self.evaluator is not None and self.context.is_main:
            self.evaluator.restore(self.step)
        log = self.out / PROGRESS
        kept = [(line, record) for line, record in log_lines(log) if record["step"] <= self.step]
        # The log, not the checkpoint, keeps the clock: checkpoints stay the same bytes however the run was split.
        self.train_seconds = logged_seconds([r for _, r in kept], self.settings.batch_size * self.context.world)
        if self.context.is_main and log.exists():
            write_atomically(log, lambda p: p.write_text("".join(line + "\n" for line, _ in kept)))

    def _set_learning_rates(self) -> None:
        """The settings' rates, scaled by the decay schedule at the current step."""
        s = self.settings
        start = s.lr_decay_from * s.steps
        decaying = max(0.0, self.step - start) / (s.steps - start) if s.lr_decay else 0.0
        scale = 1.0 - decaying
        for optimizer, rate in ((self.opt_g, s.lr_g), (self.opt_d, s.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = rate * max(scale, 0.0)

    def save(self) -> None:
        """Checkpoint (resumable state) and the exported EMA generator, both atomically, rank 0 only."""
        bad = [name for name, module in self._modules().items() if not _finite(module)]
        if bad:
            raise ZooError(self._diverged(f"the {' and '.join(bad)} weights became non-finite at step {self.step}"))
        if self.context.is_main:
            save_training_state(
                self.out / CHECKPOINT,
                family=self.arch.name,
                config=self.settings.model,
                modules=self._modules(),
                optimizers=self._optimizers(),
                progress={"step": self.step},
            )
            export_generator(
                self.G_ema,
                self.out / "model.safetensors",
                self.arch.name,
                self.settings.model,
                classes=self.classes,
                step=self.step,
            )
        distributed.barrier(self.context)

    # ---- one step --------------------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager:
        return torch.autocast(self.context.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def _real_batch(self, batches: Batches, index: int, gen: torch.Generator):
        images, labels = batches.batch(index)
        x = to_float(images)
        if self.settings.flip:
            x = random_flip(x, gen)
        y = labels.to(self.context.device) if labels is not None else None
        memory_format = torch.channels_last if self.settings.channels_last else torch.contiguous_format
        return x.to(self.context.device).contiguous(memory_format=memory_format), y

    def _latents(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        z = self.G.sample_latents(n, gen).to(self.context.device)
        y = torch.randint(self.num_classes, (n,), generator=gen).to(self.context.device) if self.num_classes else None
        return z, y

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.policy) if self.policy else x

    def _d_step(self, real: torch.Tensor, y_real, gen: torch.Generator, keep_fakes: bool) -> tuple[dict, Fakes]:
        """One critic update: real and fake share one forward; penalty inputs other than the reals get their own.

        A separate forward keeps the penalty's double backward to the images it needs (1.8× faster
        for WGAN-GP than differentiating through the whole concatenated batch). With ``keep_fakes``
        G runs with its graph kept and the fakes are returned for G's step; D sees them detached.
        """
        s = self.settings
        z, y_fake = self._latents(real.shape[0], gen)
        with torch.set_grad_enabled(keep_fakes), self._autocast():
            generated = self.G_train(z, y_fake)
        fake = generated.detach().float()
        reg_active = self.regulariser is not None and s.reg_weight > 0 and self.step % s.reg_every == 0
        reg_inputs = None
        if reg_active:
            real = real.detach().requires_grad_(True)
            reg_inputs = self.regulariser.inputs(real, fake)
        with self._autocast():
            if self.separate_d_batches:
                real_logits = self.D_train(self._augment(real), y_real).float()
                fake_logits = self.D_train(self._augment(fake), y_fake).float()
            else:
                labels = None if y_real is None else torch.cat([y_real, y_fake])
                logits = self.D_train(self._augment(torch.cat([real, fake])), labels).float()
                real_logits, fake_logits = logits.split([real.shape[0], fake.shape[0]])
        loss = self.loss.d_loss(real_logits, fake_logits)
        stats = {"d_loss": loss.detach()}
        if reg_active:
            if reg_inputs is real:
                reg_logits = real_logits
            else:
                with self._autocast():
                    reg_logits = self.D_train(self._augment(reg_inputs), y_fake).float()
            penalty = self.regulariser.penalty(reg_inputs, reg_logits)
            loss = loss + s.reg_weight * s.reg_every * penalty
            stats[f"{s.regulariser}"] = penalty.detach()
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return stats, ((generated, y_fake) if keep_fakes else None)

    def _g_step(self, gen: torch.Generator, fakes: Fakes) -> dict[str, Any]:
        """One generator update on ``fakes`` (or fresh ones); ``ortho_weight`` > 0 adds BigGAN's orthogonal term."""
        if fakes is None:
            z, y = self._latents(self.settings.batch_size, gen)
            with self._autocast():
                fakes = self.G_train(z, y), y
        generated, y = fakes
        with self._autocast():
            loss = self.loss.g_loss(self.D_train(self._augment(generated), y).float())
        stats = {"g_loss": loss.detach()}
        if self.settings.ortho_weight > 0:
            penalty = orthogonal_regularisation(self.G)
            loss = loss + self.settings.ortho_weight * penalty
            stats["ortho"] = penalty.detach()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return stats

    def _update_ema(self) -> None:
        update_ema(self.G_ema, self.G, self.settings.ema_decay if self.step >= self.settings.ema_start else 0.0)

    def train_step(self, batches: Batches) -> dict[str, float]:
        """n_critic D updates, one G update (on the last D update's fakes by default), the EMA; seeded by step."""
        if self.settings.lr_decay:
            self._set_learning_rates()
        seed = _step_seed(self.settings.seed, self.step, self.context.rank)
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        stats: dict[str, Any] = {}
        fakes = None
        for k in range(self.settings.n_critic):
            real, y = self._real_batch(batches, self.step * self.settings.n_critic + k, gen)
            last = k == self.settings.n_critic - 1
            d_stats, fakes = self._d_step(real, y, gen, keep_fakes=last and self.settings.reuse_fakes)
            stats.update(d_stats)
        stats.update(self._g_step(gen, fakes))
        self._update_ema()
        values = {key: float(value) for key, value in stats.items()}
        finite = all(math.isfinite(v) for v in values.values())
        if not distributed.all_ranks(finite, self.context):  # every rank stops together, none waits forever
            raise ZooError(self._diverged(f"losses became non-finite at step {self.step + 1} ({values})"))
        self.step += 1
        return values

    def _diverged(self, what: str) -> str:
        """The one-line message of a diverged run: what happened and how to go on from what is saved."""
        if (self.out / CHECKPOINT).exists():
            return (
                f"{what}; the last good checkpoint in {self.out} is kept: resume it with lower rates, "
                "e.g. --resume --set lr_g=… --set lr_d=… (or a larger reg_weight)"
            )
        return f"{what}, before the first checkpoint: start again with lower lr_g/lr_d or a regulariser"

    # ---- the loop --------------------------------------------------------------------------

    def _start_records(self) -> None:
        """Write train_config.json (a resume keeps the first command and adds its own) and clear stale files."""
        for leftover in [*self.out.glob(".*.tmp"), *self.out.glob("samples/.*.tmp")]:
            leftover.unlink(missing_ok=True)  # atomic writes cut short by a kill
        record = {
            "family": self.arch.name,
            "data": self.data_path,
            "command": self.command,
            "settings": json.loads(self.settings.to_json()),
            "classes": list(self.classes),
        }
        if self.resumed:
            previous = json.loads((self.out / RUN_CONFIG).read_text())
            for key in ("command", "data", "data_sha256"):  # the first run's; a resume's --data is in its command
                if key in previous:
                    record[key] = previous[key]
            record["resumed"] = [*previous.get("resumed", []), {"step": self.step, "command": self.command}]
        else:
            if self.data_sha256:
                record["data_sha256"] = self.data_sha256  # what --resume and zoo push check against
            (self.out / PROGRESS).unlink(missing_ok=True)  # a log left by an earlier run that never checkpointed
        write_atomically(self.out / RUN_CONFIG, lambda p: p.write_text(json.dumps(record, indent=2)))

    def _fixed_inputs(self) -> Any:
        """What every sample grid of the run draws from: 64 latents (and labels) from a fixed seed."""
        return self._latents(64, torch.Generator().manual_seed(1234))

    def _samples(self, fixed: tuple[torch.Tensor, torch.Tensor | None]) -> None:
        """Grid of the EMA generator on fixed latents, plus the loss-curve PNG.

        Batch norm gets standing statistics first, as the exported weights do: the running statistics
        the EMA copies from G were never produced by the EMA's own weights (a 64 px DCGAN's grid was flat grey).
        """
        (self.out / "samples").mkdir(exist_ok=True)
        save_png(self.out / "samples" / f"step-{self.step:06d}.png", self._sample_grid(fixed))
        records = read_progress(self.out)
        if len(records) > 1:
            plot_training(self.out / "loss.png", records)

    def _sample_grid(self, fixed: tuple[torch.Tensor, torch.Tensor | None]) -> np.ndarray:
        """The EMA generator's images of ``fixed``, 8 per row, as one uint8 (H, W, C) grid."""
        generator = self.G_ema
        if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in generator.modules()):
            generator = copy.deepcopy(generator)
            recalibrate_batchnorm(generator, batches=2)
            generator.eval()
        with torch.no_grad():
            images = generator(*fixed)
        return make_grid(to_uint8(images).numpy(), nrow=8)

    def _evaluate(self, bar: Any) -> None:
        """Evaluate the weights just exported, log the values beside the losses and say them in one line."""
        assert self.evaluator is not None
        record = self.evaluator.evaluate(self.step) | {"hours": round(self.train_seconds / 3600, 4)}
        with open(self.out / PROGRESS, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        records = read_progress(self.out)
        plot_quality(self.out / QUALITY_PLOT, records, images_per_step=self.settings.batch_size * self.context.world)
        line = self.evaluator.summary(record)
        if self.quiet:
            print(line, flush=True)
        else:
            bar.write(line, file=sys.stderr)

    def _evaluated_at(self, step: int) -> bool:
        """Whether progress.jsonl already holds an evaluation of ``step`` (a resume need not redo it)."""
        log = self.out / PROGRESS
        return any(r.get("step") == step and "eval" in r for _, r in log_lines(log))

    def _interrupted_message(self, signal_name: str) -> str:
        """One line: where the run stopped, and the command that continues it."""
        command = self.command or f"zoo train {self.arch.name} --data DATA --out {self.out}"
        resume = command if "--resume" in command.split() else f"{command} --resume"
        return f"stopped by {signal_name} at step {self.step}; checkpoint saved in {self.out}: continue with {resume}"

    def run(self, until: int | None = None) -> Path:
        """Train to ``settings.steps`` (or stop at ``until``, checkpointed); return the exported weights.

        ``until`` stops early without changing the schedule (the rate decay still ends at ``steps``),
        so a run trained in sessions with ``--resume`` equals one trained straight through.
        """
        s = self.settings
        rank, world = self.context.rank, self.context.world
        batches = open_batches(self.data_path, self.G.resolution, self.G.channels, self.num_classes, s, rank, world)
        if batches.classes and len(batches.classes) != self.num_classes:
            raise ZooError(
                f"{self.data_path} names {len(batches.classes)} classes but the model has {self.num_classes}: "
                f"pass --set model.num_classes={len(batches.classes)}"
            )
        self.classes = batches.classes
        try:
            return self._run(batches, until)
        finally:
            batches.close()

    def _run(self, batches: Batches, until: int | None) -> Path:
        from tqdm import tqdm

        s = self.settings
        fixed = self._fixed_inputs()
        main = self.context.is_main
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            self._start_records()
            if not self.quiet:
                print(f"precision: {self.precision_note}", file=sys.stderr, flush=True)
                print(f"data: {batches.description}", file=sys.stderr, flush=True)
        bar = tqdm(
            total=s.steps, initial=self.step, disable=self.quiet or not main, desc=self.arch.name, dynamic_ncols=True
        )
        started, start_step, earlier_legs = time.perf_counter(), self.step, self.train_seconds
        stop = min(s.steps, until or s.steps)
        evaluating = self.evaluator is not None and main
        if evaluating and self.step and self.step % s.eval_every == 0 and not self._evaluated_at(self.step):
            self._evaluate(bar)  # the run was stopped after this step's checkpoint, before its evaluation
        with stop_requests(enabled=not self.context.distributed) as request:
            while self.step < stop:
                values = self.train_step(batches)
                bar.update(1)
                # One reading of the signal flag per step: a signal landing later in this step is handled
                # at the next one, so "checkpoint saved" is always true when the run stops.
                signalled = request.signal_number is not None
                done = self.step == stop or signalled
                elapsed = time.perf_counter() - started
                self.train_seconds = earlier_legs + elapsed
                rate = (self.step - start_step) * s.batch_size * self.context.world / elapsed
                if main and (self.step % s.log_every == 0 or done):
                    record = {"step": self.step, **{k: round(v, 5) for k, v in values.items()}}
                    timing = {"img_per_s": round(rate, 1), "hours": round(self.train_seconds / 3600, 4)}
                    with open(self.out / PROGRESS, "a") as handle:
                        handle.write(json.dumps(record | timing) + "\n")
                    bar.set_postfix({k: f"{v:.3f}" for k, v in values.items()} | {"img/s": f"{rate:.0f}"})
                due_eval = s.eval_every > 0 and self.step % s.eval_every == 0
                if main and (self.step % s.sample_every == 0 or done):
                    self._samples(fixed)  # before the checkpoint that records this step: a kill never loses it
                if self.step % s.checkpoint_every == 0 or done or due_eval:
                    self.save()
                    if main and self.quiet:  # --quiet keeps the milestones, one line per checkpoint
                        losses = " ".join(f"{k}={v:.3f}" for k, v in values.items())
                        print(f"step {self.step}/{s.steps}: checkpoint saved ({losses}, {rate:.0f} img/s)", flush=True)
                if evaluating and due_eval:
                    self._evaluate(bar)
                if signalled:
                    bar.close()
                    raise Interrupted(self._interrupted_message(request.name), request.signal_number)
        bar.close()
        note = ema_lag_note(s, self.step)
        if main and note:
            print(f"note: {note}", file=sys.stderr, flush=True)
        distributed.barrier(self.context)  # every rank returns once rank 0 has written the final files
        return self.out / "model.safetensors"
