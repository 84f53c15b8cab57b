"""``einsum``: Einstein summation over labelled dims, reduced to ops that already exist.

Note [Einsum by pairwise contraction]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
``einsum("bij,bjk->bik", a, b)`` could be computed as one giant broadcast product summed
over ``j``: simple, but it materialises a (b, i, j, k) tensor. Instead each operand is
first tidied on its own, and then the operands are contracted two at a time, left to
right, with one ``matmul`` each:
1. a label repeated in one operand (``"ii"``) takes the diagonal (``diagonal``);
2. a label no one else needs (not in the output, not in another operand) is summed away;
3. for a pair (A, B) the labels fall into four groups: *batch* (in both, still needed
   afterwards), *contracted* (in both, needed by no one else), *left* (A only) and *right*
   (B only). A is permuted to (batch, left, contracted) and reshaped to a 3-D
   (B, L, K); B to (B, K, R); one batched ``matmul`` gives (B, L, R), reshaped back to
   batch + left + right labels. This is ``tensordot`` with batch dims;
4. the last result is summed over leftover labels and permuted to the output order.
Size-1 dims broadcast against the other operand's size (as an ellipsis does). Every step
is a differentiable op (diagonal, sum, permute, reshape, broadcast_to, matmul), so the
gradients, and second derivatives, come from them; einsum has no backward of its own.

Grammar (NumPy's and PyTorch's): operands separated by ``,``, labels are letters, ``...``
stands for the dims not labelled (broadcast across operands, right-aligned); spaces are
ignored. Without ``->`` the output is the ellipsis dims followed by the labels used exactly
once, in alphabetical order (upper case first).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.errors import InvalidArgumentError, ShapeError
from nanotorch.ops.matmul import matmul
from nanotorch.ops.reduction import sum as _sum
from nanotorch.ops.shape import broadcast_to, permute, reshape
from nanotorch.ops.shape_extra import diagonal
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("einsum",)

# A label is a letter, or ("...", k) for the k-th ellipsis dim counted from the right.
Label = Any


def _parse_term(equation: str, term: str, ndim: int | None) -> list[Label]:
    """The labels of one operand (``ndim`` known) or of the output (``ndim`` None)."""
    if term.count("...") > 1 or term.replace("...", "").count(".") > 0:
        raise InvalidArgumentError(
            f"einsum: '{term}' in '{equation}' has a stray '.'; use at most one '...'"
        )
    head, dots, tail = term.partition("...")
    for ch in head + tail:
        if not ch.isalpha() or not ch.isascii():
            raise InvalidArgumentError(
                f"einsum: invalid subscript {ch!r} in '{equation}'; use letters a-z, A-Z and '...'"
            )
    if ndim is None:
        return [*head, "...", *tail] if dots else [*head, *tail]
    n = len(head) + len(tail)
    if (dots and n > ndim) or (not dots and n != ndim):
        raise ShapeError(
            f"einsum: subscripts '{term}' name {n} dims but the operand has {ndim} "
            f"(equation '{equation}')"
        )
    ell = ndim - n if dots else 0
    return [*head, *(("...", k) for k in range(ell, 0, -1)), *tail]


def _parse(
    equation: str, operands: Sequence[Tensor]
) -> tuple[list[list[Label]], list[Label], dict[Label, int]]:
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise InvalidArgumentError(
            f"einsum: '{equation}' has {len(terms)} operand subscripts but {len(operands)} "
            "operands were given"
        )
    inputs = [_parse_term(equation, t, x.ndim) for t, x in zip(terms, operands)]
    sizes: dict[Label, int] = {}
    for labels, x in zip(inputs, operands):
        for label, size in zip(labels, x.shape):
            known = sizes.get(label, 1)
            if size != 1 and known != 1 and size != known:
                name = "an ellipsis dim" if isinstance(label, tuple) else f"'{label}'"
                raise ShapeError(
                    f"einsum: {name} has size {known} in one operand and {size} in another "
                    f"(equation '{equation}', shapes {[tuple(o.shape) for o in operands]})"
                )
            sizes[label] = max(known, size) if known != 1 else size
    ellipsis = sorted(
        {lb for ls in inputs for lb in ls if isinstance(lb, tuple)}, key=lambda lb: -lb[1]
    )
    if arrow:
        out_terms = _parse_term(equation, rhs, None)
        output: list[Label] = []
        for lb in out_terms:
            if lb == "...":
                output.extend(ellipsis)
                continue
            if lb in output:
                raise InvalidArgumentError(
                    f"einsum: output subscript '{lb}' appears twice in '{equation}'"
                )
            if lb not in sizes:
                raise InvalidArgumentError(
                    f"einsum: output subscript '{lb}' does not appear in the inputs of '{equation}'"
                )
            output.append(lb)
    else:
        counts: dict[Label, int] = {}
        for ls in inputs:
            for lb in ls:
                if not isinstance(lb, tuple):
                    counts[lb] = counts.get(lb, 0) + 1
        output = ellipsis + sorted(lb for lb, c in counts.items() if c == 1)
    return inputs, output, sizes


def _take_diagonals(x: Tensor, labels: list[Label]) -> tuple[Tensor, list[Label]]:
    """Step 1: a label repeated within one operand keeps only its diagonal."""
    labels = list(labels)
    while True:
        seen: dict[Label, int] = {}
        for pos, lb in enumerate(labels):
            if lb in seen:
                first = seen[lb]
                x = diagonal(x, 0, first, pos)  # the diagonal becomes the last dim
                labels = [lab for k, lab in enumerate(labels) if k not in (first, pos)] + [lb]
                break
            seen[lb] = pos
        else:
            return x, labels


def _sum_unneeded(x: Tensor, labels: list[Label], needed: set) -> tuple[Tensor, list[Label]]:
    """Step 2: sum over the labels no one else needs."""
    drop = tuple(k for k, lb in enumerate(labels) if lb not in needed)
    if not drop:
        return x, labels
    return _sum(x, drop), [lb for k, lb in enumerate(labels) if k not in drop]


def _arrange(x: Tensor, labels: list[Label], order: list[Label], sizes: dict) -> Tensor:
    """``x`` permuted to ``order`` with size-1 dims broadcast to the common sizes."""
    out = permute(x, tuple(labels.index(lb) for lb in order))
    target = tuple(sizes[lb] for lb in order)
    return broadcast_to(out, target) if tuple(out.shape) != target else out


def _contract(
    a: Tensor, la: list[Label], b: Tensor, lb: list[Label], keep: set, sizes: dict
) -> tuple[Tensor, list[Label]]:
    """Step 3: one batched matmul over the labels A and B share and no one else needs."""
    batch = [x for x in la if x in lb and x in keep]
    summed = [x for x in la if x in lb and x not in keep]
    left = [x for x in la if x not in lb]
    right = [x for x in lb if x not in la]

    def prod(labels: list[Label], known: dict) -> int:
        n = 1
        for x in labels:
            n *= known[x]
        return n

    # Each side keeps its own size for its own dims; shared dims are broadcast to agree.
    sa = {**sizes, **{x: a.shape[la.index(x)] for x in left}}
    sb = {**sizes, **{x: b.shape[lb.index(x)] for x in right}}
    nb, nk = prod(batch, sizes), prod(summed, sizes)
    nl, nr = prod(left, sa), prod(right, sb)
    a3 = reshape(_arrange(a, la, batch + left + summed, sa), (nb, nl, nk))
    b3 = reshape(_arrange(b, lb, batch + summed + right, sb), (nb, nk, nr))
    out = matmul(a3, b3)
    shape = [sizes[x] for x in batch] + [sa[x] for x in left] + [sb[x] for x in right]
    return reshape(out, tuple(shape)), batch + left + right


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, tuple[Tensor, ...]]:
    """PyTorch's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as an equation: dims
    0-25 are ``a``-``z``, 26-51 ``A``-``Z``, and ``...`` is the ellipsis."""

    def letters(sub: Any) -> str:
        if not isinstance(sub, (list, tuple)):
            raise TypeError(f"einsum: a sublist must be a list of ints or ..., got {sub!r}")
        out = []
        for v in sub:
            if v is Ellipsis:
                out.append("...")
            elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 52:
                out.append(chr(ord("a") + v) if v < 26 else chr(ord("A") + v - 26))
            else:
                raise InvalidArgumentError(
                    f"einsum: sublist entries must be ints in [0, 52), got {v!r}"
                )
        return "".join(out)

    operands = args[0::2][: len(args) // 2]
    subs = [letters(sub) for sub in args[1::2][: len(args) // 2]]
    equation = ",".join(subs)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, tuple(operands)


def einsum(equation: str, *operands: Tensor | Sequence[Tensor]) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; operands may also
    come as one list. Repeated labels take diagonals (``"ii"`` is the trace), ``...``
    broadcasts, and without ``->`` the output is the labels used once, sorted. Computed by
    pairwise matmuls (Note [Einsum by pairwise contraction]); gradients come from those ops.

    >>> import nanotorch
    >>> a = nanotorch.arange(6.0).reshape(2, 3)
    >>> nanotorch.einsum("ij->j", a).tolist()
    [3.0, 5.0, 7.0]
    >>> nanotorch.einsum("ii", nanotorch.eye(3)).item()
    3.0
    """
    if isinstance(equation, Tensor):
        equation, operands = _from_sublists((equation, *operands))
    if not isinstance(equation, str):
        raise TypeError(
            f"einsum: the first argument must be the equation string (or an operand, in the "
            f"sublist form), got {type(equation).__name__}"
        )
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise InvalidArgumentError("einsum: needs at least one operand")
    for k, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum: operand {k} must be a Tensor, got {type(x).__name__}")
    inputs, output, sizes = _parse(equation, operands)  # type: ignore[arg-type]
    terms: list[tuple[Tensor, list[Label]]] = []
    for k, (x, labels) in enumerate(zip(operands, inputs)):
        x, labels = _take_diagonals(x, labels)  # type: ignore[arg-type]
        others = {lb for j, ls in enumerate(inputs) if j != k for lb in ls}
        x, labels = _sum_unneeded(x, labels, others | set(output))
        terms.append((x, labels))
    x, labels = terms[0]
    for k in range(1, len(terms)):
        y, ly = terms[k]
        later = {lb for _, ls in terms[k + 1 :] for lb in ls} | set(output)
        x, labels = _sum_unneeded(x, labels, later | set(ly))
        y, ly = _sum_unneeded(y, ly, later | set(labels))
        x, labels = _contract(x, labels, y, ly, later, sizes)
    x, labels = _sum_unneeded(x, labels, set(output))
    return _arrange(x, labels, output, sizes) if output else x
