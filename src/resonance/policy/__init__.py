"""Usage control (使用控制): ODRL-shaped policies, Dataspace Protocol negotiation, contracts, DP budget, metering."""
