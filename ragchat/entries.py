"""A reference manual's entries: a term and what it means (a man page's options, a configuration
file's keywords, an API's functions), so that every sentence of an entry can be read as said of
its term.

A manual sets a term on a line of its own above what it means, and the parser reads the term as
a heading ("HashKnownHosts" over "Indicates that ssh(1) should hash host names …"), or sets a
short term on the line of its meaning ("Port Specifies the port number … The default is 22.").
Either way the entry's later sentences ("The default is 22.") never name it; `ragchat.evidence`
reads, scores and shows them as "TERM: sentence".
"""

from __future__ import annotations

import re

from ragchat.text import CODE_WORD

# the verbs a definition list's entry opens with, capitalised after its term
_DEFINES = (
    r"Specifies|Sets|Indicates|Restricts|Allows|Enables|Disables|Controls|Determines|Gives"
    r"|Defines|Selects|Forces|Requests|Limits|Overrides|Prints|Displays|Writes|Reads|Causes"
)
_INLINE_TERM = re.compile(rf"(?P<term>\S{{2,40}}) (?:{_DEFINES})\b")


def inline_term(line: str) -> str:
    """The term a paragraph opens with, one word written as code or capitalised, followed by a
    verb of defining ("Port Specifies …", "-f Forces …"); "" otherwise."""
    m = _INLINE_TERM.match(line.strip())
    if m is None:
        return ""
    term = m["term"]
    return term if CODE_WORD.fullmatch(term) or term[:1].isupper() else ""


def defined_term(heading: str) -> bool:
    """Is this heading a definition list's term ("HashKnownHosts", "-k --keep") rather than a
    section's title ("DESCRIPTION", "Compression", "Note 3 - Leases")? Every word of it is
    written as code (`ragchat.text.CODE_WORD`)."""
    words = heading.split()
    return 0 < len(words) <= 4 and len(heading) <= 48 and all(CODE_WORD.fullmatch(w) for w in words)
