"""ACAI, the adversarially constrained autoencoder interpolation (Berthelot, Raffel, Roy, Goodfellow, ICLR 2019,
"Understanding and Improving Interpolation in Autoencoders via an Adversarial Regularizer"), for the rhythm
autoencoder's ``acai`` regularizer.

Per batch: pair each bar's code ``z1`` with another's ``z2``, draw ``alpha ~ U[0, 0.5]`` and decode the
interpolation ``alpha * z1 + (1 - alpha) * z2``. A **critic** reads decoded onset probabilities and predicts
``alpha``:

* critic loss ``= (critic(x_alpha) - alpha)^2 + critic(gamma * x + (1 - gamma) * x_hat)^2`` (the second term,
  on a mix of a real bar and its reconstruction, keeps the critic honest about realistic outputs);
* the autoencoder adds ``lam * critic(x_alpha)^2``: interpolations should look like reconstructions, so a
  point between two clips decodes to a plausible bar rather than a blur.

The critic exists only while training; it is not saved with the model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rvae_server.model.network import ModelConfig, RhythmVAE

LAMBDA = 0.5
GAMMA = 0.2
CRITIC_HIDDEN = 256


class Critic(nn.Module):
    """Onset probabilities ``(N, 864)`` → predicted mixing coefficient ``(N,)``."""

    def __init__(self, config: ModelConfig, hidden: int = CRITIC_HIDDEN) -> None:
        super().__init__()
        self.hidden = nn.Linear(config.cells, hidden)
        self.out = nn.Linear(hidden, 1)
        self.slope = config.leaky_slope

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        return self.out(F.leaky_relu(self.hidden(probs), self.slope)).squeeze(1)


def interpolation_terms(
    model: RhythmVAE,
    critic: Critic,
    batch: torch.Tensor,
    recon_logits: torch.Tensor,
    mean: torch.Tensor,
    generator: torch.Generator,
    gamma: float = GAMMA,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(autoencoder term, critic loss)`` for one batch; the first has gradients for the autoencoder only
    (add ``lam *`` it to its loss), the second for the critic only."""
    n = mean.shape[0]
    cells = recon_logits.shape[1]
    alpha = torch.rand((n, 1), generator=generator) * 0.5
    other = torch.roll(torch.arange(n), 1) if n > 1 else torch.arange(n)
    mixed = torch.sigmoid(model.decoder(alpha * mean + (1 - alpha) * mean[other]).onset_logits)
    ae_term = critic(mixed).pow(2).mean()
    real = batch[:, :cells]
    blend = gamma * real + (1 - gamma) * torch.sigmoid(recon_logits.detach())
    critic_loss = (critic(mixed.detach()) - alpha.squeeze(1)).pow(2).mean() + critic(blend).pow(2).mean()
    return ae_term, critic_loss


__all__ = ["CRITIC_HIDDEN", "GAMMA", "LAMBDA", "Critic", "interpolation_terms"]
