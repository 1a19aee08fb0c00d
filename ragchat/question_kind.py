"""What kind of answer a question asks for, read from its wording.

Two strengths, for two uses:
- loose (`ASKS_NUMBER`, `ASKS_TIME`, `ASKS_AMOUNT`, `ASKS_WHO`): the words anywhere in the
  question. `ragchat.evidence` uses them to favour sentences with a number, a year or a name;
  a wrong guess only reorders evidence.
- anchored (`OPENS_AMOUNT`, `OPENS_TIME`, `OPENS_PERSON`, `OPENS_REASON` and the Chinese `ZH_ASKS_*`): the
  question's opening form. `ragchat.answer_type` uses them to overrule an answer, so only
  unambiguous forms count.
"""

from __future__ import annotations

import re

from ragchat.text import lexical_tokens, term_present

ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|far|old|large|big|tall|high)\b|\bwhat (?:percent|percentage|"
    r"amount|number|size)\b|多少|几|多大|多长|多高|多久|比例|百分",
    re.IGNORECASE,
)
ASKS_TIME = re.compile(
    r"\bwhen\b|\bwhat (?:year|date|century|decade|time)\b|\bin which year\b|哪一?年|何时|"
    r"什么时候|哪个世纪|时间",
    re.IGNORECASE,
)
# "What were Apple's net sales?" asks for an amount as surely as "how much"
ASKS_AMOUNT = re.compile(
    r"\b(?:sales|revenues?|income|profits?|earnings|margins?|costs?|expenses?|prices?|amount|"
    r"total|rates?|dividends?|debt|cash|assets|liabilities|population|salary|budget)\b|"
    r"收入|利润|营收|金额|人口|价格|费用",
    re.IGNORECASE,
)
ASKS_WHO = re.compile(r"\bwho(?:m|se)?\b|谁", re.IGNORECASE)

OPENS_AMOUNT = re.compile(
    r"^\s*(?:how (?:many|much|long|old|far|large|big|tall|high|often|wide|deep|heavy)"
    r"|what (?:percentage|percent|proportion|number|amount))\b",
    re.IGNORECASE,
)
OPENS_TIME = re.compile(r"^\s*(?:when|(?:in |during )?what (?:year|century|decade|date))\b", re.I)
OPENS_PLACE = re.compile(r"^\s*where\b", re.IGNORECASE)
OPENS_PERSON = re.compile(r"^\s*(?:who|whom|by whom)\b", re.IGNORECASE)
OPENS_REASON = re.compile(r"^\s*why\b", re.IGNORECASE)
# "What entity ...?", "Which country ...?": kinds of thing known by a proper name (over the
# squad-en dev set, all 55 answerable questions opening so have a gold answer with a capital;
# plurals of some kinds ask for a description: "Which courts ...?" -> "national courts")
OPENS_NAMED_KIND = re.compile(
    r"^\s*(?:what|which)\s+(?:entit(?:y|ies)|organi[sz]ations?|compan(?:y|ies)|agency|court"
    r"|countr(?:y|ies)|nation|city|town|river|treaty|president|king|queen|emperor|leader"
    r"|university|group)\b",
    re.IGNORECASE,
)
ZH_ASKS_AMOUNT = re.compile(r"多少|几[个位名次年天岁]|多[大长高远久重]")
ZH_ASKS_PERSON = re.compile(r"谁|何人|哪位")
ZH_ASKS_TIME = re.compile(r"哪一?年|什么时候|何时|哪个(?:朝代|世纪|时期|年代)")
# A question that asks for a place, a person, a reason, a way or a thing, and not for a time.
ZH_ASKS_OTHER = re.compile(
    r"哪里|哪儿|在哪|何处|何地|什么地方|谁|何人|为什么|为何|原因|什么样|怎么|如何|怎样"
    r"|哪[个些家位部本所座条支只种项首国间件门张](?![年月日天]|时|朝|世纪)|什么(?!时|年|月|日|朝|世纪)"
)
ZH_ASKS_SOME_TIME = re.compile(
    r"何年|年份|日期|时间|年代|时期|朝代|世纪|哪天|哪一天|几月|几号|多久"
)

# "What does the 10-Q say about share repurchases?", "Describe …", "介绍一下…": the user asks for
# an account, which a bare phrase ("Rule 10b5-1") does not give; the sentence it came from does
ASKS_ACCOUNT = re.compile(
    r"^\s*(?:what\s+(?:does|do|did)\s+.+\s+(?:say|state|mention|report|disclose)\s+"
    r"(?:about|on|regarding)\b|(?:tell\s+me|what\s+do\s+you\s+know)\s+about\b|describe\b"
    r"|explain\b|summari[sz]e\b|give\s+(?:me\s+)?an?\s+(?:overview|summary)\b)"
    r"|^\s*请?(?:介绍|概述|总结|概括|说说|讲讲|描述)|(?:说了|讲了|讲述了?|提到了)(?:什么|哪些)"
    r"|内容(?:是|为|有)?(?:什么|哪些)",
    re.IGNORECASE,
)

# "What is the maximum priority for …?", "Which encoding is …?": the thing asked about, named
# right after the question word (before its verb or preposition); not a word that only asks
# ("What type of …", "What year …", "one example of …")
_ASKED_NOUN = re.compile(
    r"^\s*(?:(?:in|on|at|to|from|for|of)\s+)?(?:which|what)\s+(?:(?:is|was|are|were)\s+)?"
    r"(?:(?:the|a|an)\s+)?((?:[\w’'-]+\s+){0,2}?[\w’'-]+)\s+(?=(?:is|was|are|were|do|does|did"
    r"|has|have|had|can|could|will|would|should|may|must|of|for|in|on|at|to|from|by|with|that"
    r"|which)\b)",
    re.IGNORECASE,
)
_ONLY_ASKS = re.compile(
    r"type|kind|sort|name|one|things?|part|way|year|date|time|number|amount|percentage|term|word"
    r"|person|people|example"
)


def asked_noun(question: str) -> list[str]:
    """The lexical tokens of what an English question asks about ("What is the maximum priority
    for magic rules?" -> maximum, priority); [] when its form names none."""
    m = _ASKED_NOUN.match(question)
    return [w for w in lexical_tokens(m.group(1)) if not _ONLY_ASKS.fullmatch(w)] if m else []


def names_what_is_asked(question: str, sentence: str, best: str) -> bool:
    """Does a sentence name what the question asks about ("the maximum is 100" for "What is the
    maximum priority …?") where the best-scored one does not ("… an optional priority
    attribute …")? An answer the model cites to it then stands."""
    words = asked_noun(question)

    def holds(text: str) -> bool:
        low = text.lower()
        present = set(lexical_tokens(low, drop_stopwords=False))
        return all(term_present(w, present, low) for w in words)

    return bool(words) and holds(sentence) and not holds(best)
