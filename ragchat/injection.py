"""Is a sentence from a document addressed to an AI assistant rather than to its reader?

Documents are untrusted. A sentence that talks to "the assistant", tells the answer what to
say, in which language or format, asks it to follow a link, or carries chat-template tokens is
never chosen as evidence and is removed from what the model sees. The score adds up features
so that ordinary manual text ("Press the reset button.", "The model answers in 2 ms.") stays
below the threshold while new phrasings of an attack combine two or more features.
"""

from __future__ import annotations

import re

THRESHOLD = 1.5

_F = re.IGNORECASE
# who is addressed: an AI, an assistant, a model, the system (English and Chinese)
_ADDRESSEE = re.compile(
    r"\b(?:ai|a\.i\.|assistants?|chat ?bots?|chatgpt|gpt-?\d*|llms?|language models?|"
    r"(?:the|this) model|system prompts?|prompts?|instructions?)\b"
    r"|人工智能|智能助手|助手|助理|机器人|模型|系统提示|提示词|系统通知|系统消息|指令",
    _F,
)
# someone is told what to do with the answer
_COMMAND = re.compile(
    r"(?:^|[.!?:;]\s*|\b(?:please|now|instead|then)\s+)(?:answer|reply|respond|say|output|print|"
    r"write|append|add|include|end|begin|start|translate|repeat|reveal|visit|click|go to|"
    r"ignore|disregard|forget|obey|pretend|act as)\b"
    r"|\byou (?:must|should|shall|will|need to|have to|are to|are now|may now)\b"
    r"|\b(?:your|the|every|each) (?:answers?|replies|reply|responses?|output)\b"
    r"[^.!?]{0,40}\b(?:must|should|shall|has to|have to|will)\b"
    r"|\bwhen (?:you )?(?:answer|repl|respond)\w*"
    r"|\b(?:tell|inform|remind|ask|direct|send|redirect) the user\b"
    r"|\b(?:must|should|shall|is to|are to) (?:only |always )?(?:answer|reply|respond|say|output)\b"
    r"|请(?:用|以|在|务必|一定|回答|回复|输出|附上|访问|点击|忽略|记住|扮演|翻译|重复|始终|总是)"
    r"|你(?:必须|应该|需要|要|将|只能|不得)|回答时|回复时|在(?:回答|回复|答案)(?:的)?(?:结尾|末尾|开头|最后)"
    r"|(?:务必|必须)(?:用|以|回答|回复|输出)",
    _F,
)
# the rules themselves are attacked
_OVERRIDE = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?]{0,40}"
    r"\b(?:instructions?|rules|prompts?|directions|guidelines|above|previous|prior)\b"
    r"|\bif you are (?:an? )?(?:ai|assistant|language model|llm|chat ?bot|bot|gpt)"
    r"|\bfrom now on\b|\bnew (?:rules|instructions|task)\b|\bdeveloper mode\b|\bjailbreak"
    r"|\b(?:system|admin(?:istrator)?|developer) (?:note|notice|message|override|instruction)s?\b"
    r"|从现在开始|从今以后|新的?(?:规则|指令|任务)|系统通知|系统消息|管理员通知|暗号"
    # "忽略之前的所有指令"; not the manual's own "忽略大小写" (ignore case) or "口令长度" (password)
    r"|(?:忽略|无视|忘记|忘掉|不要理会)[^。！？\n]{0,12}(?:指令|规则|提示|要求|设定|限制|约束)"
    r"|(?:附上|说出|输出|回复|给出)(?:口令|密码)",
    _F,
)
# demands on the answer's form
_FORMAT = re.compile(
    r"\bin (?:english|chinese|french|german|spanish|upper ?case|capital letters|all caps|json)\b"
    r"|\b(?:at the end|at the start|at the beginning)\b|\bpassword\b|\bsecret (?:word|code)\b"
    r"|用(?:英文|英语|中文|大写)|结尾|末尾|开头附|附上",
    _F,
)
_LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|io|ru|cn|xyz|top)\b", _F)
_CHAT_TOKEN = re.compile(
    r"<\|[^|>]{0,40}\|>|\[/?INST\]|<</?SYS>>|^\s*#{2,}\s*(?:system|instruction)"
    r"|^\s*(?:system|assistant|user)\s*[:：]",
    _F | re.MULTILINE,
)


def assistant_address_score(sentence: str) -> float:
    """How strongly the sentence addresses an AI assistant (0 = ordinary document text)."""
    s = sentence.strip()
    if not s:
        return 0.0
    score = 0.0
    if _CHAT_TOKEN.search(s):
        score += 2.0
    if _OVERRIDE.search(s):
        score += 1.5
    if _ADDRESSEE.search(s):
        score += 1.0
    if _COMMAND.search(s):
        score += 1.0
    if _FORMAT.search(s):
        score += 0.5
    if _LINK.search(s):
        score += 0.25
    return score


def addresses_assistant(sentence: str) -> bool:
    return assistant_address_score(sentence) >= THRESHOLD
