"""List items a PDF runs into one paragraph are sentences of their own in the evidence; the
lines of a table of contents or an index are none."""

from __future__ import annotations

from ragchat.evidence import sentences_of
from tests.fakes import make_hit

FEATURES = (
    "The command line tools are licensed under the GNU General Public License version 3.0 or"
    " later. • Thread-safety. No global variables are used and multiple library handles may be"
    " used in parallel. • Portability: The code should work on all Unix like operating systems."
)


def test_each_item_starts_a_sentence_and_keeps_its_lead_in():
    assert sentences_of(make_hit(FEATURES), "en") == [
        "The command line tools are licensed under the GNU General Public License version 3.0"
        " or later.",
        "Thread-safety. No global variables are used and multiple library handles may be used"
        " in parallel.",
        "Portability: The code should work on all Unix like operating systems.",
    ]


def test_an_item_of_one_sentence_loses_only_its_mark():
    text = "Future developments. • Add functions for C code generation. • The REAL type."
    assert sentences_of(make_hit(text), "en") == [
        "Future developments.",
        "Add functions for C code generation.",
        "The REAL type.",
    ]


def test_a_short_sentence_outside_a_list_is_not_joined():
    text = "Thread-safety. No global variables are used."
    assert sentences_of(make_hit(text), "en") == [
        "Thread-safety.",
        "No global variables are used.",
    ]


def test_a_table_of_contents_or_index_line_is_no_evidence():
    text = (
        "Supported ASN.1 types, list of . . . . . . . . . . 1\n"
        "asn1_decode_simple_ber . . . . . . . . . 22\n"
        "This version doesn't handle the REAL type... or so it says."
    )
    assert sentences_of(make_hit(text), "en") == [
        "This version doesn't handle the REAL type... or so it says."
    ]
