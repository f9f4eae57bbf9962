"""Batch builds: many source folders → bags, in parallel, incrementally, isolated.

``sources`` expands the SRC arguments (folders, globs, ``@list.txt``); ``worker`` holds the
per-document function and the main process's skip check; ``pool`` runs local worker
processes, ``dask`` a Dask cluster; ``progress`` and ``summary`` report; ``runner`` puts them
together for ``unfolio build``. Nothing is imported here: ``validate`` expands its targets with
``sources`` and must not pay for the runner's imports.
"""
