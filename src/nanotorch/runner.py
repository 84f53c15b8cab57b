"""Running a named scenario: build it, train it with ``fit``, measure before and after, and
keep its checkpoint folder safe.

``train.fit`` is a generic loop that knows models, optimizers and data but no scenario; the
scenarios know their data and recipe but not how a run is driven. This module sits above
both (DESIGN "Layers": the CLI and plots import it; ``train`` and ``scenarios`` never do).

Note [A run owns its checkpoints]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A training tool must never lose a user's checkpoints, so a run only ever touches files it
can prove are its own:

- every run has an identity, ``run_id`` (random, made when the run starts and kept when it is
  resumed), saved in each checkpoint's ``run`` entry beside its scenario, seed and budget;
- a ``Checkpointer`` deletes (prunes) or replaces only files it wrote or was handed as its
  own (``train.Checkpointer(owned=...)``), so another run's higher epoch numbers are safe;
- a fresh run refuses a folder that already holds checkpoints (``--resume`` continues them,
  ``--restart`` moves them into a dated ``previous-…`` subfolder, never deleting them);
- ``--resume`` considers only the files of the run that matches this one's scenario, seed
  and budget, and validates the whole state before anything is trained or printed;
- one run at a time: the folder is locked with ``flock`` for the run's lifetime. The kernel
  drops the lock when the process ends, however it ends, so a killed run never blocks the
  next one (a stale lock file is harmless: only the lock, not the file, matters).
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import secrets
import stat
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nanotorch.backend import Device
from nanotorch.backend import device as _device
from nanotorch.errors import CheckpointError
from nanotorch.tensor import Tensor
from nanotorch.train import (
    _CHECKPOINT_NAME,
    Checkpointer,
    FitState,
    History,
    checkpoint_files,
    evaluate,
    fit,
)

if TYPE_CHECKING:
    from nanotorch.data import DataLoader, Dataset
    from nanotorch.scenarios import Scenario

try:  # POSIX; elsewhere a run cannot lock its folder (documented in failure-modes.md)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".nanotorch.lock"
# Seeds follow PyTorch: any int in [-2**63, 2**64); a negative one means seed % 2**64.
SEED_MIN, SEED_MAX = -(2**63), 2**64 - 1


class CheckpointFolderError(RuntimeError):
    """A ``--checkpoint-dir`` that cannot be used: not a writable folder, in use by another
    run, or holding another run's checkpoints. The message says what to do instead."""


class ResumeError(ValueError):
    """A checkpoint that is not the full state of this run; nothing was trained."""


def new_run_id() -> str:
    return secrets.token_hex(8)


# ----------------------------------------------------------------------- the folder of a run


def _describe(files: list[Path]) -> str:
    return files[0].name if len(files) == 1 else f"{files[0].name} … {files[-1].name}"


