"""The ``nanotorch`` command: ``list``, ``train``, ``plot`` and ``doctor``.

Bad input (an unknown scenario or device, a device that does not work here, missing data)
is reported as one line, ``nanotorch: error: ...`` with the valid choices, and exit code 2;
never a traceback. ``nanotorch-plot`` and ``scripts/plot_scenarios.py`` are ``nanotorch plot``.
Host-side: the top layer, may import anything below it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

DEFAULT_SCENARIO = "digits-mlp"


class CLIError(Exception):
    """A user mistake: printed as one line, exit code 2."""


# ---------------------------------------------------------------------------- checking input


def _working_devices() -> list[str]:
    import nanotorch

    return [str(d) for d in nanotorch.devices()]


def _seed(text: str) -> int:
    """``--seed``: any int ``manual_seed`` takes, [-2**63, 2**64 - 1]; argparse turns the
    error into one line and exit code 2."""
    from nanotorch.random import normalize_seed

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int, got {text!r}") from None
    try:
        normalize_seed(value)
    except OverflowError:
        raise argparse.ArgumentTypeError(
            f"{value} is out of range; a seed must lie in [-2**63, 2**64 - 1]"
        ) from None
    return value


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


def _positive(value: int | None, flag: str) -> None:
    if value is not None and value <= 0:
        raise CLIError(f"{flag} must be a positive integer, got {value}")


def _metric_text(metric: str, value: float) -> str:
    return f"{100 * value:.2f}%" if metric == "accuracy" else f"{value:.4f}"


# ---------------------------------------------------------------------------------- commands


def cmd_list(args: argparse.Namespace) -> int:
    from nanotorch.scenarios import list_scenarios

    rows = list_scenarios()
    width = max(len(s.name) for s in rows)
    for s in rows:
        ok, _ = s.available()
        note = "" if ok else "  [data not found here; `nanotorch train` says how to get it]"
        target = str(s.criterion)
        print(f"{s.name:<{width}}  {target:<16}  {s.epochs:>3} epochs  {s.description}{note}")
    return 0


def _checkpointing(args: argparse.Namespace) -> tuple[list[Any], Any]:
    """The callbacks and the checkpoint to resume from that ``train``'s flags ask for."""
    from nanotorch.train import Checkpointer, latest_checkpoint

    directory = getattr(args, "checkpoint_dir", None)
    if getattr(args, "resume", False) and directory is None:
        raise CLIError("--resume needs --checkpoint-dir DIR (where the checkpoints are)")
    if directory is None:
        return [], None
    _positive(args.keep_last, "--keep-last")
    resume_from = None
    if args.resume:
        resume_from = latest_checkpoint(directory)
        if resume_from is None:
            raise CLIError(f"no checkpoint to resume in {directory} (epoch-NNNN.safetensors)")
    return [Checkpointer(directory, keep_last=args.keep_last)], resume_from


def _run(scenario: Any, dev: Any, args: argparse.Namespace) -> Any:
    from nanotorch.checkpoint import load
    from nanotorch.errors import CheckpointError
    from nanotorch.train import run_scenario

    callbacks, resume_path = _checkpointing(args)
    resume_from = None
    if resume_path is not None:
        try:
            resume_from = load(resume_path, map_location=dev)
        except CheckpointError as exc:
            raise CLIError(str(exc)) from None
        print(f"resumed from {resume_path} at epoch {resume_from['epoch']}")
    try:
        return run_scenario(
            scenario,
            dev,
            epochs=args.epochs,
            seed=args.seed,
            early_stop=getattr(args, "early_stop", False),
            quiet=args.quiet,
            callbacks=callbacks,
            resume_from=resume_from,
        )
    except ValueError as exc:
        if str(exc).startswith("resume:"):
            raise CLIError(str(exc)) from None
        raise


