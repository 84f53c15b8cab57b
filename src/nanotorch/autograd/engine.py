"""The reverse-mode engine: sort the graph, push gradients back, accumulate, free.

The whole algorithm:

1. Start from the output's node with the seed gradient (1 for a scalar loss).
2. Sort the nodes reachable from it so each comes before the nodes it depends on
   (iteratively, so a chain of 10,000 ops does not hit Python's recursion limit).
3. Visit them in that order; each node's ``backward`` turns the summed gradient of its output
   into gradients for its inputs. Note [Central un-broadcasting]: if an input was broadcast in
   forward, its gradient has the broadcast shape and is summed back to the input's shape
   here, once, so no op repeats that logic.
4. Gradients for the same node add up (a tensor used twice gets both contributions); at a
   leaf they are added into ``leaf.grad``.
5. Unless ``retain_graph``, each node frees its saved tensors after use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nanotorch.autograd.function import _FREED_MESSAGE, AccumulateGrad, Context, Node
from nanotorch.autograd.grad_mode import _grad_enabled

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each before every node it feeds gradients into.

    An iterative depth-first search: a node is emitted after all of its inputs' nodes, and the
    reversed emission order is a topological order of the backward pass.
    """
    # Nodes are hashed by identity (no Node defines __eq__), so they key sets and dicts
    # directly; that saves an id() call per visit (Note [Dispatch cost] in function.py).
    order: list[Node] = []
    visited: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        # Note [Leaves accumulate early]: push the inputs in reverse so the first input (the
        # activation, by convention: linear(x, W, b)) is explored first; the leaves that follow
        # it are then emitted after that whole subgraph, i.e. *visited right after the node that
        # feeds them* in the reversed order. A layer's weight gradient reaches its .grad (and
        # its post-accumulate hooks, where DistributedDataParallel starts an all-reduce) while
        # backward is still working through the earlier layers, not all at the end.
        for nxt in reversed(node.next_nodes):
            if nxt is not None and nxt not in visited:
                stack.append((nxt, False))
    order.reverse()
    return order


def _node_of(t: Tensor) -> Node:
    return t.grad_fn if t.grad_fn is not None else t._accumulator()


