"""The training loop of the main job: ``fit`` a model, ``evaluate`` it, checkpoint it.

Small on purpose, so a learner can read a whole epoch at once:

    for each epoch:
        for each batch: forward, loss, backward, optimizer step       (no host sync)
        read the epoch's summed loss once (.item())
        evaluate on the held-out split (one host read)
        step the lr scheduler; record history; call the callbacks; maybe stop early

Note [One sync per epoch]: on an accelerator every read of a device value by the host is a
synchronisation. The step therefore never calls ``.item()``: the epoch's loss is summed on
the device and read once, and evaluation sums its numbers on the device and reads them in
one ``tolist()``. ``test_fit_step_moves_nothing_but_the_batch`` counts the transfers.

Note [Loop state]: everything that a resumed run needs (model, optimizer, scheduler, the
random number generators, epoch, history) is collected by ``FitState.state_dict()`` and
restored by ``FitState.load_state_dict()`` (``fit(resume_from=...)``). Callbacks receive the
``FitState`` after every epoch, which is where checkpointing hooks in.

Layer: above ``nn``, ``optim`` and ``data``; below the scenarios, ``runner`` and the CLI. The
loop knows models, optimizers and data, never a scenario: it must not import
``nanotorch.scenarios`` or ``nanotorch.runner`` (tests/unit/test_layers.py).
Running a named scenario, and the policy for a run's checkpoint folder, live in ``runner``.
"""

from __future__ import annotations

import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
from tqdm import tqdm

from nanotorch.autograd import no_grad
from nanotorch.backend import Device
from nanotorch.backend import device as _device
from nanotorch.creation import as_tensor, full
from nanotorch.dtypes import float64
from nanotorch.nn.utils import clip_grad_norm_
from nanotorch.ops import stack
from nanotorch.random import default_generator
from nanotorch.tensor import Tensor

if TYPE_CHECKING:
    from nanotorch.data import DataLoader

# ----------------------------------------------------------------------------------- metrics


class Accuracy:
    """Fraction of rows whose largest output is the target class."""

    higher_is_better = True

    def __init__(self) -> None:
        self.correct: Tensor | None = None

    def update(self, output: Tensor, target: Tensor) -> None:
        hits = (output.argmax(dim=1) == target).sum().float()
        self.correct = hits if self.correct is None else self.correct + hits

    def parts(self) -> list[Tensor]:
        assert self.correct is not None
        return [self.correct]

    @staticmethod
    def compute(parts: Sequence[float], n: int) -> float:
        return parts[0] / n


class R2Score:
    """Coefficient of determination, ``1 - SSE / SST``, from sums kept on the device."""

    higher_is_better = True

    def __init__(self) -> None:
        self.sums: list[Tensor] | None = None

    def update(self, output: Tensor, target: Tensor) -> None:
        # float64 sums: SST = sum(y^2) - sum(y)^2 / n cancels badly in float32.
        out, y = output.double(), target.double()
        new = [((out - y) ** 2).sum(), y.sum(), (y * y).sum()]
        self.sums = new if self.sums is None else [a + b for a, b in zip(self.sums, new)]

    def parts(self) -> list[Tensor]:
        assert self.sums is not None
        return self.sums

    @staticmethod
    def compute(parts: Sequence[float], n: int) -> float:
        sse, total, squares = parts
        sst = squares - total * total / n
        return 1.0 - sse / sst if sst > 0 else float("nan")


class TokenNLL:
    """Mean negative log-likelihood of the targets per predicted token, in nats (lower is
    better): the cross-entropy of logits ``(..., vocab)`` against token ids ``(...)``,
    summed over every position and divided by the number of positions. For a character
    model it is the held-out loss in nats per character (``exp`` of it is the perplexity).
    """

    higher_is_better = False

    def __init__(self) -> None:
        self.total: Tensor | None = None
        self.count = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        from nanotorch.nn.functional import cross_entropy

        logits = output.reshape(-1, output.shape[-1])
        nll = cross_entropy(logits, target.reshape(-1), reduction="sum").double()
        self.total = nll if self.total is None else self.total + nll
        self.count += target.numel()

    def parts(self) -> list[Tensor]:
        assert self.total is not None
        return [self.total]

    def compute(self, parts: Sequence[float], n: int) -> float:
        return parts[0] / self.count


METRICS: dict[str, type[Accuracy] | type[R2Score] | type[TokenNLL]] = {
    "accuracy": Accuracy,
    "r2": R2Score,
    "nll": TokenNLL,
}


