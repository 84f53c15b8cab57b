"""``nanotorch.compile`` (PyTorch's ``torch.compile`` without a compiler: the callable as it
is) and the seeding functions' PyTorch forms."""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_compile_returns_the_module_or_function_itself():
    model = nt.nn.Linear(3, 2)
    assert nt.compile(model) is model
    assert nt.compile(model, mode="max-autotune", fullgraph=True, dynamic=False) is model

    def f(x):
        return x * 2

    assert nt.compile(f) is f
    assert nt.compile(f, backend="eager", disable=True) is f
    assert model.compile() is None  # Module.compile, in place as PyTorch's


def test_compile_as_a_decorator_with_and_without_arguments():
    @nt.compile
    def f(x):
        return x + 1

    @nt.compile(mode="reduce-overhead")
    def g(x):
        return x - 1

    assert f(nt.tensor([1.0])).tolist() == [2.0] and g(nt.tensor([1.0])).tolist() == [0.0]


def test_compile_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match=r"compile: Unrecognized mode=fast, should be one of"):
        nt.compile(lambda x: x, mode="fast")
    with pytest.raises(RuntimeError, match=r"Either mode or options can be specified"):
        nt.compile(lambda x: x, mode="max-autotune", options={"a": 1})
    with pytest.raises(TypeError, match=r"compile: a callable .* is expected, but int"):
        nt.compile(5)


def test_seed_picks_a_fresh_seed_and_returns_it():
    a = nt.seed()
    assert isinstance(a, int) and 0 <= a < 2**64
    assert nt.initial_seed() == a
    first = nt.randn(3).tolist()
    nt.manual_seed(a)
    assert nt.randn(3).tolist() == first
    assert nt.seed() != a  # fresh each time (a 64-bit draw from the OS)


def test_manual_seed_returns_the_default_cpu_generator_as_pytorch():
    gen = nt.manual_seed(3)
    assert isinstance(gen, nt.Generator) and gen.device == nt.device("cpu")
    assert gen.initial_seed() == 3
