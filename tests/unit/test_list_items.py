"""List items a PDF runs into one paragraph are sentences of their own in the evidence."""

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
