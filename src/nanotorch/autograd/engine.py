"""The reverse-mode engine: sort the graph, push gradients back, accumulate, free.

The whole algorithm:

1. Start from the output's node with the seed gradient (1 for a scalar loss).
2. Sort the nodes reachable from it so each comes before the nodes it depends on
   (iteratively, so a chain of 10,000 ops does not hit Python's recursion limit).
3. Visit them in that order; each node's ``backward`` turns the summed gradient of its output
   into gradients for its inputs. Note [Central un-broadcasting]: if an input was broadcast in
   forward, its gradient has the broadcast shape and is summed back to the input's shape
   here, once, so no op repeats that logic. Likewise, where an op promoted its inputs'
   dtypes (Note [Type promotion] in promotion.py), each gradient is cast back to its
   input's own dtype here.
4. Gradients for the same node add up (a tensor used twice gets both contributions); at a
   leaf they are added into ``leaf._grad``.
5. Unless ``retain_graph``, each node frees its saved tensors after use.

``run_backward`` is exactly that loop (discovery/build-the-engine.md builds it from scratch).
The features a user opts into, hooks, ``retain_grad`` and ``autograd.grad``'s capture, live
in the helpers below it and run only when asked for.

Note [Grad mode in backward]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~
``backward(ctx, grad_out)`` is written with Tensor ops, so whether those ops record a graph
is decided by grad mode, and the engine sets grad mode to ``create_graph`` for the whole
pass. Inside a ``backward``, then, "grad mode is on" means "the caller wants the gradient
itself to be differentiable": keep to differentiable Tensor ops. An op may test
``is_grad_enabled()`` to take a faster path that is not differentiable when nothing is being
recorded. ``Gelu.backward`` (ops/elementwise.py) is the worked example: with grad mode off
it computes the tanh form's gradient in one op (``GeluTanhGrad``); with it on it rebuilds the
formula from differentiable ops so that second derivatives flow. (An op with a
``raw_backward``, Note [Raw backward] in function.py, never needs the test: the engine calls
``backward`` only when the pass records.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nanotorch.autograd import function as _function
from nanotorch.autograd.anomaly_mode import _anomaly_mode, _ever_on, checked_backward
from nanotorch.autograd.function import _FREED_MESSAGE, AccumulateGrad, Context, Node
from nanotorch.autograd.grad_mode import set_grad_enabled
from nanotorch.backend import quiet as _quiet

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
) -> dict[Node, Tensor]:
    """The gradient each output's node starts with: ``gradient=`` if given, else 1 for a
    scalar. Two outputs of one node add up."""
    from nanotorch.tensor import Tensor

    seeds: dict[Node, Tensor] = {}
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
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
            backend = out._backend
            if backend.needs_context:  # Note [Device context]: cuda:1's ones go to GPU 1
                with backend.context():
                    ones = backend.xp.ones_like(out._data)
            else:
                ones = backend.xp.ones_like(out._data)
            g = Tensor._make(ones, out._device, backend, False, None)
        else:
            g = _check_gradient(out, g, i, caller)
        node = _node_of(out)
        prev = seeds.get(node)
        seeds[node] = g if prev is None else prev + g
    return seeds


def _check_gradient(out: Tensor, g: Any, i: int, caller: str) -> Tensor:
    """A ``gradient=`` (or ``grad_outputs``) entry checked against its output, as PyTorch
    does: same shape and device, and cast to the output's dtype (a float64 seed on a float32
    graph would otherwise leave float64 ``.grad``s behind)."""
    from nanotorch.tensor import Tensor

    if not isinstance(g, Tensor):
        raise TypeError(f"{caller}: gradient must be a Tensor, got {type(g).__name__}")
    if tuple(g.shape) != tuple(out.shape):
        raise RuntimeError(
            f"{caller}: Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} "
            f"and output[{i}] has a shape of {tuple(out.shape)}; pass a gradient shaped like "
            "the output"
        )
    if g._device is not out._device:
        from nanotorch.errors import DeviceMismatchError

        raise DeviceMismatchError(
            f"{caller}: grad_output[{i}] is on {g.device} but output[{i}] is on {out.device}; "
            f"call .to('{out.device}') on the gradient"
        )
    if g._data.dtype != out._data.dtype:
        g = g.to(out.dtype)
    return g


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | None],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    caller: str = "backward",
) -> dict[Node, Tensor]:
    """Propagate gradients from ``outputs``: sort, propagate, accumulate, free.

    Gradients are added into leaves' ``.grad``; with ``inputs`` (``autograd.grad``) nothing is
    accumulated and the gradient reaching each input's node is returned, keyed by the node.
    """
    grads = _seed_gradients(outputs, grad_outputs, caller)  # the summed gradient at each node
    captured = None if inputs is None else dict.fromkeys(map(_node_of, inputs))
    handed_out: set[int] = set()  # arrays already stored as some leaf's .grad in this pass
    # Note [Quiet floating point] in backend/quiet.py: once for the whole pass, hooks included.
    token = _quiet.enter(_quiet.QUIET)
    try:
        _propagate(grads, captured, handed_out, retain_graph, create_graph)
    finally:
        _quiet.leave(token)
    return {n: g for n, g in (captured or {}).items() if g is not None}


def _propagate(
    grads: dict[Node, Tensor],
    captured: dict[Node, Tensor | None] | None,
    handed_out: set[int],
    retain_graph: bool,
    create_graph: bool,
) -> None:
    """The backward pass proper: each node in topological order gets its summed gradient,
    runs its backward, and hands the results to the nodes of its inputs."""
    with set_grad_enabled(create_graph):  # Note [Grad mode in backward]
        for node in topological_order(list(grads)):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if node.hooks or node.retain_ref is not None:
                grad = _run_hooks(node, grad, create_graph)
            if captured is not None and node in captured:
                captured[node] = grad
            if type(node) is AccumulateGrad:
                if captured is None:
                    _accumulate(node.variable, grad, create_graph, handed_out)
                continue
            in_grads = _call_backward(node, grad, create_graph)  # in the inputs' dtypes
            for nxt, shape, g in zip(node.next_nodes, node.input_shapes, in_grads):
                if nxt is not None and g is not None:
                    if g._data.shape != shape:
                        g = _sum_to(g, shape)  # Note [Central un-broadcasting]
                    prev = grads.get(nxt)
                    grads[nxt] = g if prev is None else prev + g
            if not retain_graph:
                node.release()


def _call_backward(
    ctx: Context, grad: Tensor, create_graph: bool, check: bool = True
) -> Sequence[Tensor | None]:
    """Run one node's ``backward``: one gradient (or None) per input of the op, each in its
    input's dtype where the op promoted (Note [Type promotion] in promotion.py)."""
    if ctx._freed:
        raise RuntimeError(_FREED_MESSAGE.format(node=ctx.name()))
    if check and _ever_on[0] and (anomaly := _anomaly_mode.get()) is not None:
        return checked_backward(ctx, grad, create_graph, _call_backward, anomaly[0])
    fn = ctx.fn
    if fn.raw_backward is not None and not create_graph and ctx.input_dtypes is None:
        return _call_raw_backward(ctx, grad)  # Note [Raw backward] in function.py
    in_grads = fn.backward(ctx, grad)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if len(in_grads) < len(ctx.next_nodes):
        raise RuntimeError(
            f"{ctx.name()} returned {len(in_grads)} gradients for {len(ctx.next_nodes)} inputs"
        )
    if ctx.input_dtypes is not None:
        return _cast_to_inputs(in_grads, ctx.input_dtypes)
    return in_grads


