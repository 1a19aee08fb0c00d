"""Text primitives shared by ingestion and answering: the CJK character ranges, language
detection, sentence splitting, and lexical tokens for BM25 (jieba for Chinese, words for the rest)."""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache

# The one definition of "CJK" for the code base (regex character-class ranges), in three widths:
# Han characters (unified, extension A, compatibility): language detection, jieba runs
CJK_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# + kana and full-width forms: may start a sentence, never need a space, one token per character
CJK_CHARS = "\u3040-\u30ff" + CJK_IDEOGRAPHS + "\uff00-\uffef"
# + CJK punctuation and the ideographic space: joining PDF lines without a space
CJK_WITH_PUNCT = "\u3000-\u303f" + CJK_CHARS
# English cardinals in words, for rules that treat "six months" as they treat "6 months"
NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
    "ninety|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens"
)
_CLOSERS = "\"'”’」』）)】》"
# Candidate sentence ends: CJK terminal punctuation (no space needed), or . ! ? followed by
# whitespace and something that can start a sentence. Abbreviations are checked in code.
_SENT_END = re.compile(
    rf"[。！？；][{_CLOSERS}]*\s*(?=\S)"
    rf"|[.!?][{_CLOSERS}]*\s+(?=[\"'“‘(\[A-Z0-9{CJK_CHARS}])"
)
_ABBREV = {
    "e.g",
    "i.e",
    "vs",
    "mr",
    "ms",
    "mrs",
    "dr",
    "no",
    "fig",
    "etc",
    "inc",
    "co",
    "st",
    "jr",
    "sr",
    "al",
}
_CJK_RUN = re.compile(f"[{CJK_IDEOGRAPHS}]+")
_LATIN_WORD = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|[a-z0-9]+(?:[.'][a-z0-9]+)*")
_SPLIT = re.compile(f"([{CJK_IDEOGRAPHS}]+)")

EN_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "did",
        "does",
        "many",
        "much",
        "one",
        "ones",
    ]
)
ZH_STOP = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "而",
        "被",
        "把",
        "这",
        "那",
        "之",
        "其",
        "于",
        "以",
        "为",
        "个",
        "中",
        "有",
        "吗",
        "呢",
        "吧",
        "啊",
        "什么",
        "哪",
        "哪个",
        "哪些",
        "哪里",
        "谁",
        "多少",
        "几",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "是否",
        "请问",
        "一个",
        "一种",
    ]
)


def detect_lang(text: str) -> str:
    """'zh' when CJK characters make up a fair share of the letters, else 'en'."""
    cjk = sum(len(m) for m in _CJK_RUN.findall(text))
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "zh" if cjk and cjk * 3 >= latin else "en"


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


# A digit string counts as a common word (about as frequent as "由") in a Chinese question.
_DIGIT_COUNT = 150_000


def general_rarity(word: str) -> float:
    """How informative a word is in general Chinese: log(1 + N / (count + 100)) with jieba's
    dictionary counts. Words the dictionary lacks (names, Latin words) are the rarest; digits
    are common."""
    dt = _jieba().dt
    count = _DIGIT_COUNT if word.isdigit() else dt.FREQ.get(word) or 0
    return math.log(1 + dt.total / (count + 100))


