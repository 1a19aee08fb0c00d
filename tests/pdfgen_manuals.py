"""PDFs shaped like reference manuals: an outline with section numbers its pages print, function
entries as bold lines, and a man page's keywords above what they mean."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from tests.pdfgen import LOREM, H, W


def reference_manual(path: Path) -> Path:
    """A manual whose outline names its sections without the numbers its pages print, and a
    function reference whose entries ("asn1 check version") are bold lines under a section."""
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    p.insert_text((72, 100), "Libtasn1 Reference", fontsize=24, fontname="hebo")
    p.insert_text((72, 130), "help at example.org", fontsize=13, fontname="hebo")  # title page
    p = doc.new_page(width=W, height=H)
    p.insert_text((72, 100), "1 Introduction", fontsize=16, fontname="hebo")
    p.insert_textbox(pymupdf.Rect(72, 110, 523, 200), LOREM * 2, fontsize=10)
    p.insert_text((72, 230), "1.1 Thread safety", fontsize=14, fontname="hebo")
    p.insert_textbox(
        pymupdf.Rect(72, 240, 523, 320), "No global variables are used. " + LOREM, fontsize=10
    )
    p = doc.new_page(width=W, height=H)
    p.insert_text((72, 100), "2 Function reference", fontsize=16, fontname="hebo")
    y = 130
    for name, returns in (
        ("asn1 check version", "Returns: Version string of the run-time library."),
        ("asn1 strerror", "Returns: Pointer to a string describing the error code."),
    ):
        p.insert_text((72, y), name, fontsize=12, fontname="hebo")
        p.insert_textbox(pymupdf.Rect(72, y + 10, 523, y + 90), LOREM + returns, fontsize=10)
        y += 120
    doc.set_toc([[1, "1 Introduction", 2], [2, "Thread safety", 2], [1, "2 Function reference", 3]])
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


MAN_ENTRIES = (
    ("Compression", "Specifies whether to use compression. The argument must be yes or no."),
    (
        "ConnectionAttempts",
        "Specifies the number of tries (one per second) to make before exiting. The argument"
        " must be an integer. The default is 1.",
    ),
    (
        "HashKnownHosts",
        "Indicates that ssh should hash host names and addresses. The default is no.",
    ),
    (
        "NumberOfPasswordPrompts",
        "Specifies the number of password prompts before giving up. The argument to this keyword"
        " must be an integer. The default is 3.",
    ),
)


def man_page(path: Path) -> Path:
    """A configuration file's man page: each keyword a bold line of its own, at the body's
    size, above the indented paragraph that says what it means."""
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    p.insert_text((72, 72), "SSH_CONFIG(5)", fontsize=14, fontname="hebo")
    p.insert_text((72, 100), "DESCRIPTION", fontsize=12, fontname="hebo")
    p.insert_textbox(
        pymupdf.Rect(72, 108, 523, 150),
        "The file contains keyword-argument pairs, one per line. The possible keywords and"
        " their meanings are as follows.",
        fontsize=10,
    )
    y = 170
    for term, meaning in MAN_ENTRIES:
        p.insert_text((72, y), term, fontsize=10, fontname="hebo")
        p.insert_textbox(pymupdf.Rect(108, y + 4, 523, y + 60), meaning, fontsize=10)
        y += 80
    doc.save(path, no_new_id=True)
    doc.close()
    return path