def _call_raw_backward(ctx: Context, grad: Tensor) -> list[Tensor | None]:
    """``raw_backward`` on the gradient's array, its arrays wrapped back into Tensors."""
    backend = ctx.backend
    if backend.needs_context:  # Note [Device context] in backend/base.py
        with backend.context():
            arrays = ctx.fn.raw_backward(ctx, backend.xp, grad._data)
    else:
        arrays = ctx.fn.raw_backward(ctx, backend.xp, grad._data)
    if len(arrays) < len(ctx.next_nodes):
        raise RuntimeError(
            f"{ctx.name()}: raw_backward returned {len(arrays)} gradients for "
            f"{len(ctx.next_nodes)} inputs"
        )
    fix, array_type, device = backend.fix_result, backend.array_type, grad._device
    make = _function.Tensor._make
    in_grads: list[Tensor | None] = []
    for a in arrays:
        if a is not None:
            if fix is not None and type(a) is not array_type:
                a = fix(a)  # NumPy gives 0-d results as scalars
            a = make(a, device, backend, False, None)
        in_grads.append(a)
    return in_grads


def _cast_to_inputs(
    in_grads: tuple[Tensor | None, ...], dtypes: tuple[Any, ...]
) -> tuple[Tensor | None, ...]:
    """Gradients of an op that promoted its inputs, each in its own input's dtype: a float32
    weight gets a float32 gradient even where it met a float64 tensor."""
    return tuple(
        g.to(d) if g is not None and d is not None and g.dtype is not d else g
        for g, d in zip(in_grads, dtypes)
    )