def _seed_gradients(
    outputs: Sequence[Tensor], grad_outputs: Sequence[Tensor | None], caller: str
) -> list[Tensor]:
    from nanotorch.tensor import Tensor

    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(
                f"{caller}: output {i} (shape {tuple(out.shape)}) does not require grad and has "
                "no grad_fn; was it computed under no_grad() or from tensors without "
                "requires_grad=True?"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"{caller}: grad can be implicitly created only for scalar outputs, but "
                    f"output {i} has shape {tuple(out.shape)}; pass gradient= (a tensor of that "
                    "shape) or reduce the output first (e.g. .sum())"
                )
            g = Tensor._make(
                out._backend.xp.ones_like(out._data), out._device, out._backend, False, None
            )
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"{caller}: gradient must be a Tensor, got {type(g).__name__}")
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(
                    f"{caller}: gradient has shape {tuple(g.shape)} but output {i} has shape "
                    f"{tuple(out.shape)}"
                )
            if g._device is not out._device:
                from nanotorch.errors import DeviceMismatchError

                raise DeviceMismatchError(
                    f"{caller}: gradient is on {g.device} but output {i} is on {out.device}; "
                    f"call .to('{out.device}') on the gradient"
                )
        seeds.append(g)
    return seeds


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | None],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    caller: str = "backward",
) -> dict[int, Tensor]:
    """Propagate gradients from ``outputs``.

    Without ``inputs`` (``Tensor.backward``) gradients are accumulated into leaves' ``.grad``.
    With ``inputs`` (``autograd.grad``) nothing is accumulated; the gradient reaching each
    input's node is returned, keyed by ``id`` of that node.
    """
    from nanotorch.ops.reduction import sum_to

    seeds = _seed_gradients(outputs, grad_outputs, caller)
    grads: dict[Node, Tensor] = {}  # the summed gradient waiting at each node
    roots: list[Node] = []
    for out, g in zip(outputs, seeds):
        node = _node_of(out)
        roots.append(node)
        prev = grads.get(node)
        grads[node] = g if prev is None else prev + g
    targets = None if inputs is None else {id(_node_of(t)) for t in inputs}
    captured: dict[int, Tensor] = {}
    handed_out: set[int] = set()  # arrays already stored as some leaf's .grad in this pass

    token = _grad_enabled.set(create_graph)
    try:
        for node in topological_order(roots):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if isinstance(node, AccumulateGrad):
                leaf = node.variable
                for hook in leaf._hooks or ():
                    replaced = hook(grad)
                    if replaced is not None:
                        grad = replaced
                if targets is not None:
                    if id(node) in targets:
                        captured[id(node)] = grad
                    continue
                _accumulate(leaf, grad, create_graph, handed_out)
                continue

            ctx: Context = node  # type: ignore[assignment]
            if ctx._freed:
                raise RuntimeError(_FREED_MESSAGE.format(node=ctx.name()))
            for hook in ctx.hooks or ():
                replaced = hook(grad)
                if replaced is not None:
                    grad = replaced
            if ctx.retain_ref is not None:
                kept = ctx.retain_ref()
                if kept is not None:
                    kept.grad = grad if create_graph else grad.detach()
            if targets is not None and id(node) in targets:
                captured[id(node)] = grad
            in_grads = ctx.fn.backward(ctx, grad)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if len(in_grads) < len(ctx.next_nodes):
                raise RuntimeError(
                    f"{ctx.name()} returned {len(in_grads)} gradients for "
                    f"{len(ctx.next_nodes)} inputs"
                )
            for nxt, shape, g in zip(ctx.next_nodes, ctx.input_shapes, in_grads):
                if nxt is None or g is None:
                    continue
                if g._data.shape != shape:
                    g = sum_to(g, shape)  # Note [Central un-broadcasting]
                prev = grads.get(nxt)
                grads[nxt] = g if prev is None else prev + g
            if not retain_graph:
                ctx.release()
    finally:
        _grad_enabled.reset(token)
    return captured


def _accumulate(leaf: Tensor, grad: Tensor, create_graph: bool, handed_out: set[int]) -> None:
    if not create_graph:
        grad = grad.detach()
    if leaf.grad is None:
        # One array may reach two leaves (x + y hands grad_out to both). Give each leaf its
        # own, or an in-place change to one .grad (clip_grad_norm_) would hit the other.
        if id(grad._data) in handed_out:
            grad = grad.clone() if create_graph else grad.detach().clone()
        handed_out.add(id(grad._data))
        leaf.grad = grad
    else:
        leaf.grad = leaf.grad + grad
    node = leaf._accum
    if node is not None and node.post_hooks:
        for hook in tuple(node.post_hooks):
            hook(leaf)


def backward(
    tensor: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> None:
    """``Tensor.backward``: accumulate d(tensor)/d(leaf) into each leaf's ``.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        captured = run_backward(
            [tensor], [gradient], retain_graph, create_graph, inputs, "backward"
        )
        handed: set[int] = set()
        for t in inputs:
            g = captured.get(id(_node_of(t)))
            if g is not None:
                _accumulate(t, g, create_graph, handed)
        return
    run_backward([tensor], [gradient], retain_graph, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = nanotorch.autograd.grad((x * x).sum(), x)
    >>> g.tolist()
    [2.0, 4.0]
    """
    from nanotorch.tensor import Tensor

    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        gouts: list[Any] = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor):
        gouts = [grad_outputs]
    else:
        gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    for i, t in enumerate(ins):
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(outs, gouts, retain_graph, create_graph, ins, "grad")
    result: list[Tensor | None] = []
    for i, t in enumerate(ins):
        g = captured.get(id(_node_of(t)))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {tuple(t.shape)}) was not used to compute the outputs; "
                "pass allow_unused=True if that is expected"
            )
        if g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