def pos_tags(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs of jieba's tagger ("和" c, "鹿地塘河" ns, "提供" v)."""
    import jieba.posseg

    _jieba()  # initialised quietly
    return [(w.word, w.flag) for w in jieba.posseg.cut(text)]


def lexical_tokens(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Lower-cased word tokens; Chinese runs are segmented with jieba (search mode)."""
    tokens: list[str] = []
    for part in _SPLIT.split(text.lower()):
        if not part:
            continue
        if _CJK_RUN.fullmatch(part):
            words = _jieba().lcut_for_search(part) if len(part) > 1 else [part]
            tokens.extend(w for w in words if not (drop_stopwords and w in ZH_STOP))
        else:
            for w in _LATIN_WORD.findall(part):
                w = w.replace(",", "")
                if not (drop_stopwords and w in EN_STOP):
                    tokens.append(w)
    return tokens


def split_sentences(text: str, *, whole_quotes: bool = True) -> list[tuple[int, int]]:
    """Spans of the sentences in `text` (English and Chinese), whitespace trimmed. With
    `whole_quotes` a Chinese sentence end inside a quotation that closes soon after is no end:
    「金钱鼠尾，乃新朝之雅政；峨冠博带，实亡国之陋规」 is one quote, not two sentences."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if text[m.start()] == "." and _is_abbreviation(text, m.start()):
            continue
        if whole_quotes and text[m.start()] in "。！？；" and _inside_quote(text, start, m.end()):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


_QUOTE_OPEN, _QUOTE_CLOSE = "「『“", "」』”"
_QUOTE_REACH = 150  # a quote left open longer than this is a stray mark, not a quotation


def _inside_quote(text: str, start: int, end: int) -> bool:
    """Does the sentence begun at `start` still have a quotation open at `end`, one that
    closes within `_QUOTE_REACH` characters (the next quotation mark closes it)?"""
    part = text[start:end]
    opened = sum(part.count(c) for c in _QUOTE_OPEN) - sum(part.count(c) for c in _QUOTE_CLOSE)
    marks = re.search(f"[{_QUOTE_OPEN}{_QUOTE_CLOSE}]", text[end : end + _QUOTE_REACH])
    return opened > 0 and marks is not None and marks.group(0) in _QUOTE_CLOSE


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the word before the period at `dot` is an abbreviation or an initial."""
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalpha() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    return len(word.replace(".", "")) == 1 or word in _ABBREV


_PLURAL = re.compile(r"(ies|es|s)$")


def term_present(token: str, present: set[str], text: str) -> bool:
    """Is a query term in a passage? (its token set, and the lower-cased text)"""
    if token in present:
        return True
    if token.endswith("'s"):  # "intel's" is about Intel
        token = token[:-2]
        if token in present:
            return True
    if not token.isascii():  # Chinese: segmentation differs with context, so match the string
        return token in text
    if token.isascii() and len(token) > 3:
        stem = _PLURAL.sub("", token)
        return any(p.startswith(stem) for p in present if p[:2] == token[:2])
    return False


def plain(text: str) -> str:
    """Lower-cased, with every run of whitespace one space: for comparing texts as written."""
    return " ".join(text.lower().split())


_CONTINUES = {
    # a line that stops inside a sentence ("… and it developed into the") and one that goes on
    # with it ("regional language that survives today."): a page or column break, not a paragraph
    "en": (re.compile(r"[a-z,]$"), re.compile(r"^[a-z]")),
    "zh": (re.compile(r"[\u4e00-\u9fff，、]$"), re.compile(r"^[\u4e00-\u9fff]")),
}
_MIN_BROKEN_LINE = {"en": 30, "zh": 15}  # shorter lines are headings ("iPhone") or labels


def rejoin_broken_lines(text: str, lang: str) -> str:
    """The text with a sentence that a page or column break split into two paragraphs joined
    again (a space in English, nothing in Chinese); other line breaks stay."""
    key = "zh" if lang == "zh" else "en"
    ends, starts = _CONTINUES[key]
    glue = "" if key == "zh" else " "
    parts: list[str] = []  # lines, with the blank lines between paragraphs as ""
    for line in text.split("\n"):
        last = next((i for i in range(len(parts) - 1, -1, -1) if parts[i].strip()), None)
        if (
            line.strip()
            and last is not None
            and len(parts[last].strip()) >= _MIN_BROKEN_LINE[key]
            and ends.search(parts[last].rstrip())
            and starts.match(line.lstrip())
        ):
            parts[last] = parts[last].rstrip() + glue + line.lstrip()
            del parts[last + 1 :]
            continue
        parts.append(line)
    return "\n".join(parts)


# the inline cleanup tags an encyclopedia prints ("…Osias,[citation needed] arranged with…"):
# an editor's note, not the document's words; "[sic]" and reference numbers stay
_EDITORIAL_TAG = re.compile(
    r"\[(?:citation needed|clarification needed|verification needed|update|needs update|vague"
    r"|dubious(?: [–-] discuss)?|disputed(?: [–-] discuss)?|not in citation given"
    r"|failed verification|page needed|better source needed|full citation needed"
    r"|original research\??|according to whom\??|by whom\??|who\??|when\??|which\??|where\??"
    r"|why\??|examples? needed|further explanation needed|non sequitur|dead link"
    r"|permanent dead link|unreliable source\??|specify|来源请求|來源請求|需要引用|需要更新"
    r"|谁？|何时？|哪个？|原创研究？)\]",
    re.IGNORECASE,
)


def without_editorial_tags(text: str) -> str:
    """The text without an encyclopedia's inline cleanup tags ("[citation needed]", "[when?]",
    "[来源请求]"), which neither answer a question nor belong in a quote."""
    return _EDITORIAL_TAG.sub("", text)
