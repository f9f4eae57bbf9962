"""The build key: one digest of everything that determines a bag, for incremental builds.

``bag-info.txt`` carries it as ``UN-Build-Key``; a later run that computes the same key skips
the document. Computing it never renders and never imports WeasyPrint or pikepdf, so a
no-change rebuild of thousands of documents costs a few milliseconds each. It covers:

- the source files, names and bytes (``document.json`` and every part, as validated);
- the PDF/A flavour and the output format (``dir``, ``zip``, ``tgz``);
- the configuration values (:meth:`pipeline.config.Config.key_values`) and the emblem's bytes;
- every file of the styles folder used for rendering (templates, CSS, locale strings,
  ``fonts.json``) and of a configured ``styles`` folder, and every file of the shipped
  ``schemas`` folder (``xmp-un.json`` shapes each PDF's XMP, ``bag-profile.json`` each bag);
- for a signed build, the SHA-256 fingerprints of the certificate and of the chain embedded
  with it, and the versions of pyHanko,
  pyhanko-certvalidator, asn1crypto and cryptography (:func:`pipeline.sign.key_values`);
  never the key (an unsigned build's key has none of these, so it is as before);
- ``SOURCE_DATE_EPOCH`` when it is set (it fixes ``Bagging-Date``, the PREMIS event times and
  the archive member times): a bag made with another value, or without one, is rebuilt, so an
  incremental build gives the same bytes as a build from scratch. Unset, the build time is
  not part of the key (a bag is not rebuilt only because a day has passed);
- the environment (:func:`environment`): the unfolio version and a digest of its own code
  (so an edited checkout with an unchanged version number still rebuilds), the Python
  version, the versions of the Python libraries that shape the output (WeasyPrint, pydyf,
  pikepdf, fontTools, tinycss2, cssselect2, Pyphen, Pillow, markdown-it-py, mdit-py-plugins,
  Jinja2, segno, python-barcode, lxml), the zlib the PDF streams are compressed with, the
  native HarfBuzz, Pango, Fontconfig and FreeType the text is shaped and subset with, and the
  bytes of every pinned font file (a SHA-256 per file).

Font files are large (about 95 MB for the CJK collections): each is hashed once per process and
the digest cached under its ``(path, device, inode, size, mtime_ns, ctime_ns)``, so a file
replaced in place is hashed again. Only the bytes enter the key: modification times are not
portable between machines, bytes are.

Each item is framed with its length, so no two different inputs hash the same byte stream.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import stat
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.model import Document
from pipeline.resources import schemas_dir, styles_dir

if TYPE_CHECKING:
    from pipeline.config import Config

KEY_VERSION = "3"
KEY_ELEMENT = "UN-Build-Key"
FORMATS = ("dir", "zip", "tgz", "ocfl")

#: Python distributions whose code shapes the bytes of a bag.
LIBRARIES = (
    "weasyprint",
    "pydyf",
    "pikepdf",
    "fonttools",
    "tinycss2",
    "cssselect2",
    "pyphen",
    "pillow",
    "markdown-it-py",
    "mdit-py-plugins",
    "jinja2",
    "segno",
    "python-barcode",
    "lxml",
)

#: Modules of unfolio that cannot change a bag (the command line, batch running, checks).
_CODE_EXCLUDED = ("batch", "verify", "cli", "doctor.py", "__main__.py")


def _frame(hasher: hashlib._Hash, label: str, data: bytes) -> None:
    for piece in (label.encode("utf-8"), data):
        hasher.update(len(piece).to_bytes(8, "big"))
        hasher.update(piece)


def _folder_files(folder: Path) -> Iterable[tuple[str, bytes]]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield path.relative_to(folder).as_posix(), path.read_bytes()


# --- the environment -----------------------------------------------------------------------

_font_digests: dict[tuple, str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, cached per process under its identity and times."""
    st = path.stat()
    ident = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    digest = _font_digests.get(ident)
    if digest is None:
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        _font_digests[ident] = digest
    return digest


def font_digests() -> dict[str, str]:
    """Each pinned font file's name → ``sha256:<hex>`` of its bytes (``missing`` if absent)."""
    from pipeline import fonts

    result = {}
    for face in fonts.faces():
        path = fonts.locate(face.file)
        result[face.file] = "missing" if path is None else "sha256:" + file_digest(path)
    return result


def _library_version(names: Iterable[str], symbol: str) -> str:
    for name in names:
        try:
            library = ctypes.CDLL(name)
            function = getattr(library, symbol)
        except (OSError, AttributeError):
            continue
        function.restype = ctypes.c_char_p
        return function().decode("ascii", "replace")
    return "unknown"


