"""``nanotorch.optim``: the Optimizer base, one module per learning rule, and lr schedulers.

A new rule is one new file: subclass ``Optimizer`` and implement ``update(param, grad,
state, group)`` (see optimizer.py and discovery/optimizers.md). Like the rest of the engine,
nothing here imports an array library.
"""

from nanotorch.optim.optimizer import Optimizer
from nanotorch.optim.sgd import SGD

__all__ = ["SGD", "Optimizer"]
