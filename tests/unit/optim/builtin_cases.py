"""One stateful configuration of every built-in optimizer, shared by the tests that must hold
for all of them (state_dict round trips, no device transfers)."""

from __future__ import annotations

from nanotorch.optim import SGD, Adagrad, Adam, AdamW, RMSprop

BUILTINS = {
    "SGD": (SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "SGD_nesterov": (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "Adam": (Adam, dict(lr=0.05, weight_decay=0.01)),
    "Adam_amsgrad": (Adam, dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True)),
    "AdamW": (AdamW, dict(lr=0.05, weight_decay=0.1)),
    "RMSprop": (RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    "Adagrad": (Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
}
IDS = list(BUILTINS)
CASES = list(BUILTINS.values())
