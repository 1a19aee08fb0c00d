"""Definition questions ("What is X?", "Who was X?", "X是什么？", "X有什么用途？"): the sentence
that says what X is, not one that merely mentions it.

Every sentence about X holds the question's only term, so term overlap cannot choose among them
and the embedder barely does. A definition names X as its subject and goes on with a copula or an
apposition ("European Union law is a body of treaties …", "锣鼓经是…"), or puts a role before a
name ("the famed Viking ruler Rollo"); a sentence that names X only as an owner ("Rollo's
contingents …") is about something else. A question about a use (有什么用途, "What is X used
for?") wants the sentence that states one ("被用于制造甘油…").

`definition_bonus` is added to a sentence's evidence score (`ragchat.evidence`), like the
answer-type bonus: it reorders sentences that already fit the question, nothing more.
"""

from __future__ import annotations

import re

from ragchat.text import EN_STOP

BONUS = 0.12

_EN = re.compile(r"^\s*(?:who|what)\s+(?:is|was|are|were)\s+(?P<x>[^?]{2,60}?)\s*\?\s*$", re.I)
_EN_USE = re.compile(
    r"^\s*what\s+(?:is|are|was|were)\s+(?P<x>[^?]{2,60}?)\s+used\s+for\s*\?\s*$", re.I
)
# "What does HashKnownHosts do?", "What does the --rsyncable option do?"
_EN_DO = re.compile(
    r"^\s*what\s+(?:does|do|did)\s+(?:the\s+)?(?P<x>[^?]{1,60}?)(?:\s+(?:option|keyword|command"
    r"|function|flag|setting|directive|parameter|variable|method|macro|program))?"
    r"(?:\s+(?:of|in|for)\s+[\w.-]+)?\s+do\s*\?\s*$",  # "… the -f option of gzip do?"
    re.I,
)
_PARTICIPLES = r"known|made|given|seen|taken|held|built"  # irregular: "was built", "is known"
# not a subject: "What was the naval base called?", "What is located within …?", "What are
# stators attached to?" (a participle or a preposition in the asked phrase, or a pronoun)
_NOT_SUBJECT = re.compile(
    rf"\b(?:[a-z]{{2,}}ed|{_PARTICIPLES}|done|used|this|that|these|those"
    r"|it|they|he|she|there|here)\b|\b(?:to|for|of|by|in|on|with|at|from|about|as)$"
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)
# "X is a …", "X (…) was …", "X, a …"; not the passive "X is applied by the courts"
_COPULA = re.compile(
    r"^\s*(?:\([^)]{0,80}\)\s*)?(?:,[^,]{1,80},\s*)?"
    rf"(?:(?:is|was|are|were)(?!\s+(?:\w+ly\s+)?(?:\w+ed|{_PARTICIPLES})\b)"
    r"|refers\s+to|means|denotes|became)\b|^\s*,\s*(?:a|an|the)\s",
    re.I,
)
# "their leader Rollo", "the famed Viking ruler Rollo"; not "The treaty offered Rollo"
_ROLE_BEFORE = re.compile(
    r"\b(?:the|a|an|their|his|her|its)\s+(?:[A-Za-z\-]+\s+){0,3}?(?P<role>[a-z][a-z\-]+),?\s+$"
)
_USE_EN = re.compile(r"\b(?:used|use[sd]?)\s+(?:for|to|in|as)\b|\bapplications?\b", re.I)

_ZH = re.compile(
    r"^(?P<x>[^的，。？?\s]{2,12}?)\s*(?:究竟|到底)?(?:是什么东西|是什么|是谁|是指什么|指的是什么|指什么)[？?]?$"
)
_ZH_USE = re.compile(
    r"^(?P<x>[^的，。？?\s]{2,12}?)\s*(?:的)?(?:主要|一般|通常)?(?:有什么|有哪些|有何|的)"
    r"(?:用途|作用|用处|功能)(?:是什么|有哪些)?[？?]?$"
)
# "X是一个…", "X（…），又称…"; not "X是通过…制备的", "X是由…" (how it is made, not what it is)
_ZH_DEFINES = (
    r"(?:（[^）]{0,40}）|\([^)]{0,40}\))?[，,]?"
    r"(?:是(?!通过|由|在|从|因|为了|用|被|否|不|如何|怎样)|为|指|乃|即|又称|亦称|简称)"
)
# "…称为「X」", "…被叫做X": the sentence names what X is
_ZH_NAMED = r"(?:称为|称作|叫做|叫作|名为|统称|合称|简称为?)[「『“\"《]?"
_ZH_STATES_USE = re.compile(r"用于|用作|用来|用途|用处|可用|原料|原材料|应用于|作为.{0,8}使用")


