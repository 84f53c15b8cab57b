"""``nanotorch.utils.data``: PyTorch's ``torch.utils.data`` path for ``nanotorch.data``.

Code ported from PyTorch imports ``DataLoader``, ``Dataset`` and the samplers from here; every
name is the very object ``nanotorch.data`` defines, so the two paths never drift apart.
Host-side, like ``nanotorch.data``.
"""

from nanotorch.data import *  # noqa: F403 - the alias re-exports the whole package
from nanotorch.data import __all__ as __all__
