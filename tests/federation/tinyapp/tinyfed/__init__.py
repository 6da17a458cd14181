"""A tiny FedAvg app: each node adds its own value (read from ``<node home>/tiny.json``) to the global vector."""
