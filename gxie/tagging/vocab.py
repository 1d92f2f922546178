"""The character vocabulary of the tagging model: one token per character, built offline.

The default vocabulary is every character of GB2312 (decoded from its two-byte codes with Python's own
codec) plus ASCII, Latin-1 symbols, general punctuation, enclosed numbers, full-width forms, CJK
punctuation and the whitespace characters that structure a report (``\\t``, ``\\n``, space, NBSP).
Anything else encodes to ``[UNK]``. Normalized text is Simplified Chinese, so GB2312 covers nearly all of
it; rare characters (names of places and people) do not decide a tag.

It is saved as a ``tokenizers`` ``tokenizer.json`` (WordLevel model, a pre-tokenizer that isolates every
character; the special tokens are not registered as such, so a literal ``[UNK]`` in a text is still five
characters), so ``tokenizers.Tokenizer.from_file`` reproduces the same ids and per-character offsets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from gxie.errors import ModelError

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK)
RECIPE = "gb2312+ascii+latin1+punct+fullwidth+cjk-punct+ws/1"
WHITESPACE = ("\t", "\n", "\r", " ", "\xa0", "\u3000")
# (first, last) code points, inclusive: ASCII, Latin-1 symbols, general punctuation, letter-like symbols,
# number forms, arrows, enclosed alphanumerics, box drawing, geometric shapes, CJK symbols and punctuation,
# CJK compatibility forms, half-width and full-width forms.
EXTRA_RANGES: tuple[tuple[int, int], ...] = (
    (0x21, 0x7E),
    (0xA1, 0xFF),
    (0x2010, 0x205E),
    (0x2100, 0x214F),
    (0x2150, 0x218B),
    (0x2190, 0x21FF),
    (0x2460, 0x24FF),
    (0x2500, 0x257F),
    (0x25A0, 0x25FF),
    (0x3001, 0x303F),
    (0xFE30, 0xFE4F),
    (0xFF01, 0xFFEE),
)


def gb2312_characters() -> list[str]:
    """Every character GB2312 encodes in two bytes, in code order."""
    chars: list[str] = []
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                char = bytes((high, low)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if len(char) == 1:
                chars.append(char)
    return chars


@cache
def default_characters() -> tuple[str, ...]:
    """The default character inventory (no special tokens), deterministic and duplicate-free."""
    chars: list[str] = list(WHITESPACE)
    for first, last in EXTRA_RANGES:
        chars.extend(chr(c) for c in range(first, last + 1))
    chars.extend(gb2312_characters())
    return tuple(dict.fromkeys(c for c in chars if c.isprintable() or c in WHITESPACE))


@dataclass(frozen=True)
class CharVocab:
    """Characters <-> token ids. Example: ``CharVocab.default().encode("一、\\t0")`` gives four ids."""

    tokens: tuple[str, ...]
    recipe: str = field(default=RECIPE, compare=False)
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [t for t in SPECIAL_TOKENS if t not in self.tokens]
        if missing:
            raise ModelError(f"character vocabulary lacks the special tokens {missing}; it needs {SPECIAL_TOKENS}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ModelError("character vocabulary has duplicate tokens; every token must appear once")
        bad = [t for t in self.tokens if t not in SPECIAL_TOKENS and len(t) != 1]
        if bad:
            raise ModelError(f"character vocabulary entries must be single characters, found {bad[:5]}")
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def default(cls) -> CharVocab:
        """The vocabulary new models are built with (see the module docstring)."""
        return cls(SPECIAL_TOKENS + default_characters())

    @classmethod
    def from_characters(cls, chars: Iterable[str], recipe: str = "custom") -> CharVocab:
        """A vocabulary of the special tokens plus ``chars`` (duplicates dropped, order kept)."""
        return cls(SPECIAL_TOKENS + tuple(dict.fromkeys(c for c in chars if c not in SPECIAL_TOKENS)), recipe)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, char: object) -> bool:
        return char in self.index and char not in SPECIAL_TOKENS

    @property
    def pad_id(self) -> int:
        return self.index[PAD]

    @property
    def unk_id(self) -> int:
        return self.index[UNK]

    @property
    def cls_id(self) -> int:
        return self.index[CLS]

    @property
    def sep_id(self) -> int:
        return self.index[SEP]

    def encode(self, text: str) -> list[int]:
        """One id per character of ``text``; characters outside the vocabulary give ``[UNK]``."""
        get, unk = self.index.get, self.index[UNK]
        return [get(c, unk) for c in text]

    def save(self, path: str | Path) -> None:
        """Write ``tokenizer.json`` in the format of the ``tokenizers`` library."""
        from tokenizers import Regex, Tokenizer
        from tokenizers.models import WordLevel
        from tokenizers.pre_tokenizers import Split

        tokenizer = Tokenizer(WordLevel(dict(self.index), unk_token=UNK))
        tokenizer.pre_tokenizer = Split(Regex(r"(?m)[\s\S]"), behavior="isolated")
        data = json.loads(tokenizer.to_str())
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, recipe: str = "unknown") -> CharVocab:
        """Read a ``tokenizer.json`` written by :meth:`save` (a WordLevel model of single characters)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = data["model"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read the character vocabulary {path}: {exc}; re-save the model") from exc
        if model.get("type") != "WordLevel" or not isinstance(model.get("vocab"), dict):
            raise ModelError(
                f"{path} holds a {model.get('type')!r} tokenizer; gxie needs a WordLevel character "
                "vocabulary as written by CharVocab.save"
            )
        vocab: dict[str, int] = model["vocab"]
        ids = sorted(vocab.values())
        if ids != list(range(len(vocab))):
            raise ModelError(f"{path}: token ids must be 0..{len(vocab) - 1} without gaps")
        tokens = tuple(sorted(vocab, key=vocab.__getitem__))
        return cls(tokens, recipe)
