"""The ``nanotorch`` command: ``list``, ``train``, ``sample``, ``plot`` and ``doctor``.

Note [The CLI contract]
~~~~~~~~~~~~~~~~~~~~~~~
Whatever goes wrong, the command prints one line, ``nanotorch: error: ...`` (or
``nanotorch: interrupted ...``) on stderr, never a traceback, exits with a documented code,
and loses nothing:

- 0: done. 1: a failure during the run that the input did not cause (a checkpoint or result
  could not be written, e.g. the disk is full; standard output cannot be written; an
  internal error). 2: bad input (a flag, a path, a data or checkpoint file), always found
  before training starts. 130: interrupted by Ctrl-C (SIGINT); 143: terminated (SIGTERM).
  Both say at which epoch and, with a checkpoint folder, the exact command that continues.
- Every output path (``--out``, ``--checkpoint-dir``) is checked, created and probe-written
  before any training, so a finished run's results are not lost to a path in the way.
- A closed standard output (``nanotorch train --out res | head -1``) is not an error: the run
  finishes and writes its files, and the command exits 0 with nothing on stderr. Standard
  output that fails otherwise (``> /dev/full``) gives one line and exit 1, after the run's
  files are written.
- A Python warning during a command is one line, ``nanotorch: warning: ...``, and changes no
  exit code; a second Ctrl-C changes nothing either (Note [One interruption]).
``nanotorch-plot`` and ``scripts/plot_scenarios.py`` are ``nanotorch plot``.
Host-side: the top layer, may import anything below it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import platform
import re
import shlex
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

DEFAULT_SCENARIO = "digits-mlp"
DEFAULT_KEEP_LAST = 3
MAX_EPOCHS = 1_000_000
MAX_SAMPLE_LENGTH = 100_000
# Float32 logits divided by a temperature outside this range overflow or divide by zero
# (1e-320 is 0 in float32, 1e300 infinite); inside it, the ends already sample nearly
# greedily and nearly uniformly.
MIN_TEMPERATURE, MAX_TEMPERATURE = 1e-3, 1e3
TRAIN_SAMPLE_LENGTH = 200  # the characters `train` prints after a language model's run

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    done
  {EXIT_FAILED}    the run failed after it started: a checkpoint or result could not be
       written (disk full, I/O error), standard output failed, or an internal error
  {EXIT_BAD_INPUT}    bad input (a flag, path, data or checkpoint file); found before training
  {EXIT_INTERRUPTED}  interrupted by Ctrl-C; the message says how to continue
  {EXIT_TERMINATED}  terminated (SIGTERM); the message says how to continue
Every failure is one line on stderr, never a traceback. A closed pipe on standard
output (`nanotorch train --out res | head -1`) is no failure: the run finishes its files."""


