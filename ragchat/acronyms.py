"""Common acronyms a user types and a document spells out: "R&D" for "research and development".

A filing writes "Research and development" in its income statement and "Chief Executive Officer"
under its signatures; a user asks "How much did Apple spend on R&D?" or "Who is the CEO?". Neither
the embedder nor BM25 links the two, so the question was answered from the iPhone revenue row.
The question searched for (retrieval, the gate, evidence) spells each acronym out, the acronym
kept in brackets (`spelled_out`); the question answered, typed and checked is the user's own.
"""

from __future__ import annotations

import re

# Acronyms that mean one thing in the documents ragchat is for (reports, regulations, papers):
# titles, financial line items, and a few terms of science and government. Case matters: "EPS"
# is earnings per share, "eps" is not asked.
SPELLED_OUT = {
    "CEO": "chief executive officer",
    "CFO": "chief financial officer",
    "COO": "chief operating officer",
    "CTO": "chief technology officer",
    "R&D": "research and development",
    "EPS": "earnings per share",
    "SG&A": "selling, general and administrative",
    "G&A": "general and administrative",
    "COGS": "cost of goods sold",
    "EBIT": "earnings before interest and taxes",
    "EBITDA": "earnings before interest, taxes, depreciation and amortization",
    "CapEx": "capital expenditures",
    "FCF": "free cash flow",
    "OCI": "other comprehensive income",
    "AOCI": "accumulated other comprehensive income",
    "GAAP": "generally accepted accounting principles",
    "YoY": "year over year",
    "M&A": "mergers and acquisitions",
    "IPO": "initial public offering",
    "HQ": "headquarters",
    "GDP": "gross domestic product",
    "ROI": "return on investment",
    "P&L": "profit and loss",
}
_ACRONYM = re.compile(
    r"(?<![\w&])("
    + "|".join(re.escape(a) for a in sorted(SPELLED_OUT, key=len, reverse=True))
    + r")(?:'?s)?(?![\w&])"
)


def spelled_out(question: str) -> str:
    """The question with each known acronym spelled out, the acronym after it in brackets, unless
    the question spells it out already: "What was Apple's diluted EPS?" -> "What was Apple's
    diluted earnings per share (EPS)?" — spelled out first, as the question the document's
    row label answers ("Earnings per share – Diluted", not "Shares used in computing earnings
    per share – Diluted", which the acronym first drew)."""
    low = question.lower()

    def expand(m: re.Match[str]) -> str:
        full = SPELLED_OUT[m[1]]
        if full in low:
            return m[0]
        return f"{full}{m[0][len(m[1]) :]} ({m[1]})"  # "CEO's": "chief executive officer's (CEO)"

    return _ACRONYM.sub(expand, question)
