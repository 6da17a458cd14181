"""Evaluation datasets (kind ``evaluation``): held at the evaluator's node, used only to evaluate, only by
the evaluator.

``protect`` attaches the usage policy that says so (ODRL: one permission, ``evaluate``, recipient = the
evaluator; ``rawExport`` prohibited). Because a dataset's policy is the ceiling of every contract on it
(``policy.contracts``), nobody can then obtain a contract to train on it, and a training job naming it is
refused for want of a ``federatedTrain`` contract. ``check_evaluable`` is what an evaluation run asks
first: the dataset is an evaluation dataset, the requester is its evaluator, and its policy permits nothing
but ``evaluate`` for that evaluator — a leaderboard is only as good as the guarantee that no ranked model
could have been trained on its data.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from resonance.errors import Forbidden, ResonanceError
from resonance.policy import contracts, odrl
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

KIND = "evaluation"


def policy_for(dataset: m.Dataset, evaluator: str) -> odrl.Policy:
    """Only ``evaluate``, only for ``evaluator``; raw export prohibited."""
    return odrl.build(
        target=display_key(dataset), assigner=evaluator, operations=["evaluate"], consumers=[evaluator]
    ).with_changes(kind="Set")


def protect(session: Session, dataset: str, actor: str) -> odrl.Policy:
    """Attach the evaluation-only policy to an evaluation dataset (by its owner, the evaluator)."""
    row = resolve(session, m.Dataset, dataset, where="dataset")
    _require_kind(row)
    owner = session.get(m.Organisation, row.owner_org_id)
    return contracts.set_dataset_policy(session, display_key(row), odrl.to_jsonld(policy_for(row, owner.code)), actor)


def check_evaluable(session: Session, dataset: m.Dataset, evaluator: m.Organisation) -> None:
    """Refuse unless ``evaluator`` may evaluate models on ``dataset`` (see the module docstring)."""
    _require_kind(dataset)
    key = display_key(dataset)
    if dataset.owner_org_id != evaluator.id:
        raise Forbidden(
            f"{evaluator.code} is not the evaluator of {key}; only the organisation holding an evaluation dataset "
            "evaluates on it / 只有持有评测数据集的评测机构可以在其上评测",
            fix="evaluate on one of your own evaluation datasets (`resonance dataset list --kind evaluation`)",
        )
    policy = contracts.dataset_policy(session, dataset)
    if policy is None:
        raise ResonanceError(
            what=f"evaluation dataset {key} has no usage policy, so nothing stops it being used for training "
            "/ 评测数据集尚未设置仅评测的使用策略",
            where="dataset",
            fix=f"attach the evaluation-only policy: `resonance eval protect {key}`",
            code="unprotected_evaluation_dataset",
            status=409,
        )
    extra = sorted(policy.operations - {"evaluate"})
    consumers = policy.constraints().consumers
    if extra or "evaluate" not in policy.operations or (consumers and evaluator.code not in consumers):
        raise ResonanceError(
            what=f"the usage policy of {key} permits {sorted(policy.operations)} for "
            f"{list(consumers) or 'anyone'}; an evaluation dataset may permit only evaluate, only for its evaluator",
            where="dataset policy",
            fix=f"replace it with the evaluation-only policy: `resonance eval protect {key}`",
            code="unprotected_evaluation_dataset",
            status=409,
        )


def _require_kind(dataset: m.Dataset) -> None:
    if dataset.kind != KIND:
        raise ResonanceError(
            what=f"dataset {display_key(dataset)} is of kind {dataset.kind}, not an evaluation dataset (评测)",
            where="dataset",
            fix="register evaluation data with `resonance data add … --kind 评测` at the evaluator's node",
            code="not_an_evaluation_dataset",
            status=409,
        )
