"""One stateful configuration of every built-in optimizer, shared by the tests that must hold
for all of them (state_dict round trips, no device transfers)."""

from __future__ import annotations

from nanotorch.optim import (
    ASGD,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSprop,
    Rprop,
)

BUILTINS = {
    "SGD": (SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "SGD_nesterov": (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "Adam": (Adam, dict(lr=0.05, weight_decay=0.01)),
    "Adam_amsgrad": (Adam, dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True)),
    "AdamW": (AdamW, dict(lr=0.05, weight_decay=0.1)),
    "RMSprop": (RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    "Adagrad": (Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    "Adadelta": (Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.01)),
    "Adamax": (Adamax, dict(lr=0.05, weight_decay=0.01)),
    "NAdam": (NAdam, dict(lr=0.05, weight_decay=0.01)),
    "RAdam": (
        RAdam,
        dict(lr=0.05, betas=(0.5, 0.7), decoupled_weight_decay=True, weight_decay=0.1),
    ),
    "Rprop": (Rprop, dict(lr=0.05)),
    "ASGD": (ASGD, dict(lr=0.05, lambd=0.1, t0=1.0, weight_decay=0.01)),
}
IDS = list(BUILTINS)
CASES = list(BUILTINS.values())
