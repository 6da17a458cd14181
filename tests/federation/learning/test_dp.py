from __future__ import annotations

import math

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.federation.learning.dp import epsilon_spent, flwr_epsilon, privatise, privatise_arrays, update_norm


def test_clipping_bounds_the_norm_without_noise():
    update = [np.full((10, 10), 1.0), np.full(5, 2.0)]  # norm sqrt(100 + 20)
    clipped = privatise(update, clip=1.0, noise_multiplier=0.0, rng=0)
    assert update_norm(clipped) == pytest.approx(1.0)
    assert clipped[0][0, 0] / clipped[1][0] == pytest.approx(0.5)  # direction kept
    small = privatise([np.array([0.3, 0.4])], clip=1.0, noise_multiplier=0.0, rng=0)
    np.testing.assert_allclose(small[0], [0.3, 0.4])  # inside the ball: unchanged


def test_noise_has_the_promised_scale():
    update = [np.zeros(200_000)]
    noisy = privatise(update, clip=0.5, noise_multiplier=1.2, rng=np.random.default_rng(7))
    assert noisy[0].std() == pytest.approx(0.6, rel=0.01)  # z * C
    assert abs(noisy[0].mean()) < 0.01
    again = privatise(update, clip=0.5, noise_multiplier=1.2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(noisy[0], again[0])


def test_privatise_arrays_noises_the_update_not_the_model():
    global_arrays = [np.full(4, 10.0)]
    local = [np.full(4, 13.0)]  # update norm 6
    out = privatise_arrays(local, global_arrays, clip=3.0, noise_multiplier=0.0, rng=0)
    np.testing.assert_allclose(out[0], 11.5)


def test_epsilon_grows_with_rounds_and_shrinks_with_noise():
    values = [epsilon_spent(1.0, rounds, 1e-5) for rounds in (1, 2, 5, 10, 50)]
    assert values == sorted(values) and len(set(values)) == 5
    assert epsilon_spent(2.0, 10, 1e-5) < epsilon_spent(1.0, 10, 1e-5)
    assert epsilon_spent(1.0, 10, 1e-3) < epsilon_spent(1.0, 10, 1e-5)
    assert epsilon_spent(1.0, 0, 1e-5) == 0.0
    assert epsilon_spent(0.0, 3, 1e-5) == math.inf


def test_epsilon_matches_the_closed_form_bound():
    # T Gaussian releases with multiplier z are a Gaussian mechanism with z / sqrt(T); the RDP bound with the
    # standard conversion is eps = T a / (2 z^2) + log(1/delta) / (a - 1) at the best order a; ours is tighter
    z, rounds, delta = 1.5, 20, 1e-5
    standard = min(rounds * a / (2 * z * z) + math.log(1 / delta) / (a - 1) for a in np.linspace(1.01, 200, 20000))
    ours = epsilon_spent(z, rounds, delta)
    assert ours < standard
    assert ours > 0.8 * standard


def test_epsilon_equals_flwr_reference_values():
    # computed with flwr 1.41's RdpAccountant (NO_AMPLIFICATION, add-or-remove-one) and dp-accounting 0.6.0
    assert epsilon_spent(1.1, 10, 1e-5) == pytest.approx(16.856677599575107, rel=1e-12)
    assert epsilon_spent(2.0, 50, 1e-6) == pytest.approx(23.70389051398901, rel=1e-12)
    assert epsilon_spent(5.0, 3, 1e-3) == pytest.approx(1.0059798918650902, rel=1e-12)


def test_epsilon_equals_flwr_where_available():
    expected = flwr_epsilon(1.1, 10, 1e-5)
    if expected is None:
        pytest.skip("flwr's accountant needs the optional dp-accounting package (flwr[dp]), not installed")
    assert epsilon_spent(1.1, 10, 1e-5) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: privatise([np.zeros(2)], clip=0.0, noise_multiplier=1.0, rng=0), "clip must be a finite number > 0"),
        (lambda: privatise([np.zeros(2)], clip=1.0, noise_multiplier=-1.0, rng=0), "noise_multiplier must be"),
        (lambda: privatise([np.zeros(2)], clip=float("inf"), noise_multiplier=1.0, rng=0), "clip must be"),
        (lambda: epsilon_spent(1.0, -1, 1e-5), "rounds must be a whole number"),
        (lambda: epsilon_spent(1.0, 2.5, 1e-5), "rounds must be a whole number"),
        (lambda: epsilon_spent(1.0, 3, 1.5), "delta must be strictly between 0 and 1"),
        (lambda: epsilon_spent(1.0, 3, 0), "delta must be strictly between 0 and 1"),
    ],
)
def test_bad_dp_settings_are_refused(call, message):
    with pytest.raises(ResonanceError, match=message):
        call()