@dataclass(frozen=True)
class Criterion:
    """Success: the held-out ``metric`` reaches ``threshold``.

    >>> Criterion("accuracy", 0.97).met(0.975), str(Criterion("accuracy", 0.97))
    (True, 'accuracy >= 0.97')
    """

    metric: str
    threshold: float

    def met(self, value: float) -> bool:
        if METRICS[self.metric].higher_is_better:
            return value >= self.threshold
        return value <= self.threshold

    def __str__(self) -> str:
        sign = ">=" if METRICS[self.metric].higher_is_better else "<="
        return f"{self.metric} {sign} {self.threshold:g}"


def _metric(name: str) -> Accuracy | R2Score | TokenNLL:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; choose one of: {', '.join(METRICS)}")
    return METRICS[name]()


# -------------------------------------------------------------------------------- evaluation


def evaluate(
    model: Any, loader: DataLoader, loss_fn: Callable[[Tensor, Tensor], Tensor], metric: str
) -> tuple[float, float]:
    """Mean loss and ``metric`` of ``model`` over ``loader``, with one host read in all."""
    scorer = _metric(metric)
    was_training = model.training
    model.eval()
    loss_sum: Tensor | None = None
    n = 0
    with no_grad():
        for inputs, target in loader:
            output = model(inputs)
            batch_loss = loss_fn(output, target) * target.shape[0]
            loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
            scorer.update(output, target)
            n += target.shape[0]
    model.train(was_training)
    if loss_sum is None:
        raise ValueError("evaluate: the loader yielded no batches")
    # Note [One sync per epoch]: every number leaves the device in one read.
    values = stack([loss_sum.double(), *(p.double() for p in scorer.parts())]).tolist()
    return values[0] / n, scorer.compute(values[1:], n)


def predict(
    model: Any, inputs: np.ndarray, device: str | Device = "cpu", batch_size: int = 4096
) -> np.ndarray:
    """The model's outputs for host ``inputs``, as a host array (for plots and reports)."""
    dev = _device(device)
    was_training = model.training
    model.eval()
    outs = []
    with no_grad():
        for start in range(0, len(inputs), batch_size):
            out = model(
                as_tensor(np.ascontiguousarray(inputs[start : start + batch_size]), device=dev)
            )
            outs.append(out.cpu().numpy())
    model.train(was_training)
    return np.concatenate(outs)


# -------------------------------------------------------------------------------- the loop


@dataclass
class History:
    """Per-epoch records; ``epoch`` counts from 1. Timings live in ``FitState``, not here,
    so that two runs with one seed have equal histories."""

    metric: str = "accuracy"
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_metric: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(**{k: (list(v) if isinstance(v, list) else v) for k, v in data.items()})


@dataclass
class FitState:
    """What the loop knows; callbacks get it after each epoch (Note [Loop state])."""

    model: Any
    optimizer: Any
    scheduler: Any
    train_loader: DataLoader
    history: History
    epoch: int = 0
    stopped_early: bool = False
    epoch_seconds: list[float] = field(default_factory=list)
    # What run this is (scenario, seed, epoch budget, device), saved with checkpoints so a
    # resume can refuse a checkpoint of another run.
    run_info: dict[str, Any] = field(default_factory=dict)

    @property
    def device(self) -> Device:
        return self.train_loader.device

    def _generators(self) -> dict[str, Any]:
        gens = {"cpu": default_generator("cpu")}
        if self.device.type != "cpu":
            gens[str(self.device)] = default_generator(self.device)
        if self.train_loader.generator is not None:
            gens["loader"] = self.train_loader.generator
        return gens

    def state_dict(self) -> dict[str, Any]:
        """Model, optimizer, scheduler, RNG states, epoch and history in one dict. Tensors
        are the live ones (as with ``Module.state_dict``): save or copy them right away."""
        sched = self.scheduler.state_dict() if self.scheduler is not None else None
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": sched,
            "rng": {name: gen.get_state() for name, gen in self._generators().items()},
            "epoch": self.epoch,
            "history": self.history.as_dict(),
            "run": dict(self.run_info),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        gens = self._generators()
        for name, gen_state in state["rng"].items():
            if name in gens:
                gens[name].set_state(gen_state)
        self.epoch = int(state["epoch"])
        self.history = History.from_dict(state["history"])