class CheckpointFolder:
    """A run's ``--checkpoint-dir``: checked writable, locked for the run's lifetime, and the
    policy of Note [A run owns its checkpoints].

    >>> import tempfile
    >>> with CheckpointFolder(tempfile.mkdtemp()) as folder:
    ...     folder.start_fresh(), folder.files()
    (None, [])
    """

    def __init__(self, directory: str | Path) -> None:
        if str(directory) == "":
            raise CheckpointFolderError("--checkpoint-dir must not be empty; name a folder")
        self.directory = Path(directory)
        self._lock_fd: int | None = None

    # -- opening: writable and ours alone
    def __enter__(self) -> CheckpointFolder:
        d = self.directory
        try:
            if d.exists() and not d.is_dir():
                raise CheckpointFolderError(
                    _checkpoint_file_hint(d)
                    or f"--checkpoint-dir {d} is a file, not a folder; name a folder (it is "
                    "created if missing)"
                )
            d.mkdir(parents=True, exist_ok=True)
            probe_write(d)
        except (OSError, ValueError) as exc:
            raise CheckpointFolderError(
                f"--checkpoint-dir {d} cannot be written: {_reason(exc)}; choose a writable folder"
            ) from None
        self._lock()
        for path in d.iterdir():
            if _CHECKPOINT_NAME.match(path.name) and not path.is_file():
                self.__exit__()
                raise CheckpointFolderError(
                    f"--checkpoint-dir {d}: {path.name} is not a file, but the run saves "
                    "checkpoints by that name; move it out of the folder"
                )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing drops the flock
            self._lock_fd = None

    def _lock(self) -> None:
        path = self.directory / LOCK_NAME

        def not_plain(what: str) -> CheckpointFolderError:
            return CheckpointFolderError(
                f"--checkpoint-dir {self.directory}: its lock file {path} is not a plain file "
                f"but {what}; a run writes its pid there, so remove it (a plain file is "
                "created in its place)"
            )

        # O_NOFOLLOW: the pid written below must never land in a file a planted symlink
        # names; O_NONBLOCK: a named pipe there must not hang the open.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as exc:
            if path.is_symlink():
                raise not_plain("a symbolic link") from None
            if path.is_dir():
                raise not_plain("a directory") from None
            raise CheckpointFolderError(
                f"--checkpoint-dir {self.directory}: cannot create its lock file {path}: "
                f"{_reason(exc)}"
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise not_plain("a named pipe, socket or device")
        if fcntl is None:  # pragma: no cover - no flock on this platform
            self._lock_fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise CheckpointFolderError(
                f"--checkpoint-dir {self.directory} is in use by another nanotorch run{who}; "
                "wait for it to finish, or use another --checkpoint-dir"
            ) from None
        except OSError as exc:  # e.g. ENOLCK: a filesystem without locks
            os.close(fd)
            raise CheckpointFolderError(
                f"--checkpoint-dir {self.directory} cannot be locked against a second run: "
                f"{_reason(exc)}; use a folder on a local filesystem"
            ) from None
        self._lock_fd = fd
        with contextlib.suppress(OSError):  # the pid only makes the message friendlier
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())

    # -- what is in it
    def files(self) -> list[Path]:
        """The checkpoint files (``epoch-NNNN.safetensors``), oldest epoch first."""
        return checkpoint_files(self.directory)

    def start_fresh(self, restart: bool = False) -> Path | None:
        """Make sure a new run may write here; with ``restart``, move earlier checkpoints
        into a dated ``previous-…`` subfolder (returned). Never deletes anything."""
        found = self.files()
        if not found:
            return None
        if not restart:
            raise CheckpointFolderError(
                f"--checkpoint-dir {self.directory} already holds checkpoints "
                f"({_describe(found)}) of an earlier run; continue that run with --resume, "
                "use another --checkpoint-dir, or pass --restart to move them into a "
                "previous-<date> subfolder and start over"
            )
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
        aside = self.directory / f"previous-{stamp}"
        n = 1
        while aside.exists():
            n += 1
            aside = self.directory / f"previous-{stamp}-{n}"
        try:
            aside.mkdir()
            for path in found:
                os.replace(path, aside / path.name)  # one folder, one filesystem: a rename
        except OSError as exc:
            raise CheckpointFolderError(
                f"--restart could not move the earlier checkpoints into {aside}: "
                f"{_reason(exc)}; nothing was deleted"
            ) from None
        return aside

    def find_resume(self, run_info: dict[str, Any]) -> tuple[Path, list[Path]]:
        """The newest checkpoint of the run this one continues (same scenario, seed and
        budget) and every file of that run (which its ``Checkpointer`` may prune)."""
        found = self.files()
        if not found:
            raise ResumeError(
                f"no checkpoint to resume in {self.directory} (epoch-NNNN.safetensors); "
                "start without --resume"
            )
        runs, damaged = _read_runs(found)
        matching = [p for p in runs if _same_run_problem(runs[p], run_info) is None]
        if not matching and damaged:
            raise ResumeError(
                f"{damaged[-1][1]}; move that file out of {self.directory} to resume from the "
                "checkpoints before it"
            )
        if not matching:
            newest = found[-1]
            problem = _same_run_problem(runs[newest], run_info)
            raise ResumeError(f"resume: {newest}: {problem}")
        chosen = matching[-1]
        _skip_older_damaged(damaged, chosen, f"to resume from {chosen.name}")
        run_id = runs[chosen].get("run_id")
        owned = [p for p in runs if runs[p].get("run_id") == run_id]
        start = checkpoint_epoch(chosen)
        for p in found:
            if p not in owned and start < checkpoint_epoch(p) <= int(run_info["epochs"]):
                raise ResumeError(
                    f"resume: {p} belongs to another run and this run would write that name; "
                    f"move it out of {self.directory} first"
                )
        return chosen, owned


