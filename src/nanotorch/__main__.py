"""``python -m nanotorch``: the same as the ``nanotorch`` command."""

from nanotorch.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
