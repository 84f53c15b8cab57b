"""``nanotorch.utils``: where PyTorch keeps ``torch.utils.data``, so ported imports work.

Only ``data`` lives here; it is an alias of ``nanotorch.data`` (see that package).
"""

from nanotorch.utils import data

__all__ = ["data"]