class DamagedCheckpointWarning(UserWarning):
    """A checkpoint file older than the one used could not be read and was skipped (it is
    left in place: Note [A run owns its checkpoints])."""


def _read_runs(found: list[Path]) -> tuple[dict[Path, dict[str, Any]], list[tuple[Path, str]]]:
    """The ``run`` entry of each readable checkpoint (in ``found``'s order), and the
    damaged ones with what is wrong with them."""
    runs: dict[Path, dict[str, Any]] = {}
    damaged: list[tuple[Path, str]] = []
    for path in found:
        try:
            runs[path] = _run_of(path)
        except CheckpointError as exc:
            damaged.append((path, str(exc)))
    return runs, damaged


def _skip_older_damaged(damaged: list[tuple[Path, str]], chosen: Path, goal: str) -> None:
    """A damaged file older than ``chosen`` is skipped with a warning; a newer one may be the
    newest state of the very run asked for, so it stops everything (``ResumeError``)."""
    newer = [(p, why) for p, why in damaged if checkpoint_epoch(p) > checkpoint_epoch(chosen)]
    if newer:
        path, why = newer[-1]
        raise ResumeError(
            f"{why}; it is newer than {chosen.name}, the newest readable checkpoint: move "
            f"that file out of {path.parent} {goal}"
        )
    for _, why in damaged:
        warnings.warn(
            f"skipped {why} (it is damaged and older than {chosen.name}, which is used; it is "
            "left in place)",
            DamagedCheckpointWarning,
            stacklevel=3,
        )


def _checkpoint_file_hint(path: Path) -> str | None:
    """For a ``--checkpoint-dir`` that names one checkpoint file: say to pass its folder."""
    if not (_CHECKPOINT_NAME.match(path.name) and path.is_file()):
        return None
    return (
        f"--checkpoint-dir {path} is a checkpoint file, not a folder; pass its folder: "
        f"--checkpoint-dir {path.parent} (the newest checkpoint of the run there is used)"
    )


def checkpoint_epoch(path: Path) -> int:
    """The epoch in a checkpoint's file name, ``epoch-NNNN.safetensors``."""
    return int(path.name[len("epoch-") : -len(".safetensors")])


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else None) or str(exc)


def probe_write(directory: Path) -> None:
    """Create, write, sync and remove a small file: fails now, not after an epoch, where the
    folder is read-only or its filesystem refuses writes."""
    probe = directory / f".nanotorch-probe-{secrets.token_hex(4)}"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        os.write(fd, b"nanotorch write probe\n")
        os.fsync(fd)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)


def _run_of(path: Path) -> dict[str, Any]:
    """The ``run`` entry of a checkpoint, read from its header alone (no tensor data)."""
    from nanotorch.checkpoint import load_structure

    structure = load_structure(path)
    run = structure.get("run") if isinstance(structure, dict) else None
    return run if isinstance(run, dict) else {}


