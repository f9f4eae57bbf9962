"""Organization-level settings: who issues the bags, which profile they claim, which styles.

These are the values a records office sets once, not per document (DESIGN.md, "Output").
They are read from ``unfolio.toml`` in the working folder, or from the file given with
``--config``; a missing ``unfolio.toml`` in the working folder means "all defaults", a missing
``--config`` file is an error. Every key is optional::

    source_organization = "United Nations"          # bag-info Source-Organization
    contact_name = "Records Officer"                 # bag-info Contact-Name (omitted if unset)
    contact_email = "records@example.org"           # bag-info Contact-Email (omitted if unset)
    profile_identifier = "https://unfolio.example/bagit-profiles/un-document-v2.json"
    emblem = "emblem.svg"                            # SVG printed instead of the placeholder
    styles = "my-styles"                             # overlay: its css/, templates/, SVGs win

A ``[signing]`` table names the organization's signing identity (read by ``build``) and the
certificates ``verify`` trusts; every key optional, paths relative to the file::

    [signing]
    key = "keys/org.key.pem"            # PEM private key (encrypted: UNFOLIO_SIGN_PASSPHRASE)
    certificate = "keys/org.cert.pem"   # its certificate
    chain = "keys/chain.pem"            # intermediate certificates, if any
    # pkcs12 = "keys/org.p12"           # instead of the three above
    trust = ["trust/root.pem"]          # verify's trust anchors (as --trust)
    require_signature = true            # verify fails an unsigned bag (as --require-signature)

The key file's *path* is configuration; the key itself is read only by the process that
signs, never copied into the configuration a worker receives (see ``pipeline.sign``).

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
DEFAULT_PROFILE_IDENTIFIER = "https://unfolio.example/bagit-profiles/un-document-v2.json"
DEFAULT_SOURCE_ORGANIZATION = "United Nations"
CONFIG_NAME = "unfolio.toml"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TEXT_KEYS = ("source_organization", "contact_name", "contact_email", "profile_identifier")
_PATH_KEYS = ("emblem", "styles")


@dataclass(frozen=True)
class Signing:
    """The ``[signing]`` table: paths only (no key material), so it may travel with a task."""

    key: Path | None = None
    certificate: Path | None = None
    chain: Path | None = None
    pkcs12: Path | None = None
    trust: tuple[Path, ...] = ()
    require_signature: bool = False

    @property
    def signs(self) -> bool:
        return self.key is not None or self.pkcs12 is not None


_SIGNING_PATHS = ("key", "certificate", "chain", "pkcs12")


def _parse_signing(table: object, path: Path) -> tuple[Signing, list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(table, dict):
        return Signing(), [Problem(str(path), "signing: expected a table ([signing])")]
    values: dict[str, object] = {}
    for key, value in table.items():
        where = f"signing.{key}"
        if key in _SIGNING_PATHS:
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(str(path), f"{where}: expected a non-empty path"))
                continue
            resolved = (path.parent / value).resolve()
            if not resolved.is_file():
                problems.append(Problem(str(path), f"{where}: {resolved} is not a file"))
            values[key] = resolved
        elif key == "trust":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                problems.append(Problem(str(path), f"{where}: expected a path or list of paths"))
                continue
            resolved_all = tuple((path.parent / item).resolve() for item in items)
            problems += [
                Problem(str(path), f"{where}: {p} is not a file")
                for p in resolved_all
                if not p.is_file()
            ]
            values[key] = resolved_all
        elif key == "require_signature":
            if not isinstance(value, bool):
                problems.append(Problem(str(path), f"{where}: expected true or false"))
            values[key] = bool(value)
        else:
            known = ", ".join((*_SIGNING_PATHS, "trust", "require_signature"))
            problems.append(Problem(str(path), f"unknown key {where!r} (known: {known})"))
    if "pkcs12" in values and ("key" in values or "certificate" in values):
        problems.append(Problem(str(path), "signing: pkcs12, or key and certificate, not both"))
    elif ("key" in values) != ("certificate" in values):
        problems.append(Problem(str(path), "signing: key and certificate go together"))
    return Signing(**values), problems  # type: ignore[arg-type]


@dataclass(frozen=True)
class Config:
    """The settings in force for a run; ``Config()`` is the documented defaults."""

    source_organization: str = DEFAULT_SOURCE_ORGANIZATION
    contact_name: str | None = None
    contact_email: str | None = None
    profile_identifier: str = DEFAULT_PROFILE_IDENTIFIER
    emblem: Path | None = None
    styles: Path | None = None  # None: the shipped styles folder
    signing: Signing = Signing()

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
        if key == "signing":
            values[key], found = _parse_signing(value, path)
            problems += found
        elif key not in _TEXT_KEYS + _PATH_KEYS:
            known = ", ".join((*_TEXT_KEYS, *_PATH_KEYS, "signing"))
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