def asked_subject(question: str) -> tuple[str, str] | None:
    """(X, "define" | "use") for a definition or use question, else None."""
    q = question.strip()
    for pattern, kind in ((_ZH_USE, "use"), (_ZH, "define")):
        m = pattern.match(q)
        if m:
            return m.group("x"), kind
    m = _EN_USE.match(q)
    if m:
        return _ARTICLE.sub("", m.group("x").strip()), "use"
    m = _EN_DO.match(q)
    if m:
        return m.group("x").strip(), "do"
    m = _EN.match(q)
    if not m:
        return None
    x = _ARTICLE.sub("", m.group("x").strip())
    if len(x.split()) > 6 or _NOT_SUBJECT.search(x):
        return None
    return x, "define"


def definition_bonus(question: str, sentence: str) -> float:
    """BONUS for a sentence that defines (or states the use of) what the question asks about;
    -BONUS for one that names it only as an owner ("Rollo's …"); 0.0 otherwise."""
    asked = asked_subject(question)
    if asked is None:
        return 0.0
    x, kind = asked
    if re.search(r"[\u4e00-\u9fff]", question):  # asked in Chinese, of "锣鼓经" or "CTRL-G"
        if x not in sentence:
            return 0.0
        if kind == "use":
            return BONUS if _ZH_STATES_USE.search(sentence) else 0.0
        if re.search(_ZH_NAMED + re.escape(x), sentence):
            return BONUS  # "常用的节奏型称为「锣鼓点」": what is so called is what X is
        return BONUS if re.match(re.escape(x) + _ZH_DEFINES, sentence.strip()) else 0.0
    spots = [m for m in re.finditer(rf"(?<![\w-]){re.escape(x)}(?![\w-])", sentence, re.I)]
    if not spots:
        return 0.0
    if kind == "use":
        return BONUS if _USE_EN.search(sentence) else 0.0
    if kind == "do":
        return BONUS if _states_what_it_does(x, sentence) else 0.0
    if all(sentence[m.end() : m.end() + 2] in ("'s", "’s") for m in spots):
        return -BONUS
    if re.search(
        rf"\b(?:called|termed|named|known\s+as)\s+(?:the\s+|an?\s+)?[\"“']?{re.escape(x)}",
        sentence,
        re.I,
    ):
        return BONUS  # "the rhythm patterns used most are called X"
    opening = _ARTICLE.sub("", sentence.lstrip())
    if opening.lower().startswith(x.lower()) and _COPULA.match(opening[len(x) :]):
        return BONUS
    for m in spots:
        role = _ROLE_BEFORE.search(sentence[: m.start()])
        word = role.group("role") if role else ""
        if x[:1].isupper() and _role_noun(word):
            return BONUS
    return 0.0


# what a thing does, said of it: "HashKnownHosts: Indicates that …" (a definition list's entry,
# `ragchat.entries`), "… this option allows rsync to …", "gzip reduces the size …";
# not "Normally, after a change is made …" in the same entry
_OPENS_WITH_A_VERB = re.compile(
    r"(?!(?:This|Its|Thus|Unless|Whereas|Always|Perhaps|Was|Has)\b)[A-Z][a-z]+s\b"
)
# an option's entry says what it does in the imperative: "Force compression or decompression …",
# "Keep (don't delete) input files …", "Write output on standard output …"
_IMPERATIVE = re.compile(
    r"(?:Force|Keep|Write|Display|Decompress|Compress|List|Print|Use|Set|Enable|Disable|Show"
    r"|Create|Delete|Remove|Read|Save|Skip|Ignore|Suppress|Allow|Add|Check|Test|Travel|Regulate"
    r"|Restrict|Specify|Select|Send|Run|Stop|Start|Make|Turn|Treat|Convert|Preserve|Do)\b"
)
_VERB_S = (
    r"(?:\w+ly\s+)?(?!(?:yes|this|thus|always|perhaps|unless|whereas|has|its)\b)[a-z]+[^\Wsu]s\b"
)
_KIND = r"(?:option|keyword|command|function|flag|setting|directive|parameter|variable|method|macro|program)"
_THIS_ONE_DOES = re.compile(rf"\b(?:this|the)\s+{_KIND}\s+{_VERB_S}", re.I)


def _states_what_it_does(x: str, sentence: str) -> bool:
    body = sentence.strip()
    label, colon, rest = body.partition(": ")
    # the entry's term: "-f --force" is the entry of "-f"
    if colon and x.lower() in label.lower().split():
        body = rest
        if _OPENS_WITH_A_VERB.match(body) or _IMPERATIVE.match(body):
            return True
    if _THIS_ONE_DOES.search(body):
        return True
    return re.search(rf"(?<![\w-]){re.escape(x)}(?:\s+{_KIND})?\s+{_VERB_S}", body) is not None


def _role_noun(word: str) -> bool:
    """ "ruler", "leader", "duke"; not a verb ("offered", "opposing") or a function word."""
    if not word or word in EN_STOP or word.endswith("ed"):
        return False
    return not word.endswith("ing") or word in ("king", "viking")
