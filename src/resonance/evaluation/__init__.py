"""Evaluation: runs at the evaluator's node (signed results), leaderboards, slice diagnosis, data demands,
the flywheel and contribution accounting (ARCHITECTURE.md, "The flywheel")."""
