"""A benchmark corpus made from the project's own documents: distinct sources in six languages.

    python bench/corpus.py OUT_FOLDER [--per-language zh=500,en=40,...] [--seed 5]

Templates are the fixture documents (``tests/fixtures/documents/*``) and the examples
(``examples/*``). Every generated document is a valid source folder of its own:

- its symbols end in a number unique in the corpus (``A/75/1234``), and its job number is
  unique too, so every document becomes a bag of its own;
- typical documents are a template whose main part loses a seeded random 0–40 % of its
  numbered or plain paragraphs (never the first), so lengths and the characters used vary
  from one document to the next; nothing is repeated, because whole repeated sentences are
  not what UN documents look like (and the text round trip cannot tell two copies apart);
- one document in :data:`LONG_EVERY` of each language is a long report: the text of all the
  language's templates in one main part, plus a table of figures.

The corpus is deterministic for a given seed and list of counts.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDERS = sorted(
    [*(REPO / "tests" / "fixtures" / "documents").iterdir(), *(REPO / "examples").iterdir()]
)
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
LONG_EVERY = 25  # one long report in this many documents of a language
FIRST_NUMBER = 1000  # symbol numbers: FIRST_NUMBER + corpus index (4 digits)

_FOOTNOTE_LABEL = re.compile(r"\[\^([^\]\s]+)\]")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"(?<=[.。!?！？؟])\s*")


@dataclass(frozen=True)
class Template:
    folder: Path
    metadata: dict
    parts: dict[str, str]  # file name -> Markdown

    @property
    def language(self) -> str:
        return self.metadata["language"]

    @property
    def main(self) -> str:
        return self.metadata["parts"][0]["text"]


@dataclass(frozen=True)
class Generated:
    folder: Path
    language: str
    kind: str  # "typical" or "long"
    template: str


def load_templates() -> dict[str, list[Template]]:
    templates: dict[str, list[Template]] = {lang: [] for lang in LANGUAGES}
    for folder in TEMPLATE_FOLDERS:
        meta_file = folder / "document.json"
        if not meta_file.is_file():
            continue
        metadata = json.loads(meta_file.read_text(encoding="utf-8"))
        parts = {
            p["text"]: (folder / p["text"]).read_text(encoding="utf-8") for p in metadata["parts"]
        }
        templates[metadata["language"]].append(Template(folder, metadata, parts))
    return templates


def _plain_blocks(markdown: str) -> list[str]:
    """Paragraphs of running text, without list numbers, links, footnotes or emphasis."""
    blocks = []
    for block in re.split(r"\n\s*\n", markdown):
        block = block.strip()
        if not block or block[0] in "#|[*" or "|" in block or block.endswith("\\"):
            continue
        block = re.sub(r"^\d+\.\s+", "", block)
        block = _FOOTNOTE_LABEL.sub("", _LINK.sub(r"\1", block))
        block = block.replace("*", "").replace("_", "").replace("\\", "").replace("\n", " ")
        if len(block) > 20:
            blocks.append(block)
    return blocks


def sentence_pool(templates: list[Template]) -> list[str]:
    sentences = []
    for template in templates:
        for text in template.parts.values():
            for block in _plain_blocks(text):
                sentences += [s.strip() for s in _SENTENCE_END.split(block) if len(s.strip()) > 8]
    return sentences


def _shortened(markdown: str, rng: random.Random) -> str:
    """Drop a random 0-40 % of the paragraphs after the first (headings, tables, notes stay)."""
    blocks = re.split(r"\n\s*\n", markdown.strip("\n"))
    droppable = [
        i
        for i, block in enumerate(blocks)
        if i > 0 and block[:1] not in "#|[*" and "|" not in block and "[^" not in block
    ]
    drop = set(rng.sample(droppable, int(len(droppable) * rng.uniform(0, 0.4))))
    return "\n\n".join(b for i, b in enumerate(blocks) if i not in drop) + "\n"


def _table(pool: list[str], rng: random.Random) -> str:
    rows = ["| | 2019 | 2020 | 2021 | 2022 |", "|:---|---:|---:|---:|---:|"]
    for sentence in rng.sample(pool, min(len(pool), 14)):
        label = sentence[:18].strip().replace("|", " ")
        figures = " | ".join(f"{rng.randint(10, 99_999):,}" for _ in range(4))
        rows.append(f"| {label} | {figures} |")
    return "\n\n" + "\n".join(rows) + "\n"


def _renumbered(symbol: str, number: int) -> str:
    return re.sub(r"\d+$", str(number), symbol)


def _job_number(job: str, index: int) -> str:
    prefix = job.rpartition("-")[0]
    return f"{prefix}-{90000 + index:05d}"


def _relabel_footnotes(text: str, prefix: str) -> str:
    return _FOOTNOTE_LABEL.sub(lambda m: f"[^{prefix}{m.group(1)}]", text)


def generate(
    out: Path, counts: dict[str, int], *, seed: int = 5, long_every: int = LONG_EVERY
) -> list[Generated]:
    """Write the corpus into ``out`` (created); the documents, in a stable order."""
    templates = load_templates()
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    made: list[Generated] = []
    index = 0
    for language in LANGUAGES:
        pool = sentence_pool(templates[language])
        for i in range(counts.get(language, 0)):
            template = templates[language][i % len(templates[language])]
            long = long_every > 0 and i % long_every == long_every - 1
            metadata = json.loads(json.dumps(template.metadata))
            number = FIRST_NUMBER + index
            metadata["symbols"] = [_renumbered(s, number) for s in metadata["symbols"]]
            metadata["job_number"] = _job_number(metadata["job_number"], index)
            metadata["remarks"] = (
                f"Benchmark document {index} generated from {template.folder.name}."
            )
            parts = dict(template.parts)
            if long:
                # every template of the language as one main part, plus a table
                texts = [
                    _relabel_footnotes(text, f"t{k}")
                    for k, other in enumerate(templates[language])
                    for text in other.parts.values()
                ]
                parts = {template.main: "\n\n".join(texts) + _table(pool, rng)}
                metadata["parts"] = [
                    {k: v for k, v in metadata["parts"][0].items() if k != "signature"}
                    | {"text": template.main}
                ]
            else:
                parts[template.main] = _shortened(parts[template.main], rng)
            folder = out / f"{language}-{i:04d}-{'long' if long else 'doc'}"
            folder.mkdir(exist_ok=True)
            (folder / "document.json").write_text(
                json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            for name, text in parts.items():
                (folder / name).write_text(text, encoding="utf-8")
            made.append(
                Generated(folder, language, "long" if long else "typical", template.folder.name)
            )
            index += 1
    return made


def parse_counts(text: str) -> dict[str, int]:
    counts = {}
    for item in text.split(","):
        language, _, number = item.partition("=")
        counts[language.strip()] = int(number)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-language", default="zh=500,ar=40,en=40,fr=40,ru=40,es=40")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    made = generate(args.out, parse_counts(args.per_language), seed=args.seed)
    print(f"{len(made)} documents in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
