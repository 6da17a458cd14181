"""Standard metadata exports of a dataset card: DCAT 3 (catalogs) and Croissant 1.1 (ML tooling).

Both are JSON-LD dicts with their ``@context`` inline (nothing is fetched to read them) and both carry
metadata only: the card's published fields and, from the profile, column names, types and counts — never
a value from a row, never a local path. The distribution is access at the provider's node, not a download.
"""

from resonance.node.exports.croissant import to_croissant
from resonance.node.exports.dcat import to_dcat

__all__ = ["to_croissant", "to_dcat"]
