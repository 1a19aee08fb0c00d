"""Sentences, shared by ingestion and answering: where English and Chinese sentences end
(abbreviations and quotations are no ends), a sentence a page or column break cut in two joined
again, and an encyclopedia's inline cleanup tags dropped."""

from __future__ import annotations

import re

from ragchat.text import CJK_CHARS

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


_CONTINUES = {
    # a line that stops inside a sentence ("… and it developed into the") and one that goes on
    # with it ("regional language that survives today.", or a number: "The default is" / "22."):
    # a page or column break, not a paragraph; not a numbered item ("2. Next step")
    "en": (re.compile(r"[a-z,]$"), re.compile(r"^(?:[a-z]|\d(?![\d,.]*\.?\s+[A-Z]))")),
    "zh": (re.compile(r"[\u4e00-\u9fff，、]$"), re.compile(r"^[\u4e00-\u9fff]")),
}
_MIN_BROKEN_LINE = {"en": 30, "zh": 15}  # shorter lines are headings ("iPhone") or labels


# a rule drawn with characters: a line of one ("~~~~~~", "======"), or a long run inside a line
# the parser joined ("…cleaned up. ~~~~~~~~~~第二讲第六节"); dot leaders are the TOC's, not a rule
_RULE = re.compile(r"[ \t]*([^\w\s.·…])\1{4,}[ \t]*")
_RULE_RUN = re.compile(r"[ \t]*([^\w\s.·…])\1{7,}[ \t]*")


def _rule_parts(line: str) -> list[str]:
    """A line cut where a rule runs through it, the rule as "\x00"."""
    if _RULE.fullmatch(line):
        return [line]
    pieces = _RULE_RUN.split(line)[::2]  # (the split also returns each rule's character)
    return [x for i, piece in enumerate(pieces) for x in ((["\x00"] if i else []) + [piece])]


def rejoin_broken_lines(text: str, lang: str) -> str:
    """The text with a sentence that a page or column break split into two paragraphs joined
    again (a space in English, nothing in Chinese); other line breaks stay."""
    key = "zh" if lang == "zh" else "en"
    ends, starts = _CONTINUES[key]
    glue = "" if key == "zh" else " "
    parts: list[str] = []  # lines, with the blank lines between paragraphs as ""
    lines = text.split("\n")
    if _RULE_RUN.search(text):
        lines = [part for line in lines for part in _rule_parts(line)]
    for line in lines:
        if line == "\x00" or _RULE.fullmatch(line):  # a rule ends a paragraph: nothing is
            parts.append("\x00")  # joined across it
            continue
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
    return "\n".join(p for p in parts if p != "\x00")


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
