"""Organization-level settings: who issues the bags, which profile they claim, which styles.

These are the values a records office sets once, not per document (DESIGN.md, "Output").
They are read from ``unfolio.toml`` in the working folder, or from the file given with
``--config``; a missing ``unfolio.toml`` in the working folder means "all defaults", a missing
``--config`` file is an error. Every key is optional::

    source_organization = "United Nations"          # bag-info Source-Organization
    contact_name = "Records Officer"                 # bag-info Contact-Name (omitted if unset)
    contact_email = "records@example.org"           # bag-info Contact-Email (omitted if unset)
    profile_identifier = "https://unfolio.example/bagit-profiles/un-document-v1.json"
    emblem = "emblem.svg"                            # SVG printed instead of the placeholder
    styles = "my-styles"                             # overlay: its css/, templates/, SVGs win

Defaults: ``source_organization`` "United Nations"; no contact elements; the profile URI
:data:`DEFAULT_PROFILE_IDENTIFIER`, which is the ``BagIt-Profile-Identifier`` of the shipped
``schemas/bag-profile.json``; no emblem (the neutral placeholder); the shipped ``styles/``. A ``styles`` folder is an overlay
laid out like the shipped one: each of ``css/fonts.css`` (``css/fonts-zh.css``, ``css/fonts-ar.css``), ``css/geometry.css``,
``css/unfolio.css``, ``css/languages.css``, ``templates/document.html.j2``, ``recycle.svg`` and
``emblem-placeholder.svg`` it holds replaces the shipped file; locale strings and the pinned
fonts stay the shipped ones (they are the UN format and the reproducibility contract).
Relative paths are resolved against the folder holding the configuration file. No value may
contain a control character: each ends up in a line of ``bag-info.txt``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import Problem, UserError

#: The identifier of ``schemas/bag-profile.json``; bags claim it in ``BagIt-Profile-Identifier``.
DEFAULT_PROFILE_IDENTIFIER = "https://unfolio.example/bagit-profiles/un-document-v1.json"
DEFAULT_SOURCE_ORGANIZATION = "United Nations"
CONFIG_NAME = "unfolio.toml"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TEXT_KEYS = ("source_organization", "contact_name", "contact_email", "profile_identifier")
_PATH_KEYS = ("emblem", "styles")


@dataclass(frozen=True)
class Config:
    """The settings in force for a run; ``Config()`` is the documented defaults."""

    source_organization: str = DEFAULT_SOURCE_ORGANIZATION
    contact_name: str | None = None
    contact_email: str | None = None
    profile_identifier: str = DEFAULT_PROFILE_IDENTIFIER
    emblem: Path | None = None
    styles: Path | None = None  # None: the shipped styles folder

    def key_values(self) -> dict[str, str]:
        """The values that shape a bag, as text, for the build key."""
        return {
            "source_organization": self.source_organization,
            "contact_name": self.contact_name or "",
            "contact_email": self.contact_email or "",
            "profile_identifier": self.profile_identifier,
            # the emblem's bytes enter the key, not its path (which differs between machines)
            "emblem": "configured" if self.emblem else "",
        }


def found(path: Path | None = None, *, cwd: Path | None = None) -> Path | None:
    """The configuration file :func:`load` reads for ``path``: it, else ``unfolio.toml`` in
    ``cwd`` when there is one, else None (the defaults)."""
    if path is not None:
        return path
    candidate = Path(CONFIG_NAME) if cwd is None else cwd / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load(path: Path | None = None, *, cwd: Path | None = None) -> Config:
    """The configuration from ``path``, else ``unfolio.toml`` in ``cwd``, else the defaults."""
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(
            Problem(str(path), f"cannot read the configuration: {exc.strerror}")
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(Problem(str(path), f"not a valid UTF-8 TOML file: {exc}")) from None
    return _parse(data, path)


def _parse(data: dict[str, object], path: Path) -> Config:
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for key, value in data.items():
        if key not in _TEXT_KEYS + _PATH_KEYS:
            known = ", ".join(_TEXT_KEYS + _PATH_KEYS)
            problems.append(Problem(str(path), f"unknown key {key!r} (known: {known})"))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Problem(str(path), f"{key}: expected a non-empty string"))
        elif _CONTROL.search(value) or value != value.strip():
            problems.append(
                Problem(str(path), f"{key}: no control characters or surrounding spaces allowed")
            )
        elif key in _PATH_KEYS:
            values[key] = (path.parent / value).resolve()
        else:
            values[key] = value
    styles = values.get("styles")
    if isinstance(styles, Path) and not styles.is_dir():
        problems.append(Problem(str(path), f"styles: {styles} is not a folder"))
    emblem = values.get("emblem")
    if isinstance(emblem, Path) and not emblem.is_file():
        problems.append(Problem(str(path), f"emblem: {emblem} is not a file"))
    if problems:
        raise UserError(problems)
    return Config(**values)  # type: ignore[arg-type]