def _fontconfig_version() -> str:
    for name in ("libfontconfig.so.1", "libfontconfig-1.dll", "libfontconfig.1.dylib"):
        try:
            return str(ctypes.CDLL(name).FcGetVersion())
        except (OSError, AttributeError):
            continue
    return "unknown"


def _freetype_version() -> str:
    for name in ("libfreetype.so.6", "libfreetype-6.dll", "libfreetype.6.dylib"):
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        handle = ctypes.c_void_p()
        if library.FT_Init_FreeType(ctypes.byref(handle)) != 0:
            return "unknown"
        major, minor, patch = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        library.FT_Library_Version(
            handle, ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch)
        )
        library.FT_Done_FreeType(handle)
        return f"{major.value}.{minor.value}.{patch.value}"
    return "unknown"


@cache
def native_versions() -> dict[str, str]:
    """Versions of the C libraries that shape, subset and compress (no WeasyPrint import)."""
    return {
        "harfbuzz": _library_version(
            ("libharfbuzz.so.0", "libharfbuzz-0.dll", "libharfbuzz.0.dylib"), "hb_version_string"
        ),
        "pango": _library_version(
            ("libpango-1.0.so.0", "libpango-1.0-0.dll", "libpango-1.0.0.dylib"),
            "pango_version_string",
        ),
        "fontconfig": _fontconfig_version(),
        "freetype": _freetype_version(),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }


@cache
def code_digest() -> str:
    """Digest of unfolio's own modules that can change a bag (not cli, batch, verify)."""
    root = Path(__file__).resolve().parent.parent
    hasher = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/", 1)[0] in _CODE_EXCLUDED or path.name.startswith("."):
            continue  # not output-shaping, or an editor's lock or backup file
        try:
            _frame(hasher, relative, path.read_bytes())
        except OSError:  # vanished or unreadable while listing: not code Python could import
            continue
    return hasher.hexdigest()


@cache
def _static_environment() -> tuple[tuple[str, str], ...]:
    values = {
        "unfolio": __version__,
        "unfolio-code": code_digest(),
        "python": f"{platform.python_implementation()} {sys.version_info[0]}.{sys.version_info[1]}",
    }
    for name in LIBRARIES:
        try:
            values[f"py:{name}"] = metadata.version(name)
        except metadata.PackageNotFoundError:
            values[f"py:{name}"] = "absent"
    values.update({f"lib:{k}": v for k, v in native_versions().items()})
    return tuple(sorted(values.items()))


def environment() -> dict[str, str]:
    """Everything outside the document and the options that determines a bag, as text."""
    values = dict(_static_environment())
    values.update({f"font:{name}": digest for name, digest in font_digests().items()})
    return values


# --- the key --------------------------------------------------------------------------------


def build_key(
    document: Document,
    *,
    flavour: str,
    config_values: Mapping[str, str],
    styles: Path | Iterable[Path],
    fmt: str = "dir",
    emblem: Path | None = None,
    env: Mapping[str, str] | None = None,
    source_date_epoch: str | None = None,
    signing: Iterable[tuple[str, str]] = (),
) -> str:
    """``sha256:<hex>`` over the inputs listed in the module docstring.

    ``styles`` is one folder or several (the shipped ``schemas`` folder is always added);
    ``env`` defaults to :func:`environment`.
    """
    hasher = hashlib.sha256()
    _frame(hasher, "key-version", KEY_VERSION.encode())
    _frame(hasher, "flavour", flavour.encode())
    _frame(hasher, "format", fmt.encode())
    env = environment() if env is None else env
    for name in sorted(env):
        _frame(hasher, f"env:{name}", env[name].encode("utf-8"))
    for name in sorted(config_values):
        _frame(hasher, f"config:{name}", config_values[name].encode("utf-8"))
    for name, value in signing:
        _frame(hasher, f"signing:{name}", value.encode("utf-8"))
    if source_date_epoch is not None:
        _frame(hasher, "source-date-epoch", source_date_epoch.strip().encode("utf-8"))
    if emblem is not None:
        _frame(hasher, "emblem", Path(emblem).read_bytes())
    for source in document.files:
        _frame(hasher, f"source:{source.name}", source.data)
    folders = [styles] if isinstance(styles, Path) else list(styles)
    for index, folder in enumerate(folders):
        for name, data in _folder_files(Path(folder)):
            _frame(hasher, f"styles{index}:{name}", data)
    for name, data in _folder_files(schemas_dir()):
        _frame(hasher, f"schemas:{name}", data)
    return f"sha256:{hasher.hexdigest()}"


_folder_cache: dict[tuple, tuple[tuple[str, bytes], ...]] = {}


