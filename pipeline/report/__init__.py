"""Reports of a batch for people and dashboards: CSV, HTML and JUnit XML, one row per bag.

``build --report`` and ``verify --report`` write a transfer list a records officer can open
(CSV for a spreadsheet, HTML for a browser, offline and without script); ``verify --junit``
writes what CI dashboards read. Each writer consumes :class:`~.record.Record` objects one at a
time (so a streaming verify can feed it as targets finish) and publishes its file atomically
when closed; a run that ends in error leaves no report half-written.

``record`` is the row, ``rows`` makes rows of build results and verify reports, ``facts``
reads what a row needs from a bag (size, digest, pages), ``csvfile``, ``html`` and ``junit``
are the formats (each written through :class:`pipeline.atomic.Replacing`), ``writers``
opens them by file suffix.
"""

from __future__ import annotations

from pipeline.report.record import Issue, Record
from pipeline.report.writers import Reports, open_reports

__all__ = ["Issue", "Record", "Reports", "open_reports"]
