"""The rules a bag is judged by (RFC 8493, the earlier BagIt versions, unfolio's layout) and
the limits that keep a hostile bag from exhausting memory or time.
"""

from __future__ import annotations

from pipeline.verify.findings import rule

SIGNATURE_NAME = "tagmanifest-sha512.txt.p7s"  # pipeline.sign.cms.SIGNATURE_NAME

# -- limits: a hostile bag must not exhaust memory or time -------------------------------------

MAX_TAG_FILE_BYTES = 16 * 2**20
"""``bagit.txt`` and ``bag-info.txt`` are read whole, up to this size."""
MAX_MANIFEST_BYTES = 64 * 2**20
"""Manifests and ``fetch.txt`` grow with the payload (some 200 bytes a file with sha512, so
about 300,000 files). They are read and decoded whole, which costs about 2.2 times their size
in memory: 64 MiB keeps ``verify`` under 300 MB on the most hostile manifest (``make stress``)."""
MAX_LINE_CHARS = 64 * 2**10
"""A longer line in a tag file is reported and skipped."""
MAX_ENTRIES = 1_000_000
"""Files, folders and links listed before the listing gives up."""
MAX_DEPTH = 128
"""Folder nesting below the bag's root that is listed."""
CHUNK_BYTES = 2**20
"""Files are hashed in chunks of this size."""

# -- rules of RFC 8493 and the earlier versions (always) ---------------------------------------

DIRECTORY = rule("BAG-DIRECTORY", "error", "the bag is a readable folder")
DECLARATION = rule(
    "BAG-DECLARATION",
    "error",
    "bagit.txt is exactly a BagIt-Version and a Tag-File-Character-Encoding line",
)
DECLARATION_BOM = rule("BAG-DECLARATION-BOM", "error", "bagit.txt does not begin with a BOM")
VERSION = rule("BAG-VERSION", "error", "BagIt-Version is a known version (0.93-0.97, 1.0)")
ENCODING = rule(
    "BAG-ENCODING", "error", "tag files are in the declared, known encoding (no BOM in UTF-8)"
)
PAYLOAD_DIRECTORY = rule("BAG-PAYLOAD-DIRECTORY", "error", "the bag has a data/ folder")
MANIFEST_MISSING = rule("BAG-MANIFEST-MISSING", "error", "the bag has a payload manifest")
ALGORITHM = rule("BAG-ALGORITHM", "error", "manifest algorithm names are normalized and computable")
MANIFEST_SYNTAX = rule(
    "BAG-MANIFEST-SYNTAX", "error", "manifest lines are a hex checksum, whitespace and a path"
)
MD5SUM_FORMAT = rule(
    "BAG-MD5SUM-FORMAT", "warning", "manifests are not in md5sum's '*' or '\\' format"
)
MANIFEST_DUPLICATE = rule(
    "BAG-MANIFEST-DUPLICATE",
    "error",
    "a manifest lists a file once (1.0), and never with two checksums",
)
MANIFEST_REPEAT = rule(
    "BAG-MANIFEST-REPEAT", "warning", "a manifest before 1.0 repeats no line for a file"
)
MANIFEST_SCOPE = rule(
    "BAG-MANIFEST-SCOPE",
    "error",
    "payload manifests list data/ only; tag manifests no payload files or tag manifests",
)
MANIFEST_DIRECTORY = rule("BAG-MANIFEST-DIRECTORY", "error", "manifests list no folders")
TAGMANIFEST_INCOMPLETE = rule(
    "BAG-TAGMANIFEST-INCOMPLETE", "error", "every tag manifest lists every payload manifest (1.0)"
)
PATH_UNSAFE = rule(
    "BAG-PATH-UNSAFE",
    "error",
    "paths stay in the bag: not absolute, no '..', '~', drive or UNC (never opened)",
)
PATH_ENCODING = rule(
    "BAG-PATH-ENCODING", "error", "'%', CR and LF in paths are written %25, %0D, %0A (1.0)"
)
PATH_FORM = rule(
    "BAG-PATH-FORM", "warning", "paths are written plainly: no './', '.' or empty segments (1.0)"
)
FILE_MISSING = rule("BAG-FILE-MISSING", "error", "every file a manifest lists is in the bag")
FILE_UNLISTED = rule("BAG-FILE-UNLISTED", "error", "every payload file is in a payload manifest")
FILE_INCOMPLETE = rule(
    "BAG-FILE-INCOMPLETE", "error", "every payload file is in every payload manifest (1.0)"
)
CHECKSUM = rule("BAG-CHECKSUM", "error", "every checksum of every manifest matches its file")
OXUM = rule(
    "BAG-OXUM", "error", "Payload-Oxum is well-formed, given once and agrees with the payload"
)
INFO_SYNTAX = rule(
    "BAG-INFO-SYNTAX", "error", "bag-info.txt lines are 'Label: value' or continuation lines"
)
INFO_REPEATED = rule(
    "BAG-INFO-REPEATED",
    "warning",
    "Bagging-Date, Bag-Size, Bag-Group-Identifier, Bag-Count are given once (1.0)",
)
INFO_VALUE = rule("BAG-INFO-VALUE", "warning", "Bagging-Date is YYYY-MM-DD, Bag-Count 'N of T'")
FETCH = rule(
    "BAG-FETCH",
    "error",
    "fetch.txt lines are 'URL length path' for files in every payload manifest",
)
SYMLINK = rule("BAG-SYMLINK", "error", "the bag holds no symbolic links (never followed)")
SPECIAL_FILE = rule(
    "BAG-SPECIAL-FILE", "error", "the bag holds no devices, FIFOs or sockets (never opened)"
)
TOO_LARGE = rule(
    "BAG-TOO-LARGE", "error", "tag files, lines, file count and nesting stay within limits"
)
UNREADABLE = rule("BAG-UNREADABLE", "error", "every file and folder of the bag can be read")
NORMALIZATION = rule(
    "BAG-NORMALIZATION", "warning", "no two names differ only in Unicode normalization"
)
CASE_COLLISION = rule("BAG-CASE-COLLISION", "warning", "no two names differ only in case")
WEAK_ALGORITHM = rule(
    "BAG-WEAK-ALGORITHM", "warning", "a 1.0 bag has a payload manifest stronger than md5/sha1"
)
SYSTEM_FILE = rule(
    "BAG-SYSTEM-FILE", "warning", "the payload holds no operating-system files (.DS_Store, …)"
)

