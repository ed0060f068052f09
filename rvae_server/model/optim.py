"""The optimiser of training: Adam as one fused CPU kernel (see :class:`FusedAdam`)."""

from __future__ import annotations

import torch


class FusedAdam:
    """Adam (betas 0.9, 0.999, eps 1e-8, no weight decay) as one fused CPU kernel per step: the same update as
    ``torch.optim.Adam(fused=True)`` without ``torch.optim``'s first-use import of ``torch._dynamo`` (2 s on an
    idle core, 15+ s on a busy one: more than the whole training of a dozen clips). Falls back to
    ``torch.optim.Adam`` where the kernel is missing."""

    def __init__(self, params: list[torch.nn.Parameter], lr: float = 1e-3) -> None:
        self.params = params
        self.lr = lr
        self.kernel = getattr(torch, "_fused_adam_", None)
        self.fallback = None if self.kernel is not None else torch.optim.Adam(params, lr=lr)
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        if self.fallback is not None:
            for group in self.fallback.param_groups:
                group["lr"] = self.lr
            self.fallback.step()
            return
        with torch.no_grad():
            for s in self.steps:
                s += 1
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
            self.kernel(  # type: ignore[misc]
                self.params, grads, self.exp_avg, self.exp_avg_sq, [], self.steps,
                lr=self.lr, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False,
            )  # fmt: skip


__all__ = ["FusedAdam"]