class CLIError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class RunFailed(Exception):
    """A failure after the run started that the input did not cause: one line, exit 1."""


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is so that it unwinds like Ctrl-C (atomic saves
    clean up their temporary files, the folder lock is released)."""


# --------------------------------------------------------------------------- standard output


@dataclass
class _Stdout:
    """What became of standard output: a closed pipe is the reader's choice (silence), any
    other failure is reported at the end (Note [The CLI contract])."""

    closed: bool = False
    error: str | None = None


_stdout = _Stdout()


def _say(text: str = "") -> None:
    """Print a line; if standard output fails, stop writing to it and keep working."""
    if _stdout.closed or _stdout.error is not None:
        return
    stream = sys.stdout
    if stream is None:  # started with standard output closed (`>&-`): like a closed pipe
        _stdout.closed = True
        return
    try:
        try:
            print(text, file=stream)
        except UnicodeEncodeError:  # a path in bytes the stream's encoding cannot show
            encoding = stream.encoding or "ascii"
            print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream)
        stream.flush()
    except OSError as exc:
        if exc.errno == errno.EPIPE or isinstance(exc, BrokenPipeError):
            _stdout.closed = True
        else:
            _stdout.error = exc.strerror or str(exc)
        # Point the descriptor at /dev/null so that the buffered rest (and the flush at exit)
        # goes nowhere instead of failing again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)


def _complain(line: str) -> None:
    stream = sys.stderr
    if stream is None:
        return
    # One line, whatever the text held: line breaks (and the whitespace around them) become
    # one space. Other whitespace stays: a quoted path in a printed command keeps its tabs
    # and double spaces (commands quote newlines themselves: _shell_word).
    line = re.sub(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+\s*", " ", line).strip()
    if _distributed.active and _distributed.world > 1 and line.startswith("nanotorch: "):
        # which rank of a --distributed run is speaking (Note [Rank 0 speaks for the run])
        who = f"rank {_distributed.rank} of {_distributed.world}"
        line = f"nanotorch: {who}: {line[len('nanotorch: ') :]}"
    encoding = getattr(stream, "encoding", None) or "ascii"
    with contextlib.suppress(OSError, ValueError):
        print(line.encode(encoding, "backslashreplace").decode(encoding), file=stream)
        stream.flush()


def _warning_line(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """A Python warning as one line (Note [The CLI contract]), not file:line and source."""
    kind = "" if category is UserWarning else f" ({category.__name__})"
    if isinstance(message, Warning) and category.__module__.startswith("nanotorch"):
        kind = ""  # nanotorch's own warnings are written to be read as they are
    _complain(f"nanotorch: warning: {message}{kind}")


# ---------------------------------------------------------------------------- checking input


def _working_devices() -> list[str]:
    import nanotorch

    return [str(d) for d in nanotorch.devices()]


def _device(name: str) -> Any:
    import nanotorch
    from nanotorch.backend import availability

    choices = ", ".join(_working_devices())
    try:
        dev = nanotorch.device(name)
    except (ValueError, TypeError):
        raise CLIError(f"unknown device {name!r}; choose one of: {choices}") from None
    ok, reason = availability(dev)
    if not ok:
        raise CLIError(f"device {dev} is not available: {reason}; choose one of: {choices}")
    return dev


def _scenario(name: str) -> Any:
    from nanotorch.scenarios import UnknownScenarioError, get_scenario

    try:
        scenario = get_scenario(name)
    except UnknownScenarioError as exc:
        raise CLIError(str(exc)) from None
    ok, reason = scenario.available()
    if not ok:
        raise CLIError(f"scenario {name!r} cannot run here: {reason}")
    return scenario


def _in_range(value: int | None, flag: str, low: int, high: int, what: str) -> None:
    if value is not None and not low <= value <= high:
        raise CLIError(f"{flag} must be {what}, got {value}")


@contextlib.contextmanager
def _library_environment(prefix: str, library: str) -> Iterator[None]:
    """A library that reads ``<prefix>*`` environment variables and fails on a bad value:
    the failure inside this block becomes a ``CLIError`` naming the variables."""
    names = sorted(k for k in os.environ if k.startswith(prefix))
    try:
        yield
    except Exception as exc:
        if not names:
            raise
        what = "variable" if len(names) == 1 else "variables"
        shown = ", ".join(f"{k}={os.environ[k]!r}" for k in names)
        raise CLIError(
            f"environment {what} {shown} not accepted by {library} ({type(exc).__name__}: "
            f"{exc}); unset {' '.join(names)} or give it a value {library} accepts"
        ) from None


def _check_progress_bar() -> None:
    """The progress bar's library, tqdm, reads ``TQDM_*`` environment variables (when it is
    imported, and when a bar is made) and fails on a bad value deep inside a run; make a
    bar now, before any work, and name the variables if that fails."""
    import io

    with _library_environment("TQDM_", "tqdm (the progress bar)"):
        from tqdm import tqdm

        tqdm(total=0, disable=True, file=io.StringIO()).close()


def _check_numbers(args: argparse.Namespace) -> None:
    from nanotorch.runner import SEED_MAX, SEED_MIN

    _in_range(args.epochs, "--epochs", 1, MAX_EPOCHS, f"an integer from 1 to {MAX_EPOCHS}")
    _in_range(
        args.seed, "--seed", SEED_MIN, SEED_MAX, "an integer in [-2**63, 2**64) (as in PyTorch)"
    )
    keep = getattr(args, "keep_last", None)
    _in_range(keep, "--keep-last", 1, MAX_EPOCHS, f"an integer from 1 to {MAX_EPOCHS}")


def _output_dir(flag: str, value: str, files: Sequence[str]) -> Path:
    """Check, create and probe-write an output folder before any work; the ``files`` the
    run will write there must not be blocked by a folder of that name."""
    from nanotorch.runner import probe_write

    if value == "":
        raise CLIError(f"{flag} must not be empty; name a folder")
    out = Path(value)
    try:
        if out.exists() and not out.is_dir():
            raise CLIError(
                f"{flag} {out} is a file, not a folder; name a folder (created if missing)"
            )
        out.mkdir(parents=True, exist_ok=True)
        probe_write(out)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CLIError(
            f"{flag} {out} cannot be written: {reason}; choose a writable folder"
        ) from None
    from nanotorch.checkpoint.atomic import not_replaceable

    for name in files:
        if (out / name).is_dir():
            raise CLIError(
                f"{flag}: {out / name} is a folder, but the run writes a file of that name; "
                f"move it or choose another {flag}"
            )
        problem = not_replaceable(out / name)
        if problem is not None:
            raise CLIError(f"{flag}: {out / name} {problem}, or choose another {flag}")
    return out


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``, so a
    failure leaves the old file (or none), never half of the new one."""
    from nanotorch.checkpoint.atomic import create_temporary

    fd, tmp = create_temporary(path)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _metric_text(metric: str, value: float) -> str:
    return f"{100 * value:.2f}%" if metric == "accuracy" else f"{value:.4f}"


