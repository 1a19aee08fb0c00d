"""Chinese short answers widened to the whole phrase their sentence states (`ragchat.span_zh`)."""

from __future__ import annotations

import pytest

from ragchat.span import whole_phrase
from ragchat.types import Evidence


def _one(text: str) -> list[Evidence]:
    return [Evidence(1, text, "c:0", "a.pdf", 1, (), 0.8)]


@pytest.mark.parametrize(
    ("answer", "sentence", "shown"),
    [
        ("650 [1]", "牠们接近灭绝，只余下650头栖息在伊朗。", "650头 [1]"),  # a number's unit
        (  # a character the model dropped is restored from the sentence
            "浙江杭州市余杭区南苑街道 [1]",
            "余杭站位于浙江省杭州市余杭区南苑街道，是一座车站。",
            "浙江省杭州市余杭区南苑街道 [1]",
        ),
        ("2.38 [1]", "机场总投资2.38亿元人民币。", "2.38亿元人民币 [1]"),
        ("396年 [1]", "396年五月初九，慕容宝任命余蔚为太傅。", "396年五月初九 [1]"),  # a date
        ("2008年 [1]", "他在2008年11月12日首次登场。", "2008年11月12日 [1]"),
        (  # a list: "、" items up to the verb phrase
            "472路、763路 [1]",
            "高铁余杭站，472路、763路、786区间在此始发。",
            "472路、763路、786区间 [1]",
        ),
        (  # "和" closed by "等": the whole enumeration
            "特快列车 [1]",
            "他的射球为他赢得了特快列车和雷电射等绰号。",
            "特快列车和雷电射 [1]",
        ),
        (  # spaces the model added do not hide the answer
            "里奇 (Lionel Richie) [1]",
            "影响来自里奇(Lionel Richie)、乔尔(Billy Joel)等人。",
            "里奇(Lionel Richie)、乔尔(Billy Joel) [1]",
        ),
        (
            "保罗·塞里诺 [1]",
            "在2008年由保罗·塞里诺与Stephen Brusatte所命名。",
            "保罗·塞里诺与Stephen Brusatte [1]",
        ),
        ("475年 [1]", "文周王于475年至477年在位。", "475年至477年 [1]"),  # a range
        ("23公尺 [1]", "栖息于水深2至23公尺的礁区。", "2至23公尺 [1]"),  # its first half too
        ("1809年 [1]", "他在1807－1809年间任职。", "1807－1809年 [1]"),
        ("东晋时期 [1]", "为后汉到东晋时期所流行的禅法。", "后汉到东晋时期 [1]"),  # a period
        ("明朝 [1]", "他从北京到明朝的都城。", "明朝 [1]"),  # a place is no period's start
        ("5.6万平方米 [1]", "建筑总面积近5.6万平方米。", "近5.6万平方米 [1]"),  # a hedge
        ("5年 [1]", "最近5年他住在北京。", "5年 [1]"),  # "最近" is no hedge
        ("18 [1]", "现有18趟列车停车办客。", "18趟 [1]"),  # a measure word
        ("1621年 [1]", "天命六年(1621年)六十岁去世。", "天命六年(1621年) [1]"),  # an era's year
        ("1753年 [1]", "他于乾隆十八年（1753年）去世。", "乾隆十八年（1753年） [1]"),
        ("1621年 [1]", "他在1621年去世。", "1621年 [1]"),
        ("2017年12月19日 [1]", "于2017年12月19日18时开通运营。", "2017年12月19日18时 [1]"),  # hour
        ("19日 [1]", "19日3个人来了。", "19日 [1]"),
        (  # earlier items of the list, back to the naming word
            "拟黑雀鲷 [1]",
            "黑褐新箭雀鲷，又名黑褐副雀鲷、拟黑雀鲷，是雀鲷科的鱼类。",
            "黑褐副雀鲷、拟黑雀鲷 [1]",
        ),
        (  # a "和" item that ends in a noun before the verb
            "白银乡河 [1]",
            "银河的主要水量由白银乡河和鹿地塘河提供。",
            "白银乡河和鹿地塘河 [1]",
        ),
        (  # a list in the model's words is shown in the sentence's, notes and all
            "鸡蛋黄、柠檬、椰子、草莓 [1]",
            "长鼻王系列产品有蛋黄（黄色）、柠檬（绿色）、椰子、草莓（粉色）四种口味。",
            "蛋黄（黄色）、柠檬（绿色）、椰子、草莓（粉色） [1]",
        ),
        # a list whose items the sentence does not hold together, a new clause after "和", a
        # number cut short, a year without a date: left alone
        ("苹果、香蕉 [1]", "苹果很甜，但是香蕉不甜。", "苹果、香蕉 [1]"),
        ("张三 [1]", "张三和她结婚了。", "张三 [1]"),
        ("65 [1]", "共有650头。", "65 [1]"),
        ("1959年 [1]", "最早出现在1959年的一篇文章中。", "1959年 [1]"),
        ("无关 [1]", "这句话没有答案。", "无关 [1]"),
    ],
)
def test_a_chinese_answer_is_widened_to_its_whole_phrase(answer, sentence, shown):
    assert whole_phrase(answer, _one(sentence), "zh") == shown


@pytest.mark.parametrize(
    ("answer", "sentence", "shown"),
    [
        (
            "由于龟山岛阴阳海地处外海造访不易 [1]",
            "由于龟山岛阴阳海地处外海造访不易，金山磺港阴阳海现象又不明显，因此在台湾如果仅说是阴阳海，指的多为水湳洞阴阳海。",
            "由于龟山岛阴阳海地处外海造访不易，金山磺港阴阳海现象又不明显 [1]",
        ),
        (  # no "因此": where the reason ends is unclear, so the answer stays
            "由于河水上涨 [1]",
            "由于河水上涨，桥梁被冲毁，村民无法出行。",
            "由于河水上涨 [1]",
        ),
        (  # not a reason the model chose: left alone
            "龟山岛阴阳海 [1]",
            "由于龟山岛阴阳海地处外海造访不易，金山磺港阴阳海现象又不明显，因此在台湾仅说阴阳海。",
            "龟山岛阴阳海 [1]",
        ),
    ],
)
def test_a_chinese_reason_runs_to_its_therefore(answer, sentence, shown):
    assert whole_phrase(answer, _one(sentence), "zh") == shown


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("国家光荣和ω-force [1]", "光荣和ω-force [1]"),  # made-up edge: the sentence's words
        ("光荣和ω-force公司 [1]", "光荣和ω-force [1]"),
        ("不是光荣 [1]", "不是光荣 [1]"),  # too short a core to place; shown as written
    ],
)
def test_a_chinese_answer_with_made_up_edges_is_shown_in_the_sentences_words(answer, shown):
    # the bundled 百科 sample, "《战国无双3》是由哪两个公司合作开发的？"
    sentence = "《战国无双3》（）是由光荣和ω-force开发的战国无双系列的正统第三续作。"
    ev = [Evidence(1, sentence, "c:0", "a.pdf", 1, (), 0.9)]
    assert whole_phrase(answer, ev, "zh") == shown
