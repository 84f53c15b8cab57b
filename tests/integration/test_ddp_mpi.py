"""DistributedDataParallel on two MPI ranks equals one process training on the whole batch.

One launch (see tests/mpi_launch.py) trains the same small float64 network several ways and
each rank reports the resulting weights; rank 0 also trains the single-process reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mpi_launch import launch, needs_mpi

pytestmark = needs_mpi

DDP = """
import numpy as np
import nanotorch
import nanotorch.distributed as dist
from nanotorch import nn
from nanotorch.nn.parallel import DistributedDataParallel as DDP

nanotorch.set_default_dtype(nanotorch.float64)
dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
r = {}

data = np.random.default_rng(0)
X = data.normal(size=(16, 4))
Y = data.normal(size=(16, 3))
local = slice(rank * 8, (rank + 1) * 8)  # the global batch of 16, split across 2 ranks

def make(seed):
    nanotorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))

def weights(model):
    return [p.detach().tolist() for p in model.parameters()]

def sse(out, y):
    return ((out - y) ** 2).sum()

STEPS = 3

def train(model, step_batches):
    opt = nanotorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(STEPS):
        opt.zero_grad()
        step_batches(model)
        opt.step()
    return model

# the reference: rank 0's initial weights, one process, the whole batch (mean over 16)
if rank == 0:
    xg, yg = nanotorch.tensor(X), nanotorch.tensor(Y)
    ref = train(make(100), lambda m: (sse(m(xg), yg) / 16).backward())
    r["reference"] = weights(ref)

# construction broadcasts rank 0's weights: ranks start from different seeds
model = make(100 + rank)
r["before"] = weights(model)
ddp = DDP(model)
r["after_construction"] = weights(model)

# DDP with several bucket sizes: each rank's loss is the mean over its 8 samples
xl, yl = nanotorch.tensor(X[local]), nanotorch.tensor(Y[local])
for cap in (25.0, 0.0005, 0.0001, 0.0):
    ddp = DDP(make(100 + rank), bucket_cap_mb=cap)
    r[f"buckets_{cap}"] = len(ddp._buckets)
    train(ddp, lambda m: (sse(m(xl), yl) / 8).backward())
    r[f"ddp_{cap}"] = weights(ddp.module)

# no_sync: two micro-batches of 4, the first without communication
def accumulate(m):
    with m.no_sync():
        (sse(m(xl[:4]), yl[:4]) / 8).backward()
    (sse(m(xl[4:]), yl[4:]) / 8).backward()

r["no_sync"] = weights(train(DDP(make(100 + rank)), accumulate).module)

# no_sync leaves the gradients local: the two ranks differ until a synced backward
m = DDP(make(100 + rank))
with m.no_sync():
    (sse(m(xl), yl) / 8).backward()
r["no_sync_local_grad"] = m.module[0].bias.grad.tolist()

# overlap: when the first layer's gradient arrives (the last in backward), the buckets of the
# later layers have already been launched
launched = []
real_all_reduce = dist.all_reduce
def counting_all_reduce(*args, **kwargs):
    launched.append(1)
    return real_all_reduce(*args, **kwargs)
import nanotorch.nn.parallel.distributed as ddp_module
ddp_module.dist.all_reduce = counting_all_reduce
m = DDP(make(7), bucket_cap_mb=0.0)
seen = []
m.module[0].weight.register_post_accumulate_grad_hook(lambda p: seen.append(len(launched)))
(sse(m(xl), yl) / 8).backward()
ddp_module.dist.all_reduce = real_all_reduce
r["launched_before_first_layer"] = seen[0]
r["launched_total"] = len(launched)
r["buckets_overlap"] = len(m._buckets)

# broadcast_buffers: BatchNorm running stats come from rank 0 at each forward
for flag in (True, False):
    bn = nn.Sequential(nn.Linear(4, 2), nn.BatchNorm1d(2))
    m = DDP(bn, broadcast_buffers=flag)
    with nanotorch.no_grad():
        bn[1].running_mean.fill_(rank + 1.0)
    m.eval()
    m(xl)
    r[f"running_mean_{flag}"] = bn[1].running_mean.tolist()

# different models on different ranks: a clear error on every rank, no hang
try:
    DDP(nn.Sequential(nn.Linear(4, 8 + rank)))
    r["mismatch"] = None
except RuntimeError as e:
    r["mismatch"] = str(e)

