"""Linear regression in numpy (half squared error), e.g. remaining useful life from sensor readings."""

from __future__ import annotations

from resonance.federation.learning.families._glm import LinearModel


class LinearFamily(LinearModel):
    """Least squares by mini-batch Adam; FedProx when ``spec.proximal_mu > 0``. Initialise with the pooled
    standardiser so the intercept starts at the target mean."""

    name = "linear"
    task = "regression"
    link = "identity"