def _same_run_problem(saved: dict[str, Any], current: dict[str, Any]) -> str | None:
    """Why a checkpoint's ``run`` entry is not this run's, or None when it is."""
    for key in ("scenario", "seed", "epochs"):
        if key not in saved:
            return (
                f"the checkpoint does not say which run wrote it (no {key!r}); it is not a "
                "checkpoint of `nanotorch train`"
            )
        if saved[key] != current[key]:
            flag = {"scenario": "scenario", "seed": "--seed", "epochs": "--epochs"}[key]
            return (
                f"the checkpoint belongs to a run with {key}={saved[key]!r}, but this run has "
                f"{key}={current[key]!r}; resume with the same scenario, --seed and --epochs "
                f"(here {flag} {saved[key]}), or start a new run in another --checkpoint-dir"
            )
    # A data-parallel run's order and batches depend on its number of ranks (runs before
    # --distributed existed have no "ranks": one process).
    saved_ranks, ranks = int(saved.get("ranks", 1)), int(current.get("ranks", 1))
    if saved_ranks != ranks:
        how = (
            "without --distributed"
            if saved_ranks == 1
            else f"with mpiexec -n {saved_ranks} ... --distributed"
        )
        return (
            f"the checkpoint belongs to a run on {saved_ranks} rank(s), but this run has "
            f"{ranks}; resume it {how}, or start a new run in another --checkpoint-dir"
        )
    return None


# ------------------------------------------------------------------ validating a resume state

_STATE_KEYS = ("model", "optimizer", "scheduler", "rng", "epoch", "history", "run")
_HISTORY_LISTS = ("epoch", "train_loss", "test_loss", "test_metric", "lr")


def _type(value: Any) -> str:
    return type(value).__name__


def check_resume_state(state: Any, live: FitState, run_info: dict[str, Any], where: str) -> None:
    """Refuse (``ResumeError``) anything but the full state of this run, before it is used:
    the structure, the run it belongs to, the epoch within the budget, a history of that
    many epochs, tensors shaped like this model's, and a trial load into the live objects."""

    def bad(problem: str) -> None:
        raise ResumeError(f"resume: {where} is not a full training state of this run: {problem}")

    if not isinstance(state, dict):
        bad(f"it holds a {_type(state)}, not the dict `nanotorch train` saves")
    missing = [k for k in _STATE_KEYS if k not in state]
    if missing:
        bad(
            f"it has no {', '.join(repr(k) for k in missing)} entry (was it saved by another tool?)"
        )
    if not isinstance(state["run"], dict):
        bad(f"its 'run' entry is a {_type(state['run'])}, not a dict")
    problem = _same_run_problem(state["run"], run_info)
    if problem is not None:
        raise ResumeError(f"resume: {where}: {problem}")
    budget = int(run_info["epochs"])
    epoch = state["epoch"]
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        bad(f"its epoch is {epoch!r}, not an int")
    if not 0 <= epoch <= budget:
        bad(f"it claims epoch {epoch} of a {budget}-epoch run")
    _check_history(state["history"], epoch, live.history.metric, bad)
    _check_tensors("model", state["model"], live.model.state_dict(), bad)
    _check_optimizer(state["optimizer"], live.optimizer, bad)
    if (state["scheduler"] is None) != (live.scheduler is None):
        bad("its lr scheduler state does not match this scenario's schedule")
    if state["scheduler"] is not None and not isinstance(state["scheduler"], dict):
        bad(f"its scheduler state is a {_type(state['scheduler'])}, not a dict")
    rng = state["rng"]
    if not isinstance(rng, dict) or not all(isinstance(v, dict) for v in rng.values()):
        bad("its random generator states are not a dict of generator states")
    try:
        live.load_state_dict(state)
    except Exception as exc:  # any way the live objects refuse it is this file's fault
        bad(" ".join(f"{_type(exc)}: {exc}".split()))


def _check_history(history: Any, epoch: int, metric: str, bad: Callable[[str], None]) -> None:
    if not isinstance(history, dict):
        bad(f"its history is a {_type(history)}, not a dict")
    if history.get("metric") != metric:
        bad(f"its history records metric {history.get('metric')!r}, this run {metric!r}")
    for key in _HISTORY_LISTS:
        values = history.get(key)
        if not isinstance(values, list) or len(values) != epoch:
            bad(f"its history[{key!r}] does not hold one value for each of its {epoch} epochs")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            bad(f"its history[{key!r}] holds values that are not numbers")
    extra = set(history) - {"metric", *_HISTORY_LISTS}
    if extra:
        bad(f"its history has unknown entries {sorted(extra)}")