def _global_mean(loss_sum: Tensor, n: int) -> float:
    """The mean loss over every rank's samples: one all-reduce of (sum, count), one read."""
    import nanotorch.distributed as dist

    totals = stack([loss_sum.double(), full((), float(n), dtype=float64, device=loss_sum.device)])
    dist.all_reduce(totals)
    total, count = totals.tolist()
    return total / count


def _progress(total: int, initial: int, quiet: bool, file: TextIO | None) -> tqdm:
    stream = file if file is not None else sys.stderr
    # A bar only for a person watching a terminal: quiet in logs, pipes and CI.
    on_terminal = hasattr(stream, "isatty") and stream.isatty()
    return tqdm(
        total=total,
        initial=initial,
        file=stream,
        disable=quiet or not on_terminal,
        unit="batch",
        dynamic_ncols=True,
        leave=True,
    )


def fit(
    model: Any,
    optimizer: Any,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    train_loader: DataLoader,
    test_loader: DataLoader,
    *,
    epochs: int,
    metric: str = "accuracy",
    scheduler: Any = None,
    stop_when: Criterion | None = None,
    callbacks: Iterable[Callable[[FitState], None]] = (),
    quiet: bool = False,
    file: TextIO | None = None,
    resume_from: dict[str, Any] | None = None,
    run_info: dict[str, Any] | None = None,
    distributed: bool = False,
    max_grad_norm: float | None = None,
) -> FitState:
    """Train ``model`` for ``epochs`` epochs and evaluate it after each one.

    Args:
        metric: the held-out metric recorded each epoch (``accuracy``, ``r2`` or ``nll``).
        scheduler: an lr scheduler, stepped once per epoch.
        stop_when: stop early as soon as the held-out metric meets this criterion.
        callbacks: called with the ``FitState`` after every epoch (e.g. to checkpoint).
        quiet: no progress bar (there is none anyway unless ``file`` is a terminal).
        file: where the progress bar goes (default stderr).
        resume_from: a ``FitState.state_dict()``; training continues after its epoch.
        run_info: what identifies this run; stored in ``state_dict()["run"]``.
        distributed: this process is one rank of a data-parallel run (the model is a
            ``DistributedDataParallel``, the loader has a ``DistributedSampler``): the train
            loss is all-reduced so every rank records the global mean. A sampler with
            ``set_epoch`` gets the epoch before each epoch either way.
        max_grad_norm: before each step, scale the gradients so that their joint norm is at
            most this (``nn.utils.clip_grad_norm_``); None leaves them alone.
    Returns:
        the final ``FitState`` (history, epochs done, whether it stopped early).
    """
    _metric(metric)  # fail on a bad name before any work
    state = FitState(model, optimizer, scheduler, train_loader, History(metric=metric))
    state.run_info = dict(run_info or {})
    if resume_from is not None:
        state.load_state_dict(resume_from)
    steps = len(train_loader)
    set_epoch = getattr(getattr(train_loader, "sampler", None), "set_epoch", None)
    bar = _progress(epochs * steps, state.epoch * steps, quiet, file)
    with bar:
        while state.epoch < epochs:
            start = time.perf_counter()
            if set_epoch is not None:
                set_epoch(state.epoch)  # a new order each epoch, the same on every rank
            model.train()
            loss_sum: Tensor | None = None
            n = 0
            for inputs, target in train_loader:
                optimizer.zero_grad()
                loss = loss_fn(model(inputs), target)
                loss.backward()
                if max_grad_norm is not None:
                    clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                batch_sum = loss.detach() * target.shape[0]
                loss_sum = batch_sum if loss_sum is None else loss_sum + batch_sum
                n += target.shape[0]
                bar.update(1)
            if loss_sum is None:
                raise ValueError("fit: the training loader yielded no batches")
            if distributed:
                train_loss = _global_mean(loss_sum, n)
            else:
                train_loss = loss_sum.item() / n  # Note [One sync per epoch]
            test_loss, test_metric = evaluate(model, test_loader, loss_fn, metric)
            state.epoch += 1
            h = state.history
            h.epoch.append(state.epoch)
            h.train_loss.append(float(train_loss))
            h.test_loss.append(float(test_loss))
            h.test_metric.append(float(test_metric))
            h.lr.append(float(optimizer.param_groups[0]["lr"]))
            if scheduler is not None:
                scheduler.step()
            state.epoch_seconds.append(time.perf_counter() - start)
            bar.set_description(f"epoch {state.epoch}/{epochs}")
            bar.set_postfix_str(
                f"train loss {train_loss:.4f}, test loss {test_loss:.4f}, "
                f"test {metric} {test_metric:.4f}"
            )
            for callback in callbacks:
                callback(state)
            if stop_when is not None and stop_when.met(test_metric):
                state.stopped_early = True
                break
    return state