# -- rules of unfolio's own layout (not with --bagit-only) -------------------------------------

LAYOUT_VERSION = rule(
    "BAG-LAYOUT-VERSION", "error", "unfolio layout: BagIt 1.0 with UTF-8 tag files"
)
LAYOUT_MANIFESTS = rule(
    "BAG-LAYOUT-MANIFESTS", "error", "unfolio layout: sha256 and sha512 payload and tag manifests"
)
LAYOUT_TAG_UNLISTED = rule(
    "BAG-LAYOUT-TAG-UNLISTED", "error", "unfolio layout: every tag file in every tag manifest"
)
LAYOUT_LINE_END = rule(
    "BAG-LAYOUT-LINE-END", "error", "unfolio layout: tag file lines end with LF, the last too"
)
LAYOUT_HIDDEN = rule(
    "BAG-LAYOUT-HIDDEN", "error", "unfolio layout: no hidden files or folders in the payload"
)
LAYOUT_EMPTY_FOLDER = rule(
    "BAG-LAYOUT-EMPTY-FOLDER",
    "error",
    "unfolio layout: every folder holds a file (unfolio writes folders only for its files)",
)

# -- constants ---------------------------------------------------------------------------------

Rules = tuple[int, int]
V1: Rules = (1, 0)
KNOWN_VERSIONS = ("0.93", "0.94", "0.95", "0.96", "0.97", "1.0")
UNFOLIO_ALGORITHMS = ("sha256", "sha512")
