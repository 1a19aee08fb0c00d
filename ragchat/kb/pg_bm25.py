"""BM25 in PostgreSQL that reproduces the file store's FTS5 BM25 exactly, not approximately.

The terms of a chunk are made by SQLite's own FTS5 tokenizer (`porter unicode61 remove_diacritics
2`, run on an in-memory table), and the score is FTS5's bm25() formula (k1=1.2, b=0.75, idf
floored at 1e-6) over the same row count and average length. A query token that FTS5 splits into
several terms ("apple's" -> appl s, "3.5" -> 3 5) is a phrase, as in FTS5: it matches where those
terms are adjacent, checked on the chunk's stored term sequence. So `search` and `doc_freq` return
what the SQLite store returns on the same data (up to the order of exactly tied scores).

`Bm25Postings` is a helper the PostgreSQL store holds: it is given the store's query function, its
counts and its lock, and imports nothing from the store.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

BM25_K1 = 1.2  # FTS5's bm25() constants
BM25_B = 0.75
MAX_TERM_BYTES = 256  # longer terms are stored by hash (a btree key has a size limit)

_BM25 = """
WITH w(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idfs)s::float8[])),
s(id, score) AS (
    SELECT u.id, w.idf * (u.tf::float8 * %(k1p1)s::float8)
        / (u.tf::float8 + %(k1)s::float8 * (1 - %(b)s::float8 + %(b)s::float8 * u.len / %(avgdl)s::float8))
    FROM {s}.postings p JOIN w ON p.term = w.term,
        unnest(p.chunks, p.tfs, p.lens) AS u(id, tf, len)
    UNION ALL
    SELECT * FROM unnest(%(extra_ids)s::int8[], %(extra_scores)s::float8[])
)
SELECT id, sum(score) AS score FROM s GROUP BY id ORDER BY score DESC, id LIMIT %(k)s
"""


# ---------------------------------------------------------------- FTS5's terms, made by SQLite
class Fts5Terms:
    """The terms SQLite's FTS5 index (porter unicode61 remove_diacritics 2) makes of each word.

    Words are tokenized by an in-memory FTS5 table and read back through fts5vocab, so stemming,
    case folding, diacritics and separators are exactly the SQLite store's. Cached per word."""

    def __init__(self, max_cache: int = 1_000_000) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self._db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._cache: dict[str, tuple[str, ...]] = {}
        self._max = max_cache
        self._lock = threading.Lock()

    def of_words(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        words = set(words)
        with self._lock:
            todo = [w for w in words if w not in self._cache]
            if len(self._cache) + len(todo) > self._max:
                self._cache.clear()
                todo = list(words)
            for i in range(0, len(todo), 20_000):
                part = todo[i : i + 20_000]
                self._db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(part, 1))
                got: list[list[str]] = [[] for _ in range(len(part) + 1)]
                for doc, term in self._db.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
                    got[doc].append(term)
                self._db.execute("DELETE FROM t")
                self._cache.update((w, tuple(got[j])) for j, w in enumerate(part, 1))
            return {w: self._cache[w] for w in words}

    def of(self, text: str) -> list[str]:
        """The term sequence FTS5 indexes for a lexical text (words are whitespace-separated,
        and whitespace always separates FTS5 tokens, so per-word terms concatenate exactly)."""
        words = text.split()
        table = self.of_words(words)
        return [t for w in words for t in table[w]]


TERMS = Fts5Terms()


def term_key(term: str) -> str:
    """The postings key of a term: the term, or a hash for absurdly long ones."""
    if len(term) * 4 <= MAX_TERM_BYTES or len(term.encode()) <= MAX_TERM_BYTES:
        return term
    return "#" + hashlib.sha256(term.encode()).hexdigest()


def bm25_idf(n_rows: int, n_hit: int) -> float:
    """FTS5's idf: log((N - n + 0.5) / (n + 0.5)), floored at 1e-6 for very common terms."""
    idf = math.log((n_rows - n_hit + 0.5) / (n_hit + 0.5))
    return idf if idf > 0.0 else 1e-6