# --------------------------------------------------------------- interruption and continuing


@dataclass
class _Progress:
    """What an interruption message needs: the command, the epoch, the checkpointer."""

    command: str = ""
    args: argparse.Namespace | None = None
    epoch: int = 0
    checkpointer: Any = None
    out: Path | None = None
    written: list[Path] = field(default_factory=list)


_progress = _Progress()


def _train_command(args: argparse.Namespace, resume: bool) -> str:
    """The ``nanotorch train`` command line that repeats (or, with ``resume``, continues)
    this run, quoted for a POSIX shell."""
    words = ["nanotorch", "train", args.scenario]
    if getattr(args, "distributed", False):
        import nanotorch.distributed as dist

        world = dist.get_world_size() if dist.is_initialized() else 2
        words = ["mpiexec", "-n", str(world), *words, "--distributed"]
    if args.device != "cpu":
        words += ["--device", args.device]
    if args.epochs is not None:
        words += ["--epochs", str(args.epochs)]
    if args.seed != 0:
        words += ["--seed", str(args.seed)]
    if args.checkpoint_dir is not None:
        words += ["--checkpoint-dir", args.checkpoint_dir]
    if args.keep_last != DEFAULT_KEEP_LAST:
        words += ["--keep-last", str(args.keep_last)]
    if args.out is not None:
        words += ["--out", args.out]
    words += [
        flag for flag, on in (("--early-stop", args.early_stop), ("--quiet", args.quiet)) if on
    ]
    if resume:
        words.append("--resume")
    return " ".join(_shell_word(w) for w in words)


def _shell_word(word: str) -> str:
    """``word`` quoted for a POSIX shell, on one line: a word with control characters (a
    newline in a path) is written $'...' with escapes, which bash and zsh read back exactly;
    any other word is quoted as ``shlex.quote`` does."""
    if not any(ord(c) < 32 or ord(c) == 127 for c in word):
        return shlex.quote(word)
    named = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    body = "".join(
        named.get(c, f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c) for c in word
    )
    return f"$'{body}'"


def _continue_hint(stopped: str) -> str:
    """``stopped`` plus how to continue the run (the exact command when there is one)."""
    p = _progress
    args = p.args
    if p.command != "train" or args is None:
        if p.command == "plot" and p.written:
            return f"{stopped}; the pictures written so far are in {p.out}"
        return stopped
    epoch = p.epoch
    if args.checkpoint_dir is None:
        return (
            f"{stopped} at epoch {epoch}; nothing was saved: pass --checkpoint-dir DIR to be "
            "able to continue an interrupted run with --resume"
        )
    saved = p.checkpointer.last_saved if p.checkpointer is not None else None
    if saved is not None or args.resume:
        at = saved if saved is not None else epoch
        return f"{stopped} at epoch {at}; continue with: {_train_command(args, resume=True)}"
    return f"{stopped} at epoch {epoch}, before any checkpoint; start again with: " + (
        _train_command(args, resume=False)
    )


# Note [One interruption]
# ~~~~~~~~~~~~~~~~~~~~~~~
# An impatient user presses Ctrl-C twice. With Python's own handler the second
# KeyboardInterrupt lands inside the handling of the first (while the temporary file is
# removed, the lock released or the one-line report composed) and ends the process with a
# traceback. So for the command's lifetime SIGINT and SIGTERM go through one handler that
# raises once (KeyboardInterrupt, or _Terminated for SIGTERM) and ignores every later signal:
# the unwinding that follows takes milliseconds and ends in the report and exit 130 or 143.
# Once a signal has been handled, main() leaves both ignored rather than restoring Python's
# handlers: the process is on its way out, and a signal during interpreter shutdown would
# print a traceback after the report. (Without a signal, main() restores what it found.)
# A process that must die at once still can (SIGKILL, or Ctrl-\ for SIGQUIT).


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    stopping = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal stopping
        if stopping:  # the first signal is being handled (Note [One interruption])
            return
        stopping = True
        raise _Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    previous: dict[int, Any] = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread (main() called from a thread): leave it
        pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, signal.SIG_IGN if stopping else old)


