"""Pinyin search of the event-type catalogue, ranked by the word the letters most likely mean.

Typing "jg" on a tablet should bring up 井盖 (manhole cover, in 126 types) before 景观灯
(7 types), although "jg" is a prefix only of the latter. So a Latin query is matched against
each name's per-character initials and syllables; the Chinese run it covers ("井盖", "景观") is
scored by how many catalogue names contain it, and the most common reading ranks first. The
index is built in memory from the active types and rebuilt when the catalogue changes (a cheap
fingerprint query detects that).
"""
from __future__ import annotations

import csv
import functools
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from django.db import connection
from pypinyin import Style, lazy_pinyin


@dataclass(frozen=True)
class Entry:
    id: int
    code: str
    name: str
    initials: str          # one letter per character
    initials_pos: tuple    # character index of each letter
    full: str              # syllables concatenated
    full_pos: tuple        # character index of each letter of `full`
    full_starts: frozenset  # offsets in `full` where a syllable starts
    syllables: tuple = ()   # per character, "" for a non-Chinese one (tablets rank offline with these)
    english: tuple = ()     # English words for the name's terms (fixtures/catalogue/glossary_en.csv)


def _tokens(name: str) -> tuple[list[str], list[str]]:
    """Per character: (syllable, initial); non-Chinese characters stand for themselves."""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors=lambda run: list(run))
    if len(syllables) != len(name):  # defensive: fall back to one call per character
        syllables = [lazy_pinyin(ch, errors=lambda run: list(run))[0] for ch in name]
    syllables = [s.lower() if s.isalnum() else "" for s in syllables]
    return syllables, [s[:1] for s in syllables]


def build_entry(pk: int, code: str, name: str) -> Entry:
    syllables, initials = _tokens(name)
    ini, ini_pos, full, full_pos, starts = [], [], [], [], set()
    for index, (syl, letter) in enumerate(zip(syllables, initials)):
        if letter:
            ini.append(letter)
            ini_pos.append(index)
        if syl:
            starts.add(len(full))
            full.extend(syl)
            full_pos.extend([index] * len(syl))
    return Entry(pk, code, name, "".join(ini), tuple(ini_pos), "".join(full), tuple(full_pos), frozenset(starts),
                 tuple(syllables), english_words(name))


@functools.cache
def english_glossary() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(Chinese term, its English words) from the catalogue's glossary, longest term first."""
    path = Path(settings.BASE_DIR) / "fixtures" / "catalogue" / "glossary_en.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(row["term"], tuple(w.strip().lower() for w in row["english"].split(";") if w.strip()))
                for row in csv.DictReader(handle)]
    return tuple(sorted(rows, key=lambda row: -len(row[0])))


def english_words(name: str) -> tuple[str, ...]:
    """English words of the glossary terms in a Chinese name (井盖缺失 → manhole cover, missing, ...)."""
    words: list[str] = []
    for term, english in english_glossary():
        if term in name:
            words.extend(w for w in english if w not in words)
    return tuple(words)


def english_position(entry: Entry, q: str) -> int | None:
    """Index of the first English word of `entry` that has a word starting with `q`, or None."""
    for index, phrase in enumerate(entry.english):
        if phrase.startswith(q) or any(word.startswith(q) for word in phrase.split()):
            return index
    return None


class CatalogueIndex:
    def __init__(self, rows: list[tuple[int, str, str]]):
        self.entries = [build_entry(*row) for row in rows]
        self._names = [e.name for e in self.entries]
        self._frequency: dict[str, int] = {}

    def entry(self, code: str) -> Entry | None:
        if not hasattr(self, "_by_code"):
            self._by_code = {e.code: e for e in self.entries}
        return self._by_code.get(code)

    def frequency(self, term: str) -> int:
        """How many names contain `term` (memoised: queries repeat the same few terms)."""
        if term not in self._frequency:
            self._frequency[term] = sum(1 for name in self._names if term in name)
        return self._frequency[term]

    def _best_match(self, entry: Entry, q: str) -> tuple[int, str] | None:
        """(char position, covered Chinese run) of the best-scoring occurrence of q, or None."""
        best = None
        for text, positions, boundaries in ((entry.initials, entry.initials_pos, None),
                                            (entry.full, entry.full_pos, entry.full_starts)):
            start = text.find(q)
            while start != -1:
                if boundaries is None or start in boundaries:
                    first, last = positions[start], positions[start + len(q) - 1]
                    term = entry.name[first:last + 1]
                    score = (-self.frequency(term) if len(term) > 1 else 0, first)
                    if best is None or score < best[0]:
                        best = (score, first, term)
                start = text.find(q, start + 1)
        return None if best is None else (best[1], best[2])

    def search(self, q: str, limit: int) -> list[int]:
        """Ids of types matching the Latin query `q`, best first: pinyin readings, then English
        words (from three letters). Tablets rank their offline copy by the same keys
        (static/tablet/type_search.js; a browser test compares the two)."""
        words = q.lower().split()
        q = "".join(ch for ch in q.lower() if ch.isalnum())
        if not q:
            return []
        english = " ".join(words) if len(q) >= 3 else ""
        ranked = []
        for entry in self.entries:
            hit = self._best_match(entry, q)
            if hit is None:
                position = english_position(entry, english) if english else None
                if position is not None:
                    ranked.append(((2, 0, position, len(entry.name), entry.code), entry.id))
                continue
            position, term = hit
            exact = 0 if q in (entry.initials, entry.full) else 1
            frequency = self.frequency(term) if len(term) > 1 else 0
            ranked.append(((exact, -frequency, position, len(entry.name), entry.code), entry.id))
        ranked.sort()
        return [pk for _, pk in ranked[:limit]]


_lock = threading.Lock()
_cache: dict = {"fingerprint": None, "index": None}

_FINGERPRINT_SQL = """
SELECT count(*), coalesce(md5(string_agg(id::text || ':' || code || ':' || name, ',' ORDER BY id)), '')
FROM incidents_eventtype WHERE active
"""


def catalogue_index() -> CatalogueIndex:
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT_SQL)
        fingerprint = tuple(cursor.fetchone())
    with _lock:
        if _cache["fingerprint"] != fingerprint:
            with connection.cursor() as cursor:
                cursor.execute("SELECT id, code, name FROM incidents_eventtype WHERE active ORDER BY id")
                _cache["index"] = CatalogueIndex(cursor.fetchall())
                _cache["fingerprint"] = fingerprint
        return _cache["index"]