def _check_tensors(what: str, saved: Any, live: dict[str, Any], bad: Callable[[str], None]) -> None:
    if not isinstance(saved, dict):
        bad(f"its {what} state is a {_type(saved)}, not a dict of tensors")
    if list(saved) != list(live):
        missing = [k for k in live if k not in saved]
        extra = [k for k in saved if k not in live]
        bad(f"its {what} has other entries (missing {missing}, unexpected {extra})")
    for key, want in live.items():
        got = saved[key]
        if not isinstance(got, Tensor):
            bad(f"its {what} entry {key!r} is a {_type(got)}, not a tensor")
        if tuple(got.shape) != tuple(want.shape) or got.dtype != want.dtype:
            bad(
                f"its {what} entry {key!r} is {got.dtype.name}{list(got.shape)}, this "
                f"model's is {want.dtype.name}{list(want.shape)}"
            )


def _check_optimizer(saved: Any, optimizer: Any, bad: Callable[[str], None]) -> None:
    if not isinstance(saved, dict) or set(saved) != {"state", "param_groups"}:
        bad("its optimizer state is not a dict with 'state' and 'param_groups'")
    groups = saved["param_groups"]
    if not isinstance(groups, list) or len(groups) != len(optimizer.param_groups):
        bad("its optimizer has other parameter groups than this scenario's optimizer")
    if not isinstance(saved["state"], dict):
        bad("its optimizer 'state' is not a dict")
    for g, (group, live) in enumerate(zip(groups, optimizer.param_groups, strict=True)):
        if not isinstance(group, dict) or set(group) != set(live):
            bad(f"its optimizer parameter group {g} has other settings than this optimizer's")
        for key, want in live.items():
            got = group[key]
            if key == "params":
                if not isinstance(got, list) or len(got) != len(want):
                    bad(f"its optimizer group {g} lists other parameters")
                continue
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                if not isinstance(got, (int, float)) or isinstance(got, bool):
                    bad(f"its optimizer setting {key!r} is {got!r}, not a number")
                if not math.isfinite(got) or (key == "lr" and got < 0):
                    bad(f"its optimizer setting {key!r} is {got!r}")
            elif type(got) is not type(want):
                bad(f"its optimizer setting {key!r} is {got!r}, not like {want!r}")


# ------------------------------------------------------------------------ running a scenario


@dataclass
class RunResult:
    """A trained scenario: what ``nanotorch train`` prints and ``nanotorch plot`` draws."""

    scenario: Scenario
    device: Device
    seed: int
    model: Any
    train_set: Dataset
    test_set: Dataset
    before: tuple[float, float]
    after: tuple[float, float]
    state: FitState
    seconds: float

    @property
    def history(self) -> History:
        return self.state.history

    @property
    def success(self) -> bool:
        return self.scenario.criterion.met(self.after[1])

    def summary(self) -> dict[str, Any]:
        """JSON-friendly record of the run (``nanotorch train --out`` writes it)."""
        return {
            "scenario": self.scenario.name,
            "device": str(self.device),
            "seed": self.seed,
            "epochs": self.state.epoch,
            "criterion": str(self.scenario.criterion),
            "success": self.success,
            "before": {"test_loss": self.before[0], "test_metric": self.before[1]},
            "after": {"test_loss": self.after[0], "test_metric": self.after[1]},
            "wall_seconds": self.seconds,
            "epoch_seconds": list(self.state.epoch_seconds),
            "history": self.history.as_dict(),
            "ranks": int(self.state.run_info.get("ranks", 1)),
        }


