"""Sensitivity at the data node: find identifiers per column, propose a GB/T 43697 grade, record the decision.

- ``recognizers``: one recognizer per kind (resident ID, USCC, bank card, mobile, e-mail, IPv4, licence
  plate; person names by column header), each a regex for candidates plus a ``validate`` check.
- ``detect``: ``scan_column`` / ``scan_table`` report per-kind match and contains rates over a
  deterministic sample, never the values themselves.
- ``grading``: ``grade`` proposes 一般/重要/核心 from ``data/grading_rules.yaml``; ``confirm`` records the
  data-security officer's decision; ``may_offer_for_federated_use`` gates federated use.
"""

from resonance.node.sensitivity.detect import ColumnSensitivity, KindFinding, scan_column, scan_table
from resonance.node.sensitivity.grading import (
    GradeDecision,
    GradeProposal,
    GradingRules,
    Reason,
    confirm,
    default_grading_rules,
    grade,
    load_grading_rules,
    may_offer_for_federated_use,
)
from resonance.node.sensitivity.recognizers import (
    HEADER_RECOGNIZERS,
    KINDS,
    RECOGNIZERS,
    VALUE_RECOGNIZERS,
    HeaderRecognizer,
    Recognizer,
)

__all__ = [
    "HEADER_RECOGNIZERS",
    "KINDS",
    "RECOGNIZERS",
    "VALUE_RECOGNIZERS",
    "ColumnSensitivity",
    "GradeDecision",
    "GradeProposal",
    "GradingRules",
    "HeaderRecognizer",
    "KindFinding",
    "Reason",
    "Recognizer",
    "confirm",
    "default_grading_rules",
    "grade",
    "load_grading_rules",
    "may_offer_for_federated_use",
    "scan_column",
    "scan_table",
]