# ---------------------------------------------------------------------------------- commands


def cmd_list(args: argparse.Namespace) -> int:
    from nanotorch.scenarios import list_scenarios

    rows = list_scenarios()
    width = max(len(s.name) for s in rows)
    for s in rows:
        ok, _ = s.available()
        note = "" if ok else "  [data not found here; `nanotorch train` says how to get it]"
        target = str(s.criterion)
        _say(f"{s.name:<{width}}  {target:<16}  {s.epochs:>3} epochs  {s.description}{note}")
    return 0


class _SavingCheckpointer:
    """A ``Checkpointer`` whose failure to save (full disk, I/O error) stops the run with
    one line saying that the earlier checkpoints are intact and how to continue."""

    def __init__(self, inner: Any, args: argparse.Namespace) -> None:
        self.inner, self.args = inner, args

    @property
    def last_saved(self) -> int | None:
        return self.inner.last_saved

    def __call__(self, state: Any) -> None:
        from nanotorch.errors import CheckpointError

        try:
            self.inner(state)
        except CheckpointError as exc:
            saved = self.inner.last_saved
            if saved is None and not self.args.resume:
                after = (
                    "nothing of this run was saved; once there is room, start again with: "
                    + _train_command(self.args, resume=False)
                )
            else:
                after = (
                    "the earlier checkpoints are intact; once there is room, continue with: "
                    + _train_command(self.args, resume=True)
                )
            raise RunFailed(
                f"could not save the checkpoint of epoch {state.epoch}: {exc}; {after}"
            ) from None


def _track(state: Any) -> None:
    _progress.epoch = state.epoch


# Note [Rank 0 speaks for the run]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# `mpiexec -n N nanotorch train ... --distributed` runs this command N times, one rank each.
# Every rank checks the flags the same way (so bad input fails on all of them alike, before
# MPI starts), then joins the process group. From there rank 0 alone prints, owns the
# checkpoint folder (lock, resume choice, saves) and writes --out; it tells the others which
# checkpoint to resume from, and every rank loads that file. A rank that fails after the
# group exists prints its one line, naming itself, and aborts the MPI job with its exit code,
# so the other ranks never wait for it (Note [A failing rank ends the job] in
# distributed/mpi.py).


def _start_distributed(dev: Any, batch_size: int) -> tuple[int, int, Any]:
    """Join the default process group: MPI for cpu, NCCL for cuda (one GPU per rank)."""
    import nanotorch
    import nanotorch.distributed as dist

    if dev.type not in ("cpu", "cuda"):
        raise CLIError(
            f"--distributed runs on cpu (MPI) or cuda (NCCL), not on {dev}; pick --device cpu "
            "or --device cuda"
        )
    if not dist.is_mpi_available():
        raise CLIError(
            "--distributed needs mpi4py and mpiexec: install the mpi extra (uv sync --extra "
            "mpi) and start the ranks with `uv run mpiexec -n 2 nanotorch train ... "
            "--distributed`"
        )
    if not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "mpi")
    _distributed.active = True
    rank, world = dist.get_rank(), dist.get_world_size()
    _distributed.rank, _distributed.world = rank, world
    if rank != 0:
        _stdout.closed = True  # silent, as if its standard output were a closed pipe
    if batch_size % world:
        fits = ", ".join(str(n) for n in range(1, batch_size + 1) if batch_size % n == 0)
        raise CLIError(
            f"--distributed splits each batch of {batch_size} across the ranks, but {world} "
            f"ranks do not divide it; start a number of ranks that does ({fits})"
        )
    if dev.type == "cuda":
        dev = nanotorch.device(dist.get_device())  # this rank's GPU, by local rank
    return rank, world, dev


def _from_rank0(value: Any) -> Any:
    import nanotorch.distributed as dist

    values: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return values[0]


@dataclass
class _Distributed:
    active: bool = False
    rank: int = 0
    world: int = 1


_distributed = _Distributed()