def _sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    # Imported here, on the un-broadcasting path only: the ops import the engine's package.
    from nanotorch.ops.reduction import sum_to

    return sum_to(g, shape)


def _run_hooks(node: Node, grad: Tensor, create_graph: bool) -> Tensor:
    """Hooks see the gradient first and may replace it; ``retain_grad`` keeps what remains."""
    for hook in node.hooks or ():
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    if node.retain_ref is not None:
        kept = node.retain_ref()
        if kept is not None:
            kept._grad = grad if create_graph else grad.detach()
    return grad


def _accumulate(leaf: Tensor, grad: Tensor, create_graph: bool, handed_out: set[int]) -> None:
    """Add ``grad`` into ``leaf._grad`` (AccumulateGrad's job)."""
    if not create_graph:
        grad = grad.detach()
    if grad._data.dtype != leaf._data.dtype:
        # A hook may hand back another dtype; a .grad always has its tensor's dtype.
        grad = grad.to(leaf.dtype)
    if leaf._grad is None:
        # One array may reach two leaves (x + y hands grad_out to both). Give each leaf its
        # own, or an in-place change to one .grad (clip_grad_norm_) would hit the other.
        if id(grad._data) in handed_out:
            grad = grad.clone() if create_graph else grad.detach().clone()
        handed_out.add(id(grad._data))
        leaf._grad = grad
    elif create_graph or leaf._grad.requires_grad:
        leaf._grad = leaf._grad + grad  # recorded, or onto a .grad with a graph of its own
    else:
        _add_into(leaf._grad, grad._data)
    node = leaf._accum
    if node is not None and node.post_hooks:
        for hook in tuple(node.post_hooks):
            hook(leaf)


# Note [Accumulating into .grad]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# A gradient that reaches a leaf which already has a ``.grad`` (micro-batches, or
# ``zero_grad(set_to_none=False)``) is added into that tensor, as PyTorch's AccumulateGrad
# does without create_graph: the ``.grad`` tensor stays the same object, so a user holding
# ``g = p.grad`` sees the sum, and its version goes up like any in-place change, so a graph
# that saved it raises instead of using the new values. The array underneath is written in
# place only when the backend can tell that nothing else can see it
# (``ArrayBackend.add_into``: the cpu checks CPython's reference count, as the buffer pool
# does); otherwise, and on backends that cannot tell (the portable answer), the tensor gets a
# fresh sum. So a gradient a hook kept, the tensor passed as ``gradient=`` that became a
# ``.grad``, or a ``.numpy()`` array of the ``.grad`` never changes under the user (PyTorch
# clones the first two when it stores them, and writes through the third). On the cpu the
# steady state of either pattern allocates no gradient array at all. With create_graph, or
# onto a ``.grad`` that has a graph of its own (made by an earlier create_graph pass), the sum
# is recorded out of place, as before: that graph keeps its values.
def _add_into(acc: Tensor, g: Any) -> None:
    """acc += g on ``acc``'s array where the backend may write it, else a fresh sum."""
    backend = acc._backend
    if backend.needs_context:
        with backend.context():
            if not backend.add_into(acc._data, g):
                acc._data = acc._data + g
    elif not backend.add_into(acc._data, g):
        acc._data = acc._data + g
    acc._version += 1


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
            g = captured.get(_node_of(t))
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
    allow_unused: bool | None = None,
    *,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).
    An input the outputs do not depend on raises unless ``allow_unused`` (its gradient is
    then None, or zeros of its shape with ``materialize_grads``, which implies
    ``allow_unused``), as in PyTorch.

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
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError(
            "grad: materialize_grads=True needs allow_unused=True (or left unset), since "
            "it gives unused inputs zero gradients"
        )
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(outs, gouts, retain_graph, create_graph, ins, "grad")
    result: list[Tensor | None] = []
    for i, t in enumerate(ins):
        g = captured.get(_node_of(t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {tuple(t.shape)}) was not used to compute the outputs; "
                "pass allow_unused=True if that is expected"
            )
        if g is not None and not create_graph:
            g = g.detach()
        if g is None and materialize_grads:
            g = t.detach().new_zeros(tuple(t.shape))
        result.append(g)
    return tuple(result)
