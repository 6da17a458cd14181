"""Client-side differential privacy for model updates: clip, add Gaussian noise, account ε.

At each node, every round: ``update = local - global``; ``privatise`` scales the update to L2 norm at most
``clip`` and adds N(0, (noise_multiplier · clip)²) to every coordinate, so the update that leaves the node is
already private (the space and the other nodes see only noised numbers; SecAgg+ can hide them further).
Neighbouring datasets differ by one dataset's whole contribution (add or remove), so each round is one
Gaussian mechanism with sensitivity ``clip`` and noise multiplier ``z``.

``epsilon_spent`` accounts the rounds with Rényi DP: a Gaussian mechanism has RDP ε(α) = α / (2 z²), T rounds
compose to T·α / (2 z²), and the conversion to (ε, δ) is the tighter one of Balle et al. 2020 (the one Google's
``dp_accounting`` uses), minimised over the same grid of orders. Why hand-written: flwr 1.41's own
``RdpAccountant`` (``flwr.supercore.privacy_accounting``) wraps the optional ``dp-accounting`` package
(``flwr[dp]``), which is not installed here; for the un-sampled Gaussian mechanism the whole computation is the
closed form above. ``flwr_epsilon`` gives flwr's number when that package is present, and the tests compare
the two there.
"""

from __future__ import annotations

import math

import numpy as np

from resonance.errors import ResonanceError

ORDERS = tuple([1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024])
"""Rényi orders searched (dp_accounting's default grid, extended)."""


def update_norm(update: list[np.ndarray]) -> float:
    """The L2 norm of all arrays of an update taken together."""
    return float(math.sqrt(sum(float(np.square(np.asarray(a, dtype=np.float64)).sum()) for a in update)))


def privatise(
    update: list[np.ndarray], clip: float, noise_multiplier: float, rng: np.random.Generator | int | None
) -> list[np.ndarray]:
    """The update clipped to L2 norm ``clip`` plus Gaussian noise of std ``noise_multiplier · clip`` per value.

    ``rng`` is a numpy Generator (or a seed); pass a fresh, unpredictable one in production (``None``): noise a
    consumer could regenerate protects nothing.
    """
    _check(clip, noise_multiplier)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    norm = update_norm(update)
    scale = min(1.0, clip / norm) if norm > 0 else 1.0
    std = noise_multiplier * clip
    return [
        np.asarray(a, dtype=np.float64) * scale + generator.normal(0.0, std, size=np.shape(a))
        if std > 0
        else np.asarray(a, dtype=np.float64) * scale
        for a in update
    ]


def privatise_arrays(
    local: list[np.ndarray],
    global_arrays: list[np.ndarray],
    clip: float,
    noise_multiplier: float,
    rng: np.random.Generator | int | None,
) -> list[np.ndarray]:
    """``global + privatise(local - global)``: the arrays a node sends instead of its raw local model."""
    update = [
        np.asarray(a, dtype=np.float64) - np.asarray(g, dtype=np.float64)
        for a, g in zip(local, global_arrays, strict=True)
    ]
    noisy = privatise(update, clip, noise_multiplier, rng)
    return [np.asarray(g, dtype=np.float64) + u for g, u in zip(global_arrays, noisy, strict=True)]


def epsilon_spent(noise_multiplier: float, rounds: int, delta: float) -> float:
    """ε after ``rounds`` Gaussian releases with ``noise_multiplier``, at ``delta`` (0 rounds → 0; z = 0 → inf)."""
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise ResonanceError(
            what=f"rounds must be a whole number ≥ 0, got {rounds!r}",
            where="epsilon_spent",
            fix="count the rounds this dataset took part in",
            code="bad_rounds",
        )
    if not (isinstance(delta, int | float) and 0 < delta < 1):
        raise ResonanceError(
            what=f"delta must be strictly between 0 and 1, got {delta!r}",
            where="epsilon_spent",
            fix="use e.g. 1e-5 (below 1 / number of rows)",
            code="bad_delta",
        )
    _check(1.0, noise_multiplier)
    if rounds == 0:
        return 0.0
    if noise_multiplier == 0:
        return math.inf
    best = math.inf
    for alpha in ORDERS:
        rdp = rounds * alpha / (2.0 * noise_multiplier**2)
        eps = rdp + math.log1p(-1.0 / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1.0)
        best = min(best, eps)
    return max(best, 0.0)


def flwr_epsilon(noise_multiplier: float, rounds: int, delta: float) -> float | None:
    """The same ε from flwr's RdpAccountant (no sampling amplification), or None without ``dp-accounting``."""
    try:
        from flwr.supercore.privacy_accounting import (
            GaussianPrivacyEvent,
            NeighboringRelation,
            PrivacyConfig,
            SamplingMethod,
        )
        from flwr.supercore.privacy_accounting.rdp_accountant import RdpAccountant

        accountant = RdpAccountant(
            PrivacyConfig(
                target_delta=delta,
                population_size=1,
                neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
                sampling_method=SamplingMethod.NO_AMPLIFICATION,
            )
        )
    except ImportError:
        return None
    accountant.compose(GaussianPrivacyEvent(noise_multiplier, 1, 1), rounds)
    return accountant.get_epsilon(delta)


def _check(clip: float, noise_multiplier: float) -> None:
    for name, value, low in (("clip", clip, "> 0"), ("noise_multiplier", noise_multiplier, "≥ 0")):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (value > 0 if low == "> 0" else value >= 0)
        if not ok:
            raise ResonanceError(
                what=f"{name} must be a finite number {low}, got {value!r}",
                where="dp",
                fix="set dp_clip > 0 and dp_noise_multiplier ≥ 0 in the task",
                code="bad_dp",
            )
