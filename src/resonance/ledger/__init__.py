"""The 存证 ledger: hash-chained, Ed25519-signed events of every governance act, stored in the registry."""
