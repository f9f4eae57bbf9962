"""unfolio: UN documents to PDF/A and archival BagIt packages.

The package is split by stage; data flows one way:
source → model → typeset → package → verify. ``locale`` and ``symbols`` are leaves.
"""

__version__ = "0.2.0"
