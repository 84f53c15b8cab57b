"""What a scenario is: data, model, loss, optimizer and schedule, and how to call it a success.

A scenario is a small class with class attributes for its settings and one method per
factory. Factories are called fresh for every run, so a run never shares a model, optimizer
or dataset with another (the same seed gives the same history).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from nanotorch.train import Criterion

if TYPE_CHECKING:
    from nanotorch.data import Dataset
    from nanotorch.tensor import Tensor

PLOT_KINDS = ("boundary", "images", "language", "regression")


class Scenario:
    """Base class of every scenario; subclass it and decorate with ``@register_scenario``.

    Class attributes:
        name, description: how ``nanotorch list`` shows it.
        epochs, batch_size: the training budget.
        metric, threshold: the success criterion on the held-out split (``accuracy`` or
            ``r2``, higher-is-better, or ``nll``, nats per token, lower-is-better).
        plot: ``regression`` (learned curve), ``boundary`` (2-D decision regions),
            ``images`` (prediction grid and confusion matrix) or ``language`` (attention
            patterns and a sample of generated text).
        max_grad_norm: clip the gradients' joint norm to this before each step (None: no
            clipping).
        slow: trains for minutes; tests mark it slow and ``nanotorch plot`` skips it unless
            named.
        classes: class names for image plots (optional).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    epochs: ClassVar[int]
    batch_size: ClassVar[int]
    metric: ClassVar[str]
    threshold: ClassVar[float]
    plot: ClassVar[str]
    slow: ClassVar[bool] = False
    classes: ClassVar[tuple[str, ...] | None] = None
    max_grad_norm: ClassVar[float | None] = None

    @property
    def criterion(self) -> Criterion:
        return Criterion(self.metric, self.threshold)

    def available(self) -> tuple[bool, str]:
        """(True, "") when the scenario's data is here, else (False, how to get it)."""
        return True, ""

    def run_metadata(self) -> dict[str, Any]:
        """Strings and numbers saved in every checkpoint's ``run`` entry: what is needed to
        use the trained model later without the scenario's data (a language model's
        vocabulary). Default: nothing."""
        return {}

    def data(self, seed: int) -> tuple[Dataset, Dataset]:
        """The (train, held-out test) datasets; ``seed`` fixes any randomness in them."""
        raise NotImplementedError(f"scenario {self.name!r} must implement data()")

    def model(self) -> Any:
        """A freshly initialised ``nn.Module`` (weights from the default generator)."""
        raise NotImplementedError(f"scenario {self.name!r} must implement model()")

    def loss(self, output: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError(f"scenario {self.name!r} must implement loss()")

    def optimizer(self, params: Any) -> Any:
        raise NotImplementedError(f"scenario {self.name!r} must implement optimizer()")

    def scheduler(self, optimizer: Any, epochs: int, steps_per_epoch: int) -> Any | None:
        """An lr scheduler stepped once per epoch of a run of ``epochs`` epochs, or None."""
        return None

    def __repr__(self) -> str:
        return f"<scenario {self.name}: {self.description}>"