# a parameter that got no gradient is named at the next forward
m = DDP(nn.Sequential(nn.Linear(4, 3), nn.Linear(4, 3)))
m.module[0](xl).sum().backward()
try:
    m(xl)
    r["unused"] = None
except RuntimeError as e:
    r["unused"] = str(e)

# fit(distributed=True): the sampler's epoch is set each epoch, the train loss is all-reduced
from nanotorch.data import DataLoader, DistributedSampler, TensorDataset
from nanotorch.train import fit

nanotorch.manual_seed(0)
train_set = TensorDataset(X.astype(np.float64), Y.astype(np.float64))
sampler = DistributedSampler(train_set, seed=1)
loader = DataLoader(train_set, batch_size=4, sampler=sampler)
m = DDP(make(100 + rank))
mse = lambda out, y: ((out - y) ** 2).mean()
state = fit(
    m, nanotorch.optim.SGD(m.parameters(), lr=0.05), mse, loader,
    DataLoader(train_set, batch_size=16), epochs=2, metric="r2", quiet=True, distributed=True,
)
r["fit_train_loss"] = state.history.train_loss
r["fit_test_loss"] = state.history.test_loss
r["fit_sampler_epoch"] = sampler.epoch

report(rank, r)
"""


@pytest.fixture(scope="module")
def ddp(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    return launch(DDP, Path(tmp_path_factory.mktemp("ddp"))).results


def _close(a: Any, b: Any, tol: float = 1e-10) -> bool:
    return all(np.allclose(np.asarray(x), np.asarray(y), rtol=0, atol=tol) for x, y in zip(a, b))


def test_ddp_construction_broadcasts_rank0_weights(ddp: dict[int, Any]) -> None:
    assert not _close(ddp[0]["before"], ddp[1]["before"], 1e-3)  # different seeds
    assert ddp[0]["after_construction"] == ddp[1]["after_construction"] == ddp[0]["before"]


@pytest.mark.parametrize("cap", [25.0, 0.0005, 0.0001, 0.0])
def test_ddp_two_ranks_equal_one_process_on_the_whole_batch(
    ddp: dict[int, Any], cap: float
) -> None:
    for k in (0, 1):
        assert _close(ddp[k][f"ddp_{cap}"], ddp[0]["reference"])


def test_ddp_bucket_caps_make_several_buckets(ddp: dict[int, Any]) -> None:
    counts = [ddp[0][f"buckets_{cap}"] for cap in (25.0, 0.0005, 0.0001, 0.0)]
    assert counts[0] == 1 and counts[-1] == 6  # 6 parameters: one each with cap 0
    assert counts == sorted(counts) and len(set(counts)) >= 3


def test_ddp_no_sync_accumulates_then_averages(ddp: dict[int, Any]) -> None:
    for k in (0, 1):
        assert _close(ddp[k]["no_sync"], ddp[0]["reference"])
    assert not _close([ddp[0]["no_sync_local_grad"]], [ddp[1]["no_sync_local_grad"]], 1e-6)


def test_ddp_launches_buckets_during_backward(ddp: dict[int, Any]) -> None:
    r = ddp[0]
    assert r["buckets_overlap"] == 6 and r["launched_total"] == 6
    # the first layer's weight is among the last gradients: most buckets are already out
    assert r["launched_before_first_layer"] >= 4


def test_ddp_broadcast_buffers(ddp: dict[int, Any]) -> None:
    assert ddp[0]["running_mean_True"] == ddp[1]["running_mean_True"] == [1.0, 1.0]
    assert ddp[1]["running_mean_False"] == [2.0, 2.0]


def test_ddp_different_models_error_on_every_rank(ddp: dict[int, Any]) -> None:
    for k in (0, 1):
        msg = ddp[k]["mismatch"]
        assert msg is not None and "rank 1" in msg and "0.weight" in msg
        assert "(9, 4)" in msg and "(8, 4)" in msg


def test_ddp_unused_parameter_is_named(ddp: dict[int, Any]) -> None:
    msg = ddp[0]["unused"]
    assert msg is not None and "1.weight" in msg and "1.bias" in msg and "no gradient" in msg


def test_fit_distributed_agrees_on_every_rank(ddp: dict[int, Any]) -> None:
    # the train loss is the mean over both ranks' samples, so both histories agree
    assert ddp[0]["fit_train_loss"] == ddp[1]["fit_train_loss"]
    assert ddp[0]["fit_test_loss"] == ddp[1]["fit_test_loss"]
    assert ddp[0]["fit_sampler_epoch"] == 1  # set_epoch before each of the 2 epochs