# ---------------------------------------------------------------- search over the postings
class Bm25Postings:
    """Lexical search over one KB's postings table.

    `rows(query, params)` runs a query on the store's connection, `counts()` gives (generation,
    chunks, BM25 terms) as the store's current read view sees them, and `mutex` is the store's
    lock (phrase matches are cached per generation under it)."""

    def __init__(
        self,
        schema: str,
        rows: Callable[[str, Any], list[Any]],
        counts: Callable[[], tuple[int, int, int]],
        mutex: threading.RLock,
    ) -> None:
        self._s = schema
        self._rows = rows
        self._counts = counts
        self._mutex = mutex
        self._phrases: dict[tuple[str, ...], dict[int, tuple[int, int]]] = {}
        self._phrases_gen = -1

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(row id, BM25) of the k best chunks for these lexical tokens (FTS5's bm25, exactly)."""
        terms = sorted({t.replace('"', "") for t in tokens if t.strip()})
        phrases = [p for p in (self._phrase(t) for t in terms) if p]
        if not phrases or k <= 0:
            return []
        with self._mutex:
            _, n_rows, n_tokens = self._counts()
            if n_rows == 0:
                return []
            avgdl = n_tokens / n_rows
            singles = [p[0] for p in phrases if len(p) == 1]
            df = self._single_df(singles)
            extra: dict[int, float] = {}
            for p in (p for p in phrases if len(p) > 1):
                hits = self._phrase_hits(p)
                idf = bm25_idf(n_rows, len(hits))
                for i, (tf, dl) in hits.items():
                    extra[i] = extra.get(i, 0.0) + idf * (tf * (BM25_K1 + 1.0)) / (
                        tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl)
                    )
            params = {
                "terms": [term_key(t) for t in singles],
                "idfs": [bm25_idf(n_rows, df.get(term_key(t), 0)) for t in singles],
                "k1p1": BM25_K1 + 1.0,
                "k1": BM25_K1,
                "b": BM25_B,
                "avgdl": avgdl,
                "extra_ids": list(extra),
                "extra_scores": list(extra.values()),
                "k": k,
            }
            rows = self._rows(_BM25.format(s=self._s), params)
        return [(int(i), float(s)) for i, s in rows]

    def doc_freq(self, token: str) -> int:
        """How many chunks contain this lexical token (after the index's stemming)."""
        phrase = self._phrase(token.replace('"', ""))
        if not phrase:
            return 0
        if len(phrase) == 1:
            return self._single_df(phrase).get(term_key(phrase[0]), 0)
        return len(self._phrase_hits(phrase))

    @staticmethod
    def _phrase(token: str) -> tuple[str, ...]:
        return tuple(TERMS.of(token))

    def _single_df(self, terms: Sequence[str]) -> dict[str, int]:
        if not terms:
            return {}
        rows = self._rows(
            f"SELECT term, sum(cardinality(chunks)) FROM {self._s}.postings"
            " WHERE term = ANY(%s) GROUP BY term",
            ([term_key(t) for t in set(terms)],),
        )
        return {t: int(n) for t, n in rows}

    def _phrase_hits(self, phrase: tuple[str, ...]) -> dict[int, tuple[int, int]]:
        """{row id: (occurrences, chunk length)} of chunks where these terms are adjacent."""
        with self._mutex:
            gen = int(self._counts()[0])
            if gen != self._phrases_gen:
                self._phrases, self._phrases_gen = {}, gen
            if phrase in self._phrases:
                return self._phrases[phrase]
            df = self._single_df(phrase)
            found: dict[int, tuple[int, int]] = {}
            if all(df.get(term_key(t)) for t in phrase):
                found = self._find_phrase(phrase, df)
            if len(self._phrases) > 512:
                self._phrases.clear()
            self._phrases[phrase] = found
            return found

    def _find_phrase(
        self, phrase: tuple[str, ...], df: dict[str, int]
    ) -> dict[int, tuple[int, int]]:
        # chunks holding all its terms, then those where the phrase occurs, with how often:
        # matches of " a  b " in the terms with doubled spaces (adjacent matches then share no
        # space), or, for a phrase that can overlap itself ("s s"), the spaces followed by it (a
        # slower regex), so counts are FTS5's
        holding = " INTERSECT ".join(
            f"SELECT unnest(chunks) FROM {self._s}.postings WHERE term = %(t{j})s"
            for j in range(len(set(phrase)))
        )
        if any(phrase[:j] == phrase[-j:] for j in range(1, len(phrase))):
            ahead = " ".join("".join(c if c.isalnum() else "\\" + c for c in t) for t in phrase)
            count = "(SELECT count(*) FROM regexp_matches(' ' || c.terms || ' ', %(re)s, 'g'))"
        else:
            ahead = ""
            count = (
                "(length(replace(c.terms, ' ', '  ')) + 4 - length(replace('  ' ||"
                " replace(c.terms, ' ', '  ') || '  ', %(pat2)s, ''))) / length(%(pat2)s)"
            )
        rows = self._rows(
            f"SELECT x.id, x.tf, x.n_terms FROM (SELECT c.id, c.n_terms, {count} AS tf"
            f" FROM {self._s}.chunks c WHERE c.id = ANY(ARRAY({holding}))"
            " AND strpos(' ' || c.terms || ' ', %(pat)s) > 0) x WHERE x.tf > 0",
            {
                "re": f" (?={ahead} )",
                "pat2": f" {'  '.join(phrase)} ",
                **{
                    f"t{j}": term_key(t)
                    for j, t in enumerate(sorted(set(phrase), key=lambda t: df[term_key(t)]))
                },
                "pat": f" {' '.join(phrase)} ",
            },
        )
        return {int(i): (int(tf), int(dl)) for i, tf, dl in rows}
