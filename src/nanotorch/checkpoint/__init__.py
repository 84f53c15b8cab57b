"""Checkpoints: saving and loading tensors, state dicts and training state, without pickle.

A checkpoint is a safetensors file (readable by any safetensors library) whose metadata
carries the nested Python structure as standard JSON, so loading a file can never run code.
``api.py`` holds the public functions; ``layout.py`` the byte format and its checks,
``structure.py`` the JSON encoding of nested objects, ``atomic.py`` the crash-safe replace.
See discovery/checkpoints.md for the walkthrough. Host-side: may import NumPy, never CuPy or
array_api_strict (tensors move through ``Tensor.cpu()`` / ``Tensor.to()``).
"""

from nanotorch.checkpoint.api import (
    FORMAT_KEY,
    FORMAT_VERSION,
    STRUCTURE_KEY,
    load,
    load_safetensors,
    load_structure,
    save,
    save_safetensors,
)
from nanotorch.checkpoint.layout import MAX_HEADER_BYTES
from nanotorch.checkpoint.structure import MAX_DEPTH

__all__ = [
    "FORMAT_KEY",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_HEADER_BYTES",
    "STRUCTURE_KEY",
    "load",
    "load_safetensors",
    "load_structure",
    "save",
    "save_safetensors",
]
