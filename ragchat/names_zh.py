"""Does a Chinese sentence name the thing a Chinese question names by its kind?

"广三铁路是哪一年建成的？" is not answered by "大莱龙铁路于…2005年6月建成试运营…": the sentence
is about another railway. A Chinese sentence often names its subject once and then says 该 or
其, so a sentence that names no railway at all may still be about it; but one that names
another thing of the same kind ("大莱龙铁路", "龙烟铁路" for "德龙烟铁路"), and never the one
asked about, is a near miss. The name is the word jieba cuts right before the kind word
("广三" | "铁路"), which stands as a word of its own in both.
"""

from __future__ import annotations

import itertools
import re

from ragchat.text import in_dictionary, pos_tags, question_tokens, word_cut

# kind words that follow a proper name: railways and roads, stations and ports, schools,
# companies, clubs, associations, places, buildings, wars and treaties, publications
KINDS = frozenset(
    (
        "铁路", "公路", "高速公路", "站", "车站", "机场", "港", "大学", "学院", "中学", "小学",
        "医院", "公司", "集团", "银行", "俱乐部", "乐队", "组合", "寺", "教堂", "公园",
        "博物馆", "山", "河", "江", "湖", "岛", "桥", "镇", "村", "县", "街", "战役", "战争",
        "条约", "王朝", "杂志", "电视台", "号", "协会", "联盟", "学会", "委员会", "球队",
        "足球队", "教会", "出版社", "乐团",
    )
)  # fmt: skip
_NAME = re.compile(r"[\u4e00-\u9fff]{2,}")
_ASKING = re.compile(r"哪|什么|何|几|多少")  # "哪条铁路", "什么公司": the kind asked for
# words before a kind word that are no name: "这条铁路", "全国铁路"
_NOT_A_NAME = frozenset(
    ("这个", "那个", "这条", "那条", "这座", "那座", "这家", "那家", "全国", "国家", "城市",
     "地方", "主要", "重要", "新建", "原来", "一条", "一座", "一家", "多条", "各地", "沿线")
)  # fmt: skip


def _names_word(word: str) -> bool:
    return bool(_NAME.fullmatch(word)) and word not in _NOT_A_NAME and not _ASKING.search(word)


def asked_by_kind(question: str) -> list[tuple[str, str, str]]:
    """The things a Chinese question names by their kind word, as (the word right before the
    kind word, the whole name before it, the kind): "香港体育记者协会成立于哪一年？" ->
    [("记者", "香港体育记者", "协会")] (jieba cuts "香港" | "体育" | "记者" | "协会")."""
    words = word_cut(question)
    asked = []
    for i, word in enumerate(words):
        if word not in KINDS or i == 0 or not _names_word(words[i - 1]):
            continue
        start = i - 1
        while start > 0 and i - start < 3 and _names_word(words[start - 1]):
            start -= 1
        asked.append((words[i - 1], "".join(words[start:i]), word))
    return asked


def others_of_kind(text: str) -> list[tuple[str, str]]:
    """The (name, kind) pairs a Chinese text names with a proper name — a word jieba's
    dictionary lacks, or one of three characters or more: "大莱龙铁路", "浸信会协会", not
    "职业足球队"."""
    words = word_cut(text)
    return [
        (before, word)
        for before, word in itertools.pairwise(words)
        if word in KINDS and _names_word(before) and (len(before) >= 3 or not in_dictionary(before))
    ]


def names_the_kind_asked(asked: str, text: str) -> bool:
    """False when the question names a thing by its kind ("广三铁路", "香港体育记者协会") and
    `text` (a sentence with its headings) names only others of that kind ("大莱龙铁路",
    "北美华裔学人协会"), never the asked name."""
    said = others_of_kind(text)
    for word, name, kind in asked_by_kind(asked):
        if word in text or name in text:
            continue
        if any(k == kind and other not in name for other, k in said):
            return False
    return True


# "谁是中国的国家主席？", "林投姐的导演是谁？": the role the person is asked for, after the last 的;
# its adverbs, numbers, adjectives and the like name none ("两位候选人分别", "重要赞助商")
_NO_ROLE = frozenset(("d", "m", "mq", "a", "ad", "b", "c", "p", "r", "u", "uj", "q", "f"))
_WHO_IS = re.compile(r"^\s*谁(?:是|为)(.+?)[？?。\s]*$|^\s*(.+?)(?:是|为)谁[？?。\s]*$")


def names_the_role(asked: str, sentence: str) -> bool:
    """For "谁是X？" / "X是谁？", does the sentence name the role X asks for — every word of two
    characters or more after X's last 的 sharing a character with it, two for a longer word
    ("导演": "由丁善玺执导"; "国家主席": not "白磊在中国国家队…出场"; "主教练": not "主场")? A
    role ending in 的 ("供奉的是谁？") asks for none."""
    m = _WHO_IS.match(asked)
    if m is None:
        return True
    role = (m[1] or m[2]).rsplit("的", 1)[-1]
    words = [w for w, flag in pos_tags(role) if _NAME.fullmatch(w) and flag not in _NO_ROLE]
    return all(sum(ch in sentence for ch in set(w)) >= min(2, len(w) - 1) for w in words)


# the word after 什么/哪/何 is the kind asked for ("什么位置", "哪支球队"): no answer repeats it
_ASKS_KIND = re.compile(r"什么|哪[一个些支家位部本所座条只种项首国间件门张]?|何")


def question_terms(asked: str) -> set[str]:
    """A Chinese question's words of two characters or more (`text.question_tokens`, whole
    words, not their parts) but the kind it asks for: "张世昌司职什么位置？" -> {"张世昌", "司职"}."""
    words = word_cut(asked)
    kinds = {after for word, after in itertools.pairwise(words) if _ASKS_KIND.fullmatch(word)}
    terms = {t for t in question_tokens(asked) if len(t) >= 2 and t not in kinds}
    # search mode cuts a word into its parts too ("小时候": "小时", "时候"): the whole word only
    return {t for t in terms if not any(t != u and t in u for u in terms)}


def holds_what_the_best_lacks(asked: str, cited: str, best: str) -> bool:
    """Does a lower-ranked cited sentence hold every term of the question (`question_terms`)
    where the best-scored one does not? "张世昌（），中国足球运动员，司职守门员…" for
    "张世昌司职什么位置？", over "…张世昌被特鲁西埃暂时剥夺赛季初以来的主力位置…"."""
    terms = question_terms(asked)
    return bool(terms) and all(t in cited for t in terms) and not all(t in best for t in terms)
