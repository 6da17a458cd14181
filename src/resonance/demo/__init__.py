"""The end-to-end demo and its bundled data (with provenance in data/PROVENANCE.md)."""
