"""``make stress``: hostile input, limits, faults and hostile bags run through the real CLI.

``stress/run.py`` is the entry point; ``harness`` runs one case (its own temp folder, a
loopback listener that must see no connection, a canary folder that must stay untouched, the
invariants every case is held to); ``cases_input``, ``cases_faults`` and ``cases_verify`` hold
the cases of each concern.
"""
