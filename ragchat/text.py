"""Text primitives shared by ingestion and answering: the CJK character ranges, language
detection, and lexical tokens for BM25 (jieba for Chinese, words for the rest). Sentences are
`ragchat.sentences`."""

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


def in_dictionary(word: str) -> bool:
    """Does jieba's dictionary count the word? Names mostly are not ("张世昌"; "于乐" is listed
    with count 0, as a prefix of longer words)."""
    return bool(_jieba().dt.FREQ.get(word))


def word_cut(text: str) -> list[str]:
    """jieba's words of a Chinese text, in order, covering it ("西班牙语", "音译", "为")."""
    return _jieba().lcut(text)


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


# The words of a Chinese question that only ask ("哪一年", "几个", "什么时候", "多少"): no passage
# holds them, so as query terms they count against every passage alike — the gate refused
# "广三铁路是哪一年建成的？" for lacking "哪一年" and "一年" (English question words are stopwords).
_ZH_ASKING = re.compile(
    r"(?:第?几|哪一?|多少)[\u4e00-\u9fff]?|哪(?:些|几)[\u4e00-\u9fff]{0,2}|什么样?|何时|何地|何处"
    r"|为何|啥|多(?:久|长|远|大|高|重|深|宽)"
)


# A request's opening words ask, they name nothing a passage holds: "Tell me about Robert
# Guiscard." was refused by the gate for "tell", which no passage holds ("Who was Robert
# Guiscard?" passed); "介绍一下环氧氯丙烷" searched for "介绍".
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:tell\s+me(?:\s+more)?(?:\s+about)?"
    r"|describe|explain|summari[sz]e|list|give\s+(?:me\s+)?(?:an?\s+)?(?:overview|summary|list)"
    r"(?:\s+of)?|what\s+do\s+you\s+know\s+about|i\s+(?:want|would\s+like)\s+to\s+know"
    r"(?:\s+about)?)\b"
    r"|^\s*请?(?:简单)?(?:介绍一下|介绍|说说|讲讲|简述|概述|总结一下|总结)",
    re.IGNORECASE,
)


def question_tokens(question: str) -> list[str]:
    """`lexical_tokens` of a question without the Chinese words that only ask (`_ZH_ASKING`;
    "时候" after "什么") and a request's opening words ("Tell me about", "介绍一下": `_REQUEST`):
    the terms a passage that answers it can hold."""
    kept: list[str] = []
    for part in _SPLIT.split(_REQUEST.sub(" ", question, count=1)):
        if not _CJK_RUN.fullmatch(part or "-"):
            kept.append(part)
            continue
        words = word_cut(part)
        for i, w in enumerate(words):
            asking = _ZH_ASKING.fullmatch(w) or (w == "时候" and i and words[i - 1] == "什么")
            kept.append(" " if asking else _unglued(w))
    return lexical_tokens("".join(kept))


# jieba guesses an unknown name together with the word after it: "楼曾瑞是谁？" is cut "楼",
# "曾瑞是", "谁", and "曾瑞是" is in no passage (which says "楼曾瑞，祖籍上海")
_GLUED = "是的在和与及有为被于将把从对向也都"


def _unglued(word: str) -> str:
    """A word the dictionary lacks, ending in a particle or "是", with that character apart."""
    if len(word) < 3 or word[-1] not in _GLUED or word in _jieba().dt.FREQ:
        return word
    return f"{word[:-1]} {word[-1]}"


_PLURAL = re.compile(r"(ies|es|s)$")
# the edges of a period as statements name them: "at the end of the quarter" is the row "…,
# ending balances", "at the start of the year" the row "…, beginning balances"
_SAID_AS = {"end": ("ending",), "start": ("beginning",), "begin": ("beginning",)}


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
    if any(form in present for form in _SAID_AS.get(token, ())):
        return True
    if token.isascii() and len(token) > 3:
        stem = _PLURAL.sub("", token)
        # a final y turns to i before an ending: "marry" is said by "married" and "marriage"
        turned = f"{stem[:-1]}i" if stem.endswith("y") and stem[-2:-1] not in "aeiou" else stem
        return any(p.startswith((stem, turned)) for p in present if p[:2] == token[:2])
    return False


# a word written as code: an option ("-k", "--keep"), a file's path ("~/.ssh/config"), an
# identifier with an underscore or a capital inside ("asn1_der_coding", "HashKnownHosts"), a call
# ("free()"), a module's path ("std::fmt")
CODE_WORD = re.compile(
    r"--?[A-Za-z][\w-]*|~?/[\w.~*-]+(?:/[\w.~*-]*)*|\S*(?:[A-Za-z0-9]_[A-Za-z0-9]|[a-z][A-Z]|\(\)|::)\S*"
)


_CAMEL = re.compile(r"\b[A-Za-z0-9]*[a-z0-9][A-Z][A-Za-z0-9]*\b")
_CAMEL_PART = re.compile(r"[A-Z]?[a-z]+\d*|[A-Z]+(?![a-z])\d*|\d+")


def identifier_words(text: str) -> str:
    """The words of the text's identifiers written in camel case, space-separated
    ("NumberOfPasswordPrompts" says "Number Of Password Prompts"); "" when it has none."""
    return " ".join(" ".join(_CAMEL_PART.findall(w)) for w in _CAMEL.findall(text))


def plain(text: str) -> str:
    """Lower-cased, with every run of whitespace one space: for comparing texts as written."""
    return " ".join(text.lower().split())