@dataclass
class PreparedRun:
    """A scenario built, measured before training and (when resuming) its state checked:
    everything that can be refused has been. ``run()`` trains it."""

    scenario: Scenario
    device: Device
    seed: int
    epochs: int
    model: Any
    optimizer: Any
    scheduler: Any
    train_set: Dataset
    test_set: Dataset
    train_loader: DataLoader
    test_loader: DataLoader
    before: tuple[float, float]
    run_info: dict[str, Any]
    start: float
    early_stop: bool = False
    quiet: bool = False
    file: TextIO | None = None
    callbacks: list[Callable[[FitState], None]] = field(default_factory=list)
    resume_from: dict[str, Any] | None = None
    distributed: bool = False

    @property
    def resumed_epoch(self) -> int | None:
        return None if self.resume_from is None else int(self.resume_from["epoch"])

    def run(self) -> RunResult:
        s = self.scenario
        state = fit(
            self.model,
            self.optimizer,
            s.loss,
            self.train_loader,
            self.test_loader,
            epochs=self.epochs,
            metric=s.metric,
            scheduler=self.scheduler,
            stop_when=s.criterion if self.early_stop else None,
            callbacks=self.callbacks,
            quiet=self.quiet,
            file=self.file,
            resume_from=self.resume_from,
            run_info=self.run_info,
            distributed=self.distributed,
            max_grad_norm=s.max_grad_norm,
        )
        if state.history.test_loss:
            after = (state.history.test_loss[-1], state.history.test_metric[-1])
        else:  # a run resumed at epoch 0 of 0 trained nothing
            after = self.before
        return RunResult(
            s,
            self.device,
            self.seed,
            self.model,
            self.train_set,
            self.test_set,
            self.before,
            after,
            state,
            time.perf_counter() - self.start,
        )


