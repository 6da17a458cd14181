"""Binary logistic regression in numpy: predicts the probability of class 1 (e.g. "Machine failure")."""

from __future__ import annotations

from resonance.federation.learning.families._glm import LinearModel


class LogisticFamily(LinearModel):
    """Log loss, optional class weighting (``spec.class_weight``), FedProx when ``spec.proximal_mu > 0``."""

    name = "logistic"
    task = "classification"
    link = "logit"
