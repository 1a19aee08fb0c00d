"""Self-QA: questions written from a chunk's own sentences, each with an answer span copied
verbatim from the chunk (no labels and no model needed).

A question must not copy its sentence: a model trained on "sentence with one word replaced by
'how much'" learns string matching, not reading. So the question keeps only the clause that holds
the answer and asks with a wh-word; `copy_overlap` measures what is left of the sentence. English
rules live in `finetune.english`; the Chinese ones (哪一年, 多少, 谁, 是什么, 位于哪里) and table cells
here. `swap_entity` makes an unanswerable twin (another entity of the KB in place of the asked
one). A configured generator can write further questions through `finetune.writer`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from finetune.english import english_questions
from ragchat.sentences import split_sentences
from ragchat.table_text import prose_grid, table_grid, table_rows
from ragchat.text import EN_STOP, lexical_tokens, pos_tags

COPY_THRESHOLD = 0.7  # a question holding more than 70 % of its sentence's words is a copy


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    kind: str  # definition | year | amount | figure | name | person | place | reason | table | zh-* | llm
    sentence: str = ""


_ZH_IS = re.compile(r"^(?P<x>[\u4e00-\u9fff《》·]{2,16})(?:是|为)(?P<y>[^，。；]{2,30})")
_ZH_YEAR = re.compile(r"(?P<a>\d{3,4}年)")
_ZH_NUM = re.compile(r"(?P<a>\d[\d.,]*(?:公里|万|亿|米|人|个|%|平方公里|千米|吨|岁))")
_ZH_BY = re.compile(r"由(?P<a>[\u4e00-\u9fff·]{2,10}?)(?:所|于|在|主持|创办|设计|开发|发行|出版)")
# "海宁西站，是沪昆客运专线的一个车站，位于浙江省嘉兴市…" -> "海宁西站位于哪里？": the sentence's
# named topic (not "另外", "全线均", "在二叠纪") and the place after 位于
_ZH_TOPIC = re.compile(
    r"^(?P<x>[\u4e00-\u9fff·]{2,12}?)(?:[，（(]|是|位于|属于|被?称为|又称|简称|又名|俗称|原名|别称|亦称|也称|通称)"
)
_ZH_NOT_TOPIC = re.compile(
    r"^(?:另|在|相|因|不|但|而|全|起|其|此|这|该|本|以下|高中|站台|当|又|也|同)|[的均之有]"
)
_ZH_WHERE = re.compile(r"位于(?P<a>[^，。；（）()]{3,30})(?=[，。；]|$)")
# "北京大学（简称北大）" -> "北京大学简称什么？"; "雉鸡属于鸡形目" -> "雉鸡属于什么？": the
# verb right after the topic (not "固始站是…车站，位于…，隶属于武汉铁路局", whose topic is far)
_ZH_ALIAS = re.compile(
    r"(?P<v>又称|简称|又名|俗称|原名|别称|亦称|也称|通称|被称为|属于)为?"
    r"(?P<a>[^，。；：、（）()“”「」\s]{2,16})(?=[，。；、）)]|$)"
)
# "司马晏被刘曜所杀" -> "司马晏被谁所杀？", "师从苏桐学习扬琴" -> "师从谁学习扬琴？": a person (jieba
# tags the name nr) after a word that makes them the agent, or after that word and a role
# ("被叔叔王昶抚养"); not "为" (it introduces titles: "被封为吴王") and not before a list's comma
_ZH_AGENT = ("被", "师从", "由", "受", "跟随", "随")
_ZH_PERSON_TAGS = ("nr", "nrfg", "nrt")
_ZH_AFTER_NAME = re.compile(r"v|vn|vd|p|u[a-z]?|x|c|d|f|zg")
_ZH_PRONOUN_START = ("此", "这", "该", "其", "本", "以下", "他", "她", "它", "但", "而", "并")
_ZH_CLAUSE_SPLIT = re.compile(r"[，；、]")


def questions_for(text: str, rng: random.Random, limit: int = 3, table: bool = False) -> list[QA]:
    """Up to `limit` question/answer pairs whose answers occur verbatim in `text`."""
    if table or text.lstrip().startswith("|"):
        return table_questions(text, rng, limit)
    out: list[QA] = []
    # a heading line stands alone: not "Sales and Marketing Sales and marketing costs include";
    # a sentence that a column break cut goes on in lower case ("was\n\na water pump")
    paragraphs = re.split(r"\n\s*\n(?=\s*[A-Z0-9\"“(\[])", text)
    sentences = [" ".join(p[a:b].split()) for p in paragraphs for a, b in split_sentences(p)]
    rng.shuffle(sentences)
    for s in sentences:
        if len(s) < 15 or len(s) > 400 or "|" in s:
            continue
        answers: set[str] = set()
        for qa in _candidates(s):  # up to two questions per sentence, with different answers
            if qa.answer in text and qa.answer.lower() not in qa.question.lower():
                if _clean_answer(qa.answer) and qa.answer not in answers:
                    out.append(qa)
                    answers.add(qa.answer)
                if len(answers) >= 2:
                    break
        if len(out) >= limit:
            break
    return out


def _candidates(s: str) -> list[QA]:
    """Every question the rules can write from one sentence, best kind first."""
    out = [QA(*asked, sentence=s) for asked in english_questions(s)]
    if not re.search(r"[\u4e00-\u9fff]", s):
        return out
    if (m := _ZH_IS.match(s)) and not m["x"].startswith(_ZH_PRONOUN_START):
        out.append(QA(f"{m['x']}是什么？", m["y"], "zh-definition", s))
    for pattern, wh, kind in ((_ZH_YEAR, "哪一年", "zh-year"), (_ZH_NUM, "多少", "zh-amount")):
        if (m := pattern.search(s)) and (q := _zh_ask(s, m.span("a"), wh)):
            out.append(QA(q, m["a"], kind, s))
    if (m := _ZH_BY.search(s)) and (q := _zh_ask(s, m.span("a"), "谁")):
        out.append(QA(q, m["a"], "zh-name", s))
    for span in _zh_agents(s):
        if q := _zh_ask(s, span, "谁"):
            out.append(QA(q, s[span[0] : span[1]], "zh-person", s))
    topic = _ZH_TOPIC.match(s)
    if topic is None or _ZH_NOT_TOPIC.search(x := topic["x"]):
        return out
    m = _ZH_WHERE.search(s)
    if m and x not in m["a"] and not m["a"].endswith(("的", "企业", "公司")):
        out.append(QA(f"{x}位于哪里？", m["a"], "zh-place", s))
    m = _ZH_ALIAS.search(s)
    if m and 0 <= m.start() - topic.end("x") <= 1 and x not in m["a"]:
        out.append(QA(f"{x}{m['v']}什么？", m["a"], "zh-alias", s))
    return out


def _zh_agents(s: str) -> list[tuple[int, int]]:
    """Spans of the people a Chinese sentence names as agents (see _ZH_AGENT)."""
    if not any(a in s for a in _ZH_AGENT):
        return []  # no agent word: spare the tagger
    words, start = [], 0
    for w, flag in pos_tags(s):
        words.append((start, w, flag))
        start += len(w)
    out = []
    i = 0
    while i < len(words):
        if words[i][2] not in _ZH_PERSON_TAGS:
            i += 1
            continue
        j = i  # "保罗·塞里诺": parts joined by a middle dot are one name
        while j + 2 < len(words) and words[j + 1][1] == "·" and words[j + 2][2] in _ZH_PERSON_TAGS:
            j += 2
        before = [words[k][1] for k in (i - 1, i - 2) if k >= 0]
        after = words[j + 1] if j + 1 < len(words) else (len(s), "。", "x")
        agent = bool(before) and (
            before[0] in _ZH_AGENT
            or (len(before) > 1 and before[1] in _ZH_AGENT and words[i - 1][2] in ("n", "nr"))
        )
        span = (words[i][0], words[j][0] + len(words[j][1]))
        if (
            agent
            and _ZH_AFTER_NAME.fullmatch(after[2])
            and after[1] not in "、，。；："
            and 2 <= span[1] - span[0] <= 10
        ):
            out.append(span)
        i = j + 1
    return out


_PAIRS = ("()", "“”", "（）", "《》", "「」")


def _clean_answer(answer: str) -> bool:
    """An answer span that was not cut inside brackets or quotes ("a number (e")."""
    return all(answer.count(a) == answer.count(b) for a, b in _PAIRS)


def _zh_ask(s: str, span: tuple[int, int], wh: str) -> str | None:
    """The clause holding the answer with the answer replaced by `wh`, cut only at punctuation:
    a clause too short to ask about takes the next one ("2012年2月5日，波亚斯带领的切尔西主场迎战
    曼联" -> "哪一年2月5日，波亚斯带领的切尔西主场迎战曼联？"), one too long gives no question
    (cutting it at a character count left "…波亚斯带领的切？")."""
    cuts = [0, *(m.end() for m in _ZH_CLAUSE_SPLIT.finditer(s)), len(s)]
    start = max(c for c in cuts if c <= span[0])
    end = min(c for c in cuts if c >= span[1])
    if len(s[start:end].strip("，；。、 ")) - (span[1] - span[0]) < 6:
        end = min((c for c in cuts if c > end), default=end)
    body = (s[start : span[0]] + wh + s[span[1] : end]).strip("，；。：:、 ")
    if not len(wh) + 5 <= len(body) <= 36 or body.startswith(_ZH_PRONOUN_START):
        return None
    if not _clean_answer(body):
        return None  # cut inside brackets or quotes
    return body + "？"


_NO_VALUE = re.compile(r"[\s$€£¥%()—–\-]*")  # an empty cell, or one holding only signs
_CURRENCY = re.compile(r"[$€£¥]")
_DATED = re.compile(r"\b(?:19|20)\d\d\b|\b(?:months|year|quarter|weeks) ended\b", re.IGNORECASE)


def _names_a_column(header: str) -> bool:
    """A header that can name a column in a question: words or a date, at most eight words, not
    cut ("March 31," whose year sits in the next header row), not a value ("79,600", "8 %": a
    data row the layout took for the header)."""
    named = re.search(r"[^\W\d_]", header) or re.fullmatch(r"(?:19|20)\d\d", header)
    return bool(named) and len(header.split()) <= 8 and not header.endswith(",")


def table_questions(text: str, rng: random.Random, limit: int) -> list[QA]:
    """'What is the <column> of <row>?' ('What was <row> for <period>?' under a dated column)
    for cells of a markdown table: the row named by its first cell, the column by its header.
    `table_grid` already joins a financial statement's split currency signs to their values; what
    still does not line up gives no question: a header that opens with a value column ("| 2022 |
    2023 |" over rows that open with their label; it names the wrong column for every cell), a
    row with a lone sign left, a row label that is a number, a header that is a value ("79,600":
    a data row taken for the header), a cell that repeats a header, or a cell with no digit or
    letter ("$", "—")."""
    grid = table_grid(text)
    if len(grid) < 2 or prose_grid(grid):
        return []
    header, body = grid[0], grid[1:]
    if _DATED.search(header[0]) or re.fullmatch(r"[\d\s.,$%()\-]+", header[0]):
        return []  # the header is shifted against the rows' labels
    rows = table_rows(text)
    if len(rows) != sum(1 for row in body if any(row)):
        return []
    out: list[QA] = []
    pairs = list(zip([row for row in body if any(row)], rows, strict=True))
    rng.shuffle(pairs)
    for cells, row in pairs:
        label = cells[0]
        if (
            not (re.search(r"[^\W\d_]", label) or re.fullmatch(r"(?:19|20)\d\d", label))
            or len(label) > 60
            or _CURRENCY.search(label)
            or any(_CURRENCY.fullmatch(c) for c in cells)
        ):
            continue
        named = [
            (h, v)
            for h, v in zip(header[1:], cells[1:], strict=False)
            if _names_a_column(h) and not _NO_VALUE.fullmatch(v) and v not in header
        ]
        if not named:
            continue
        column, value = rng.choice(named)
        if value in label:
            continue
        zh = bool(re.search(r"[\u4e00-\u9fff]", column + label))
        if zh:
            q = f"{label}的{column}是多少？"
        elif _DATED.search(column):
            q = f"What was {label} for {column}?"
        else:
            q = f"What is the {column} of {label}?"
        out.append(QA(q, value, "table", row))
        if len(out) >= limit:
            break
    return out


def swap_entity(qa: QA, entities: list[str], rng: random.Random) -> QA | None:
    """An unanswerable twin: a capitalised entity of the question replaced by another one from
    the knowledge base (SQuAD 2.0's commonest kind of unanswerable question)."""
    found = [m for m in re.finditer(r"(?<!^)\b[A-Z][a-z]{2,}(?: [A-Z][a-z]+)*", qa.question)]
    if not found or not entities:
        return None
    m = rng.choice(found)
    others = [e for e in entities if e.lower() not in qa.sentence.lower() and e != m.group(0)]
    if not others:
        return None
    new = rng.choice(others)
    question = qa.question[: m.start()] + new + qa.question[m.end() :]
    return QA(question, "", "swapped", qa.sentence)


def entities_of(text: str) -> list[str]:
    return re.findall(r"(?<=[a-z,] )[A-Z][a-z]{2,}(?: [A-Z][a-z]+)?", text)


def copy_overlap(question: str, sentence: str) -> float:
    """The share of the source sentence's content words (Chinese: characters) the question
    repeats. A question over COPY_THRESHOLD is a copy of its sentence."""
    src = {t for t in lexical_tokens(sentence) if t not in EN_STOP}
    if re.search(r"[\u4e00-\u9fff]", sentence):
        src = {ch for ch in sentence if "\u4e00" <= ch <= "\u9fff"}
        qset = {ch for ch in question if "\u4e00" <= ch <= "\u9fff"}
    else:
        qset = set(lexical_tokens(question))
    return len(src & qset) / len(src) if src else 0.0