def prepare_run(
    scenario: Scenario | str,
    device: str | Device = "cpu",
    *,
    epochs: int | None = None,
    seed: int = 0,
    early_stop: bool = False,
    quiet: bool = False,
    file: TextIO | None = None,
    callbacks: Iterable[Callable[[FitState], None]] = (),
    resume_from: str | Path | dict[str, Any] | None = None,
    run_id: str | None = None,
    distributed: bool = False,
) -> PreparedRun:
    """Build a registered scenario fresh on ``device`` and check everything before training
    (see ``run_scenario`` for the arguments); a bad ``resume_from`` is a ``ResumeError``.

    ``distributed``: this process is one rank of a data-parallel run (the default process
    group is initialized): the model is wrapped in ``DistributedDataParallel``, each rank
    loads ``batch_size / world_size`` samples of every global batch through a
    ``DistributedSampler``, and the train loss is all-reduced (discovery/data-parallel.md)."""
    from nanotorch.data import DataLoader
    from nanotorch.random import Generator, manual_seed
    from nanotorch.scenarios import get_scenario

    s = get_scenario(scenario) if isinstance(scenario, str) else scenario
    dev = _device(device)
    if not isinstance(seed, int) or isinstance(seed, bool) or not SEED_MIN <= seed <= SEED_MAX:
        raise ValueError(f"run: seed must be an int in [-2**63, 2**64), got {seed!r}")
    n_epochs = epochs if epochs is not None else s.epochs
    start = time.perf_counter()
    # A negative seed means seed mod 2**64 (PyTorch's rule), so -1 and 2**64 - 1 are one
    # run. Mapped here because data generators (NumPy's) take only [0, 2**64).
    manual_seed(seed % 2**64)
    train_set, test_set = s.data(seed % 2**64)
    model = s.model().to(dev)
    world = 1
    if distributed:
        model, world = _data_parallel(model, s.batch_size)
    optimizer = s.optimizer(model.parameters())
    gen = Generator().manual_seed(seed % 2**64)
    if distributed:
        from nanotorch.data import DistributedSampler

        sampler = DistributedSampler(train_set, seed=seed % 2**64)
        train_loader = DataLoader(train_set, s.batch_size // world, sampler=sampler, device=dev)
    else:
        train_loader = DataLoader(train_set, s.batch_size, shuffle=True, generator=gen, device=dev)
    test_loader = DataLoader(test_set, max(s.batch_size, 256), device=dev)
    scheduler = s.scheduler(optimizer, n_epochs, len(train_loader))
    before = evaluate(model, test_loader, s.loss, s.metric)
    run_info = {"scenario": s.name, "seed": seed, "epochs": n_epochs, "device": str(dev)}
    if distributed:
        run_info["ranks"] = world
    # What the scenario needs to use the trained model later (a language model's vocabulary).
    run_info.update(s.run_metadata())
    where = "the state"
    if isinstance(resume_from, (str, Path)):
        from nanotorch.checkpoint import load

        where = str(resume_from)
        resume_from = load(resume_from, map_location=dev)
    if resume_from is not None:
        live = FitState(model, optimizer, scheduler, train_loader, History(metric=s.metric))
        check_resume_state(resume_from, live, run_info, where)
        named = _CHECKPOINT_NAME.match(Path(where).name)
        if named and int(named.group(1)) != resume_from["epoch"]:
            raise ResumeError(
                f"resume: {where} is named for epoch {int(named.group(1))} but holds epoch "
                f"{resume_from['epoch']}; it was renamed or is not this run's checkpoint"
            )
        # The resumed run is the same run: it keeps the identity of the one it continues.
        run_id = resume_from["run"].get("run_id", run_id)
    run_info["run_id"] = run_id or new_run_id()
    if distributed:  # one run, one identity: rank 0's
        import nanotorch.distributed as dist

        ids: list[Any] = [None] * world
        dist.all_gather_object(ids, run_info["run_id"])
        run_info["run_id"] = ids[0]
    return PreparedRun(
        s,
        dev,
        seed,
        n_epochs,
        model,
        optimizer,
        scheduler,
        train_set,
        test_set,
        train_loader,
        test_loader,
        before,
        run_info,
        start,
        early_stop=early_stop,
        quiet=quiet,
        file=file,
        callbacks=list(callbacks),
        resume_from=resume_from,
        distributed=distributed,
    )


def _data_parallel(model: Any, batch_size: int) -> tuple[Any, int]:
    """``model`` wrapped for data-parallel training, and the number of ranks."""
    import nanotorch.distributed as dist
    from nanotorch.nn.parallel import DistributedDataParallel

    world = dist.get_world_size()
    if batch_size % world:
        fits = [n for n in range(1, batch_size + 1) if batch_size % n == 0]
        raise ValueError(
            f"run: --distributed splits each batch of {batch_size} across the ranks, but "
            f"{world} ranks do not divide it; start a number of ranks that does "
            f"({', '.join(map(str, fits))})"
        )
    return DistributedDataParallel(model), world


def run_scenario(
    scenario: Scenario | str,
    device: str | Device = "cpu",
    *,
    epochs: int | None = None,
    seed: int = 0,
    early_stop: bool = False,
    quiet: bool = False,
    file: TextIO | None = None,
    callbacks: Iterable[Callable[[FitState], None]] = (),
    resume_from: str | Path | dict[str, Any] | None = None,
) -> RunResult:
    """Build a registered scenario fresh, train it on ``device`` and measure before/after.

    ``resume_from`` (a checkpoint path written by ``Checkpointer``, or its loaded dict)
    continues an interrupted run of the same scenario, seed and epoch budget: Note [Exact
    resume]. A checkpoint from another device is mapped onto ``device``; anything that is
    not that run's full state is a ``ResumeError`` before training starts.

    ``seed`` fixes the data, the initial weights and the shuffle order, so one seed on one
    device gives one history.

    >>> result = run_scenario("xor", epochs=2, quiet=True)
    >>> result.state.epoch, result.history.metric, len(result.history.test_loss)
    (2, 'accuracy', 2)
    """
    return prepare_run(
        scenario,
        device,
        epochs=epochs,
        seed=seed,
        early_stop=early_stop,
        quiet=quiet,
        file=file,
        callbacks=callbacks,
        resume_from=resume_from,
    ).run()


# ------------------------------------------------------------------ sampling a language model


class SampleError(ValueError):
    """A checkpoint folder that holds no trained model of this scenario; nothing was
    generated. The message says what was found and what to do."""


def is_language_model(scenario: Scenario) -> bool:
    """Whether the scenario trains a model that ``nanotorch sample`` can continue text with
    (it has a tokenizer and ``generate_text``)."""
    return callable(getattr(scenario, "generate_text", None)) and hasattr(scenario, "tokenizer")


def load_language_model(
    scenario: Scenario, directory: str | Path, device: str | Device = "cpu"
) -> tuple[Any, Any, Path]:
    """The model of the newest checkpoint of ``scenario`` in ``directory``, on ``device`` and
    in eval mode, with the tokenizer saved beside it; returns ``(model, tokenizer, path)``.

    Only reads: the folder is neither created nor locked. A folder without checkpoints, or
    whose checkpoints belong to another scenario, is a ``SampleError``; a damaged file is
    the ``CheckpointError`` that names it.
    """
    from nanotorch.checkpoint import load
    from nanotorch.data.shakespeare import CharTokenizer

    folder = Path(directory)
    train_hint = f"train one with: nanotorch train {scenario.name} --checkpoint-dir {folder}"
    if str(directory) == "" or not folder.is_dir():
        raise SampleError(
            _checkpoint_file_hint(folder)
            or f"--checkpoint-dir {folder} is not a folder; {train_hint}"
        )
    found = checkpoint_files(folder)
    if not found:
        raise SampleError(f"no checkpoint (epoch-NNNN.safetensors) in {folder}; {train_hint}")
    runs, damaged = _read_runs(found)
    mine = [p for p in runs if runs[p].get("scenario") == scenario.name]
    if not mine and damaged:
        raise SampleError(f"{damaged[-1][1]}; move that file out of {folder}")
    if not mine:
        others = sorted({str(r.get("scenario", "an unknown run")) for r in runs.values()})
        raise SampleError(
            f"the checkpoints in {folder} are of {', '.join(others)}, not {scenario.name}; "
            f"name the scenario they were trained on or another folder, or {train_hint}"
        )
    path = mine[-1]
    try:
        _skip_older_damaged(damaged, path, f"to use {path.name}")
    except ResumeError as exc:
        raise SampleError(str(exc)) from None
    vocab = runs[path].get("vocab")
    if not isinstance(vocab, str) or not vocab:
        raise SampleError(f"{path} does not hold the vocabulary its model was trained on")
    try:
        tokenizer = CharTokenizer(vocab)
    except ValueError as exc:
        raise SampleError(f"{path}: its vocabulary is not valid: {exc}") from None
    wanted = getattr(getattr(scenario, "tokenizer", None), "vocab_size", tokenizer.vocab_size)
    if tokenizer.vocab_size != wanted:
        raise SampleError(
            f"{path} holds a vocabulary of {tokenizer.vocab_size} characters, but "
            f"{scenario.name}'s model has {wanted}; it is not a checkpoint of this model: "
            f"{train_hint}"
        )
    state = load(path, map_location=_device(device))
    model = scenario.model()
    try:
        model.load_state_dict(state["model"])
    except Exception as exc:  # a checkpoint of another size of this model
        raise SampleError(
            f"{path} does not fit {scenario.name}'s model: {' '.join(str(exc).split())}"
        ) from None
    model = model.to(_device(device))
    model.eval()
    return model, tokenizer, path


__all__ = [
    "CheckpointFolder",
    "CheckpointFolderError",
    "Checkpointer",
    "DamagedCheckpointWarning",
    "PreparedRun",
    "ResumeError",
    "RunResult",
    "SampleError",
    "check_resume_state",
    "checkpoint_epoch",
    "is_language_model",
    "load_language_model",
    "new_run_id",
    "prepare_run",
    "run_scenario",
]
