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


def style_file(relative: str, overlay: Path | None = None) -> Path:
    """``relative`` (e.g. ``css/unfolio.css``) from the ``overlay`` styles folder when it holds
    it, else from the shipped one: a records office's ``styles`` folder (``unfolio.toml``)
    replaces the shipped files it has and keeps the rest."""
    if overlay is not None:
        candidate = Path(overlay) / relative
        if candidate.is_file():
            return candidate
    return styles_dir() / relative
