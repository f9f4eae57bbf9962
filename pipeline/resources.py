"""Where the shipped data folders are: beside the package in a wheel, at the repo root in a checkout."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"unfolio data folder {name!r} is missing from the installation")


def styles_dir() -> Path:
    return _data_dir("styles")


def schemas_dir() -> Path:
    return _data_dir("schemas")
