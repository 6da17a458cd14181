"""Resonance Space (模数共振空间): the software for the 2026 模数共振 action."""

__version__ = "0.1.0"
