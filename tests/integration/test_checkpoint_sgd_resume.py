"""Checkpoints carry real training state: parameters, an optimizer's state_dict (int keys,
momentum buffers) and RNG state survive save/load, so training continues bit for bit."""

from __future__ import annotations

import nanotorch
from nanotorch.optim import SGD


def _steps(w, opt, n):
    for _ in range(n):
        # Drawn on the cpu generator and copied over, so every device sees the same noise.
        noise = nanotorch.randn(*w.shape).to(w.device)
        opt.zero_grad()
        ((w - noise) ** 2).sum().backward()
        opt.step()


def test_checkpoint_resumes_sgd_training_exactly(device, tmp_path):
    w = nanotorch.randn(3, 2, device=device).requires_grad_()
    opt = SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    _steps(w, opt, 3)
    path = tmp_path / "run.safetensors"
    nanotorch.save(
        {"w": w, "optim": opt.state_dict(), "rng": nanotorch.get_rng_state(), "step": 3},
        path,
    )
    _steps(w, opt, 3)  # the run that was never interrupted
    expected = w.detach().cpu().numpy().tobytes()

    nanotorch.manual_seed(12345)  # a fresh process would start from another RNG position
    ckpt = nanotorch.load(path)
    w2 = ckpt["w"]
    opt2 = SGD([w2], lr=0.5)
    opt2.load_state_dict(ckpt["optim"])
    nanotorch.set_rng_state(ckpt["rng"])
    assert ckpt["step"] == 3 and w2.device == device and w2.requires_grad
    _steps(w2, opt2, 3)
    assert w2.detach().cpu().numpy().tobytes() == expected