def _folder_files(folder: Path) -> tuple[tuple[str, bytes], ...]:
    """A data folder's files, read once per process unless a file's size or time changed."""
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    stamp = tuple(
        (p.as_posix(), s.st_size, s.st_mtime_ns, s.st_ctime_ns) for p in paths for s in [p.stat()]
    )
    cached = _folder_cache.get(stamp)
    if cached is None:
        cached = tuple((p.relative_to(folder).as_posix(), p.read_bytes()) for p in paths)
        if len(_folder_cache) > 8:
            _folder_cache.clear()
        _folder_cache[stamp] = cached
    return cached


def key_for(
    document: Document,
    *,
    flavour: str,
    config: Config,
    fmt: str = "dir",
    signing: Iterable[tuple[str, str]] = (),
) -> str:
    """The build key of ``document`` built with these options: what every caller should use.

    ``signing`` is :meth:`pipeline.sign.Signer.key_values` for a signed build."""
    shipped = styles_dir()
    folders = [shipped]
    if config.styles is not None and Path(config.styles).resolve() != shipped.resolve():
        folders.append(Path(config.styles))
    return build_key(
        document,
        flavour=flavour,
        config_values=config.key_values(),
        styles=folders,
        fmt=fmt,
        emblem=config.emblem,
        source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH", "").strip() or None,
        signing=signing,
    )


# --- the key of a bag already on disk --------------------------------------------------------


def destination(out_dir: Path, name: str, fmt: str) -> Path:
    """Where a bag called ``name`` is written in ``out_dir`` in format ``fmt``."""
    from pipeline.package import archive

    if fmt == "dir":
        return Path(out_dir) / name
    if fmt == "ocfl":
        return ocfl_object(out_dir, name) or Path(out_dir)
    return Path(out_dir) / archive.archive_name(name, fmt)  # type: ignore[arg-type]


def ocfl_object(root: Path, name: str) -> Path | None:
    """The object folder of the bag ``name`` in the OCFL storage root ``root`` (None: no root)."""
    from pipeline.package import ocfl
    from pipeline.symbols import parse_file_stem, undocs_url

    if not ocfl.is_storage_root(root):
        return None
    symbols, language = parse_file_stem(name)
    return ocfl.object_path(root, undocs_url(symbols[0], language))


def _key_in(info: bytes) -> str | None:
    prefix = KEY_ELEMENT.encode() + b":"
    for line in info.splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :].strip().decode("ascii", "replace")
    return None


def existing_key(out_dir: Path, name: str, fmt: str) -> str | None:
    """The ``UN-Build-Key`` of the complete bag ``name`` in ``out_dir``, or None.

    A folder bag counts when ``bagit.txt`` and ``bag-info.txt`` are there (the writer puts a
    bag in place by one rename, so a bag at its name is complete); an archive when its
    ``.sha256`` sidecar is beside it (the writer puts the sidecar in place last). Only ``bag-info.txt`` is read (from a zip through its
    central directory, from a tar from its first members): fixity is ``unfolio verify``'s job.
    """
    out_dir = Path(out_dir)
    try:
        if fmt == "dir":
            bag = out_dir / name
            if not (bag / "bagit.txt").is_file():
                return None
            return _key_in(_small_regular_file(bag / "bag-info.txt"))
        if fmt == "ocfl":
            from pipeline.package import ocfl

            obj = ocfl_object(out_dir, name)
            return None if obj is None or not ocfl.is_object(obj) else ocfl.head_key(obj)
        from pipeline.package.archive import sidecar_name

        bundle = destination(out_dir, name, fmt)
        if bundle.is_file() and (out_dir / sidecar_name(bundle.name)).is_file():
            return _archive_key(bundle, name, fmt)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, KeyError):
        return None
    return None


def _small_regular_file(path: Path, limit: int = 1 << 20) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO or device) of at most
    ``limit`` bytes; else ``OSError``. Whatever sits in the output folder is not trusted."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise OSError(f"{path}: not a small regular file")
        return os.read(fd, limit + 1)
    finally:
        os.close(fd)


def _archive_key(archive: Path, name: str, fmt: str) -> str | None:
    member = f"{name}/bag-info.txt"
    if fmt == "zip":
        with zipfile.ZipFile(archive) as bundle:
            info = bundle.getinfo(member)
            if info.file_size > 1 << 20:
                return None
            return _key_in(bundle.read(info))
    with tarfile.open(archive, "r|gz") as bundle:
        for count, entry in enumerate(bundle):
            if entry.name.rstrip("/") == member and entry.isfile() and entry.size < 1 << 20:
                handle = bundle.extractfile(entry)
                return None if handle is None else _key_in(handle.read())
            if count > 16:  # sorted entries: bag-info.txt is among the first few
                return None
    return None