def cmd_train(args: argparse.Namespace) -> int:
    from nanotorch.runner import CheckpointFolder, checkpoint_epoch, is_language_model, prepare_run
    from nanotorch.train import Checkpointer

    # Check every argument and output path before the (possibly long) data loading starts.
    s = _scenario(args.scenario)
    dev = _device(args.device)
    _check_numbers(args)
    if args.resume and args.restart:
        raise CLIError(
            "--resume continues the run in --checkpoint-dir, --restart starts over; pick one"
        )
    for flag, on in (("--resume", args.resume), ("--restart", args.restart)):
        if on and args.checkpoint_dir is None:
            raise CLIError(f"{flag} needs --checkpoint-dir DIR (where the checkpoints are)")
    rank, world = 0, 1
    if args.distributed:
        rank, world, dev = _start_distributed(dev, s.batch_size)
    # Only rank 0 writes (Note [Rank 0 speaks for the run]).
    out = None
    if args.out is not None and rank == 0:
        out = _output_dir("--out", args.out, [f"{s.name}.json"])
    epochs = args.epochs if args.epochs is not None else s.epochs
    with contextlib.ExitStack() as stack:
        callbacks: list[Any] = [_track]
        resume_path, moved = None, None
        if args.checkpoint_dir is not None and rank == 0:
            folder = stack.enter_context(CheckpointFolder(args.checkpoint_dir))
            owned: list[Path] = []
            if args.resume:
                run: dict[str, Any] = {"scenario": s.name, "seed": args.seed, "epochs": epochs}
                if args.distributed:
                    run["ranks"] = world
                resume_path, owned = folder.find_resume(run)
                _progress.epoch = checkpoint_epoch(resume_path)
            else:
                moved = folder.start_fresh(restart=args.restart)
            saver = _SavingCheckpointer(
                Checkpointer(folder.directory, keep_last=args.keep_last, owned=owned), args
            )
            _progress.checkpointer = saver
            callbacks.append(saver)
        if args.distributed:
            resume_path = _from_rank0(resume_path)
        _say(f"{s.name}: {s.description}")
        if moved is not None:
            _say(f"moved the checkpoints of the previous run to {moved}")
        prepared = prepare_run(
            s,
            dev,
            epochs=args.epochs,
            seed=args.seed,
            early_stop=args.early_stop,
            quiet=args.quiet,
            callbacks=callbacks,
            resume_from=resume_path,
            distributed=args.distributed,
        )
        if resume_path is not None:
            _progress.epoch = prepared.resumed_epoch or 0
            _say(f"resumed from {resume_path} at epoch {prepared.resumed_epoch}")
        result = prepared.run()
    label = f"test {s.metric}"
    _say(
        f"device {result.device}, seed {result.seed}: {len(result.train_set)} train / "
        f"{len(result.test_set)} test samples, {result.state.epoch} epochs of batch "
        f"{s.batch_size}" + (f" ({world} ranks x {s.batch_size // world})" if world > 1 else "")
    )
    _say(
        f"before: test loss {result.before[0]:.4f}   {label} "
        f"{_metric_text(s.metric, result.before[1])}"
    )
    verdict = "met" if result.success else "NOT met"
    _say(
        f"after:  test loss {result.after[0]:.4f}   {label} "
        f"{_metric_text(s.metric, result.after[1])}   (target {s.criterion}: {verdict})"
    )
    per_epoch = sum(result.state.epoch_seconds) / max(1, len(result.state.epoch_seconds))
    _say(f"wall time {result.seconds:.1f} s ({per_epoch:.2f} s per epoch)")
    if is_language_model(s):
        import nanotorch

        gen = nanotorch.Generator(result.device).manual_seed(args.seed % 2**64)
        text = s.generate_text(result.model, s.sample_prompt, TRAIN_SAMPLE_LENGTH, generator=gen)
        _say(f"sample ({TRAIN_SAMPLE_LENGTH} characters, seed {args.seed}):")
        _say(text.rstrip("\n"))
    if out is not None:
        path = out / f"{s.name}.json"
        try:
            _write_atomically(path, json.dumps(result.summary(), indent=2))
        except OSError as exc:
            raise RunFailed(
                f"the run finished but {path} could not be written: {exc.strerror or exc}"
            ) from None
        _say(f"wrote {path}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    import math

    import nanotorch
    from nanotorch.data.shakespeare import UnknownCharacterError
    from nanotorch.runner import SEED_MAX, SEED_MIN, is_language_model, load_language_model
    from nanotorch.scenarios import list_scenarios

    s = _scenario(args.scenario)
    if not is_language_model(s):
        models = ", ".join(x.name for x in list_scenarios() if is_language_model(x))
        raise CLIError(f"scenario {s.name!r} is not a language model; sample from one of: {models}")
    dev = _device(args.device)
    _in_range(
        args.length, "--length", 0, MAX_SAMPLE_LENGTH, f"an integer from 0 to {MAX_SAMPLE_LENGTH}"
    )
    _in_range(
        args.seed, "--seed", SEED_MIN, SEED_MAX, "an integer in [-2**63, 2**64) (as in PyTorch)"
    )
    low, high = MIN_TEMPERATURE, MAX_TEMPERATURE
    if not (math.isfinite(args.temperature) and low <= args.temperature <= high):
        raise CLIError(
            f"--temperature must be a number from {low:g} to {high:g}, got {args.temperature!r} "
            f"(1 samples the model's own distribution, smaller is more conservative; {low:g} "
            f"is nearly greedy, {high:g} nearly uniform)"
        )
    if args.top_k is not None and args.top_k < 1:
        raise CLIError(
            f"--top-k must be a positive integer, got {args.top_k} (leave it out to sample "
            "from every character)"
        )
    if args.checkpoint_dir == "":
        raise CLIError("--checkpoint-dir must not be empty; name the folder `train` wrote")
    model, tokenizer, _ = load_language_model(s, args.checkpoint_dir, dev)
    try:
        tokenizer.encode(args.prompt)
    except UnknownCharacterError as exc:
        raise CLIError(f"--prompt: {str(exc).split(': ', 1)[1]}") from None
    gen = nanotorch.Generator(dev).manual_seed(args.seed % 2**64)
    text = s.generate_text(
        model,
        args.prompt,
        args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        generator=gen,
        tokenizer=tokenizer,
    )
    _say(text.rstrip("\n"))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from nanotorch.runner import run_scenario

    with _library_environment("MPL", "matplotlib"):  # it reads MPLBACKEND when imported
        from nanotorch import plots
    from nanotorch.scenarios import list_scenarios

    dev = _device(args.device)
    _check_numbers(args)
    if args.scenarios:
        # All checked before any training; a name given twice is drawn once.
        chosen = [_scenario(n) for n in dict.fromkeys(args.scenarios)]
    else:
        # Every fast scenario; slow ones (minutes of training) only when named.
        chosen = [s for s in list_scenarios() if not s.slow and s.available()[0]]
    names = [p.name for s in chosen for p in plots.output_paths(s, ".")]
    out = _output_dir("--out", args.out, names)
    _progress.out = out
    for s in chosen:
        result = run_scenario(s, dev, epochs=args.epochs, seed=args.seed, quiet=args.quiet)
        try:
            paths = plots.plot_scenario(result, out)
        except OSError as exc:
            raise RunFailed(
                f"{s.name} trained but its pictures could not be written to {out}: "
                f"{exc.strerror or exc}"
            ) from None
        _progress.written += paths
        _say(f"{s.name}: {', '.join(str(p) for p in paths)}")
    return 0


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cmd_doctor(args: argparse.Namespace) -> int:
    import nanotorch
    from nanotorch.backend import availability

    cupy = next(
        (
            v
            for v in (_version(d) for d in ("cupy-cuda12x", "cupy-cuda13x", "cupy"))
            if v != "not installed"
        ),
        "not installed",
    )
    _say(f"nanotorch {nanotorch.__version__}")
    _say(f"Python {platform.python_version()} ({sys.executable})")
    _say(f"NumPy {_version('numpy')}")
    _say(f"array-api-compat {_version('array-api-compat')}")
    _say(f"array-api-strict {_version('array-api-strict')}")
    _say(f"CuPy {cupy}")
    state = nanotorch.cuda.state()
    _say("devices:")
    cuda_names = [f"cuda:{i}" for i in range(max(1, state["device_count"]))]
    for name in ("cpu", "strict:0", "strict:1", *cuda_names):
        dev = nanotorch.device(name)
        ok, reason = availability(dev)
        if ok:
            # Prove it works rather than trusting the probe: a tiny computation, read back.
            try:
                value = (nanotorch.ones(3, device=dev) * 2).sum().item()
                ok, reason = value == 6.0, f"computed {value}, expected 6.0"
            except Exception as exc:
                ok, reason = False, f"{type(exc).__name__}: {exc}"
        _say(f"  {dev}: ok" if ok else f"  {dev}: unavailable ({reason})")
    unknown = "not checked (CuPy is not installed)" if state["cupy"] is None else None
    _say("cuda:")
    _say(f"  available: {state['available']}")
    _say(f"  CuPy: {state['cupy'] or 'not installed'}")
    _say(f"  driver version: {unknown or state['driver_version'] or 'no driver found'}")
    _say(f"  runtime version: {unknown or state['runtime_version'] or 'unknown'}")
    _say(f"  device count: {state['device_count']}")
    for i, gpu in enumerate(state["devices"]):
        _say(f"  cuda:{i}: {gpu}")
    if state["reason"]:
        _say(f"  reason: {state['reason']}")
    return 0


# ------------------------------------------------------------------------------------ parser


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, whole flag names only, and a suggestion for a flag
    that is not there.

    argparse's default accepts any unambiguous prefix (``--epoch`` for ``--epochs``), so a
    flag added later could silently change what an old command line means; every flag must
    be spelt out, and a near miss gets "did you mean". Each subcommand checks its own
    leftovers, so the message names that subcommand's help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # one line, exit 2 (argparse prints usage too)
        raise CLIError(f"{message} (see `{self.prog} --help`)")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._suggest(extras)}")
        return parsed, extras

    def _suggest(self, extras: list[str]) -> str:
        import difflib

        flags = [flag for action in self._actions for flag in action.option_strings]
        for word in extras:
            name = word.split("=", 1)[0]
            if not name.startswith("--") or name in flags:  # a flag after `--` is text
                continue
            close = [f for f in flags if f.startswith(name)] or difflib.get_close_matches(
                name, flags, n=1, cutoff=0.6
            )
            if close:
                return f"; did you mean {close[0]}?"
        return ""

    def _print_message(self, message: str, file: Any = None) -> None:
        # --version prints through here; standard output goes through _say as help does.
        if message and file is sys.stdout:
            _say(message.rstrip("\n"))
        else:
            super()._print_message(message, file)

    def print_help(self, file: Any = None) -> None:
        # Through _say, so that a failing standard output is reported (argparse ignores it).
        if file is None or file is sys.stdout:
            _say(self.format_help().rstrip("\n"))
        else:
            super().print_help(file)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nanotorch",
        description="Train and plot nanotorch scenarios.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from nanotorch import __version__

    parser.add_argument("--version", action="version", version=f"nanotorch {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("list", help="list the registered scenarios").set_defaults(func=cmd_list)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--device", default="cpu", help="cpu, strict:0, strict:1, cuda[:i]")
        p.add_argument("--epochs", type=int, default=None, help="override the epoch budget")
        p.add_argument(
            "--seed", type=int, default=0, help="fixes data, weights and order (may be negative)"
        )
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    train = sub.add_parser(
        "train",
        help="train one scenario and report how it improved",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"a name from `nanotorch list` (default: {DEFAULT_SCENARIO})",
    )
    common(train)
    train.add_argument("--out", default=None, help="write <scenario>.json with the history")
    train.add_argument(
        "--early-stop", action="store_true", help="stop as soon as the success criterion is met"
    )
    train.add_argument(
        "--checkpoint-dir",
        default=None,
        help="save the full state here after every epoch (one run per folder, locked while "
        "it runs)",
    )
    train.add_argument(
        "--keep-last",
        type=int,
        default=DEFAULT_KEEP_LAST,
        help="checkpoints of this run to keep (default: %(default)s)",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint of this run in --checkpoint-dir (same "
        "scenario, seed and epochs)",
    )
    train.add_argument(
        "--restart",
        action="store_true",
        help="start over in a --checkpoint-dir that holds an earlier run's checkpoints, "
        "moving them into a previous-<date> subfolder (nothing is deleted)",
    )
    train.add_argument(
        "--distributed",
        action="store_true",
        help="one rank of a data-parallel run started by `mpiexec -n N`: the batch is split "
        "across the ranks, rank 0 prints and writes (needs the mpi extra; with --device cuda "
        "one GPU per rank, over NCCL)",
    )
    train.set_defaults(func=cmd_train)

    sample = sub.add_parser(
        "sample",
        help="continue a prompt with a trained language model",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sample.add_argument("scenario", help="a language-model scenario, e.g. shakespeare-gpt")
    sample.add_argument(
        "--checkpoint-dir",
        required=True,
        help="the folder `nanotorch train SCENARIO --checkpoint-dir DIR` saved to (its newest "
        "checkpoint of this scenario is used)",
    )
    sample.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    sample.add_argument(
        "--length", type=int, default=500, help="characters to generate (default: %(default)s)"
    )
    sample.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="0.001 to 1000; below 1 is more conservative, above 1 more adventurous (default: 1)",
    )
    sample.add_argument(
        "--top-k", type=int, default=None, help="sample only from the K likeliest characters"
    )
    sample.add_argument("--seed", type=int, default=0, help="fixes the sampled text")
    sample.add_argument("--device", default="cpu", help="cpu, strict:0, strict:1, cuda[:i]")
    sample.set_defaults(func=cmd_sample)

    plot = sub.add_parser(
        "plot",
        help="train scenarios and draw their data, fit and curves",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plot.add_argument(
        "scenarios", nargs="*", help="names from `nanotorch list` (default: every fast scenario)"
    )
    common(plot)
    plot.add_argument("--out", default="artifacts/plots", help="folder for the PNG files")
    plot.set_defaults(func=cmd_plot)

    sub.add_parser("doctor", help="versions, working devices and the CUDA state").set_defaults(
        func=cmd_doctor
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (Note [The CLI contract])."""
    global _stdout, _progress, _distributed
    _stdout, _progress, _distributed = _Stdout(), _Progress(), _Distributed()
    with _signals_as_interrupts(), warnings.catch_warnings():
        warnings.showwarning = _warning_line  # filters (-W, PYTHONWARNINGS) still apply
        code = _main(argv)
    if code != EXIT_OK and _distributed.active and _distributed.world > 1:
        # Note [Rank 0 speaks for the run]: the other ranks must not wait for this one.
        from nanotorch.distributed import abort

        abort(code, announce=False)
    if code == EXIT_OK and _stdout.error is not None:
        done = (
            "; the run itself finished and wrote its files"
            if _progress.command in ("train", "plot")
            else ""
        )
        _complain(f"nanotorch: error: cannot write to standard output ({_stdout.error}){done}")
        return EXIT_FAILED
    return code


def _main(argv: Sequence[str] | None) -> int:
    bad_input: tuple[type[BaseException], ...] = (CLIError,)
    try:
        _check_progress_bar()  # before anything imports tqdm
        # Imported here, inside the try, so that a Ctrl-C while they load is one line too.
        from nanotorch.data import ChecksumError, DatasetNotFoundError, IDXFormatError
        from nanotorch.errors import CheckpointError
        from nanotorch.runner import CheckpointFolderError, ResumeError, SampleError

        bad_input = (
            CLIError,
            DatasetNotFoundError,
            ChecksumError,
            IDXFormatError,
            CheckpointFolderError,
            ResumeError,
            SampleError,
            CheckpointError,  # reading one: a failed save during training is a RunFailed
        )
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help has printed its text
            if exc.code in (0, None):
                return EXIT_OK
            raise
        if args.command is None:
            raise CLIError(
                "choose a command: list, train, sample, plot or doctor (see `nanotorch --help`)"
            )
        for flag in ("out", "checkpoint_dir"):  # paths: a leading ~ is the home folder
            value = getattr(args, flag, None)
            if isinstance(value, str) and value.startswith("~"):
                # The shell leaves ~ alone inside a word (`--out=~/res`); a folder called `~`
                # in the current directory is never what was meant.
                setattr(args, flag, os.path.expanduser(value))
        _progress.command, _progress.args = args.command, args
        return int(args.func(args))
    except bad_input as exc:
        _complain(f"nanotorch: error: {exc}")
        return EXIT_BAD_INPUT
    except RunFailed as exc:
        _complain(f"nanotorch: error: {exc}")
        return EXIT_FAILED
    except _Terminated:
        _complain(f"nanotorch: {_continue_hint('terminated')}")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _complain(f"nanotorch: {_continue_hint('interrupted')}")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if _traceback_wanted():
            raise
        _complain(
            f"nanotorch: internal error: {type(exc).__name__}: {exc} (please report it; "
            "NANOTORCH_TRACEBACK=1 shows the traceback)"
        )
        return EXIT_FAILED


def _traceback_wanted() -> bool:
    """``NANOTORCH_TRACEBACK``: 1, yes, true or on show an internal error's traceback; 0,
    no, false, off or empty do not (a variable set to 0 means off)."""
    value = os.environ.get("NANOTORCH_TRACEBACK", "").strip().lower()
    return value not in ("", "0", "no", "false", "off")


def plot_main(argv: Sequence[str] | None = None) -> int:
    """``nanotorch-plot``: the same as ``nanotorch plot``."""
    return main(["plot", *(sys.argv[1:] if argv is None else argv)])