# ----------------------------------------------------------------------------- checkpoints
# Note [Exact resume]: a checkpoint holds everything the next epoch reads: weights and buffers,
# optimizer state (momentum, Adam moments, step counts), the scheduler, every random generator
# the loop draws from (shuffling, dropout) and the history. Restoring all of it makes the
# resumed epochs compute exactly what the uninterrupted run computed, bit for bit on cpu
# (tests/integration/test_resume.py). Writes are atomic (nanotorch.save), so a crash while
# saving leaves the previous checkpoint intact.

_CHECKPOINT_NAME = re.compile(r"^epoch-(\d+)\.safetensors$")


class Checkpointer:
    """A ``fit`` callback: after every epoch, save the loop state to
    ``DIR/epoch-NNNN.safetensors`` and delete all but the newest ``keep_last`` of its own.

    Its own files are the ones it wrote and the ones handed to it as ``owned`` (a resumed
    run's earlier checkpoints). It never deletes or replaces any other file, so another run's
    checkpoints in the same folder are safe (Note [A run owns its checkpoints] in
    ``runner.py``). ``last_saved`` is the newest epoch it saved (None before the first).
    """

    def __init__(
        self, directory: str | Path, keep_last: int = 3, owned: Iterable[str | Path] = ()
    ) -> None:
        if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
            raise ValueError(f"Checkpointer: keep_last must be an int >= 1, got {keep_last!r}")
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.owned: set[Path] = {Path(p) for p in owned}
        self._last_saved: int | None = None
        self._writing: tuple[int, Path] | None = None

    @property
    def last_saved(self) -> int | None:
        """The newest epoch whose file is complete on disk (None before the first).

        A Ctrl-C can arrive after ``save``'s atomic rename but before the bookkeeping that
        follows it; the file is then complete (``save`` writes a temporary file and renames
        it), so the epoch being written counts as saved once its file exists.
        """
        if self._writing is not None and self._writing[1].exists():
            return self._writing[0]
        return self._last_saved

    def __call__(self, state: FitState) -> None:
        from nanotorch.checkpoint import save
        from nanotorch.errors import CheckpointError

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # e.g. a file now stands where the folder was
            raise CheckpointError(
                f"{self.directory}: the checkpoint folder cannot be created: {exc.strerror or exc}"
            ) from None
        path = self.directory / f"epoch-{state.epoch:04d}.safetensors"
        if path.exists() and path not in self.owned:
            raise CheckpointError(
                f"{path}: a checkpoint not written by this run is in the way; a run never "
                "replaces or deletes another run's files: move it away or use another folder"
            )
        self._writing = (state.epoch, path)
        save(state.state_dict(), path)
        self.owned.add(path)
        self._last_saved = state.epoch
        self._writing = None
        mine = [p for p in checkpoint_files(self.directory) if p in self.owned]
        for old in mine[: -self.keep_last]:
            # The new checkpoint is already safe on disk: an old one that cannot be deleted
            # costs some space, not the run.
            try:
                old.unlink()
            except FileNotFoundError:
                pass  # removed meanwhile (by hand): nothing left to prune
            except OSError as exc:
                warnings.warn(
                    f"could not delete {old}, an older checkpoint of this run (keep_last="
                    f"{self.keep_last}): {exc.strerror or exc}; it is left in place",
                    stacklevel=2,
                )
                continue  # still ours: the next save tries again
            self.owned.discard(old)


def checkpoint_files(directory: str | Path) -> list[Path]:
    """The checkpoint files (``epoch-NNNN.safetensors``) in ``directory``, oldest epoch first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _CHECKPOINT_NAME.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest ``epoch-NNNN.safetensors`` in ``directory``, or None."""
    found = checkpoint_files(directory)
    return found[-1] if found else None


__all__ = [
    "METRICS",
    "Accuracy",
    "Checkpointer",
    "checkpoint_files",
    "latest_checkpoint",
    "Criterion",
    "FitState",
    "History",
    "R2Score",
    "TokenNLL",
    "evaluate",
    "fit",
    "predict",
]