def cmd_train(args: argparse.Namespace) -> int:
    # Check every argument before the (possibly long) data loading starts.
    s = _scenario(args.scenario)
    dev = _device(args.device)
    _positive(args.epochs, "--epochs")
    print(f"{s.name}: {s.description}")
    result = _run(s, dev, args)
    label = f"test {s.metric}"
    print(
        f"device {result.device}, seed {result.seed}: {len(result.train_set)} train / "
        f"{len(result.test_set)} test samples, {result.state.epoch} epochs of batch "
        f"{s.batch_size}"
    )
    print(
        f"before: test loss {result.before[0]:.4f}   {label} "
        f"{_metric_text(s.metric, result.before[1])}"
    )
    verdict = "met" if result.success else "NOT met"
    print(
        f"after:  test loss {result.after[0]:.4f}   {label} "
        f"{_metric_text(s.metric, result.after[1])}   (target {s.criterion}: {verdict})"
    )
    per_epoch = sum(result.state.epoch_seconds) / max(1, result.state.epoch)
    print(f"wall time {result.seconds:.1f} s ({per_epoch:.2f} s per epoch)")
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{s.name}.json"
        path.write_text(json.dumps(result.summary(), indent=2))
        print(f"wrote {path}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from nanotorch import plots
    from nanotorch.scenarios import list_scenarios

    dev = _device(args.device)
    _positive(args.epochs, "--epochs")
    if args.scenarios:
        chosen = [_scenario(n) for n in args.scenarios]  # all checked before any training
    else:
        # Every fast scenario; slow ones (minutes of training) only when named.
        chosen = [s for s in list_scenarios() if not s.slow and s.available()[0]]
    out = Path(args.out)
    for s in chosen:
        paths = plots.plot_scenario(_run(s, dev, args), out)
        print(f"{s.name}: {', '.join(str(p) for p in paths)}")
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
    print(f"nanotorch {nanotorch.__version__}")
    print(f"Python {platform.python_version()} ({sys.executable})")
    print(f"NumPy {_version('numpy')}")
    print(f"array-api-compat {_version('array-api-compat')}")
    print(f"array-api-strict {_version('array-api-strict')}")
    print(f"CuPy {cupy}")
    state = nanotorch.cuda.state()
    print("devices:")
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
        print(f"  {dev}: ok" if ok else f"  {dev}: unavailable ({reason})")
    unknown = "not checked (CuPy is not installed)" if state["cupy"] is None else None
    print("cuda:")
    print(f"  available: {state['available']}")
    print(f"  CuPy: {state['cupy'] or 'not installed'}")
    print(f"  driver version: {unknown or state['driver_version'] or 'no driver found'}")
    print(f"  runtime version: {unknown or state['runtime_version'] or 'unknown'}")
    print(f"  device count: {state['device_count']}")
    for i, gpu in enumerate(state["devices"]):
        print(f"  cuda:{i}: {gpu}")
    if state["reason"]:
        print(f"  reason: {state['reason']}")
    return 0


# ------------------------------------------------------------------------------------ parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2 (argparse prints usage too)
        raise CLIError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nanotorch", description="Train and plot nanotorch scenarios.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("list", help="list the registered scenarios").set_defaults(func=cmd_list)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--device", default="cpu", help="cpu, strict:0, strict:1, cuda[:i]")
        p.add_argument("--epochs", type=int, default=None, help="override the epoch budget")
        p.add_argument("--seed", type=_seed, default=0, help="fixes data, weights and order")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    train = sub.add_parser("train", help="train one scenario and report how it improved")
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
        "--checkpoint-dir", default=None, help="save the full state here after every epoch"
    )
    train.add_argument(
        "--keep-last", type=int, default=3, help="checkpoints to keep (default: %(default)s)"
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint in --checkpoint-dir (same scenario, seed "
        "and epochs)",
    )
    train.set_defaults(func=cmd_train)

    plot = sub.add_parser("plot", help="train scenarios and draw their data, fit and curves")
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
    """Run the command line; returns the exit code (0 ok, 2 bad input)."""
    from nanotorch.data import ChecksumError, DatasetNotFoundError, IDXFormatError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return int(args.func(args))
    except (CLIError, DatasetNotFoundError, ChecksumError, IDXFormatError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"nanotorch: error: {message}", file=sys.stderr)
        return 2


def plot_main(argv: Sequence[str] | None = None) -> int:
    """``nanotorch-plot``: the same as ``nanotorch plot``."""
    return main(["plot", *(sys.argv[1:] if argv is None else argv)])
