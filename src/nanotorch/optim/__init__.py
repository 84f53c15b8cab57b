"""``nanotorch.optim``: the Optimizer base, one module per learning rule, and lr schedulers.

A new rule is one new file: subclass ``Optimizer`` and implement ``update(param, grad,
state, group)`` (see optimizer.py and discovery/optimizers.md). Like the rest of the engine,
nothing here imports an array library.
"""

from nanotorch.optim import lr_scheduler, swa_utils
from nanotorch.optim.adadelta import Adadelta
from nanotorch.optim.adagrad import Adagrad
from nanotorch.optim.adam import Adam
from nanotorch.optim.adamax import Adamax
from nanotorch.optim.adamw import AdamW
from nanotorch.optim.asgd import ASGD
from nanotorch.optim.lbfgs import LBFGS
from nanotorch.optim.nadam import NAdam
from nanotorch.optim.optimizer import Optimizer
from nanotorch.optim.radam import RAdam
from nanotorch.optim.rmsprop import RMSprop
from nanotorch.optim.rprop import Rprop
from nanotorch.optim.sgd import SGD

__all__ = [
    "lr_scheduler",
    "swa_utils",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "ASGD",
    "LBFGS",
    "Optimizer",
]
