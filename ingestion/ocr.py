"""Optional OCR for image-only pages with RapidOCR (`pip install 'ragchat[ocr]'`).

RapidOCR's onnxruntime package ships its own Chinese and English models, so it works offline.
The engine is a seam: `OCR_ENGINES` maps a name to a factory returning an object whose
`__call__(png_bytes)` gives [(box_points, text, confidence), ...] like RapidOCR does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ingestion.layout import Region, reading_order
from ragchat.errors import ConfigError
from ragchat.settings import Settings


def _rapidocr() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def run(png: bytes) -> list[tuple[Any, str, float]]:
        result, _ = engine(png)
        return result or []

    return run


OCR_ENGINES: dict[str, Callable[[], Any]] = {"rapidocr": _rapidocr}
DPI = 200


@lru_cache(maxsize=4)
def _engine(name: str) -> Any:
    try:
        return OCR_ENGINES[name]()
    except ImportError:
        return None


def forget_engines() -> None:
    """Drop the loaded engines: the next page loads them again from OCR_ENGINES."""
    _engine.cache_clear()


def ocr_available(settings: Settings, name: str = "rapidocr") -> bool:
    """Whether image-only pages get OCR: ocr=auto when the engine is installed, ocr=on (an error
    naming the fix when it is not), never with ocr=off."""
    if settings.ocr == "off":
        return False
    if _engine(name) is not None:
        return True
    if settings.ocr == "on":
        raise ConfigError(
            f"ocr=on but the OCR engine ({name}) is not installed: pip install 'ragchat[ocr]',"
            " or set ocr=auto"
        )
    return False


def ocr_page_regions(page: Any, settings: Settings, name: str = "rapidocr") -> list[Region]:
    """Text regions recognised on a rendered page, in PDF coordinates and reading order."""
    engine = _engine(name)
    if engine is None:
        return []
    pix = page.get_pixmap(dpi=DPI)
    scale = 72.0 / DPI
    regions = []
    for box, text, conf in engine(pix.tobytes("png")):
        if not text.strip() or float(conf) < 0.5:
            continue
        xs = [p[0] * scale for p in box]
        ys = [p[1] * scale for p in box]
        height = max(ys) - min(ys)
        regions.append(
            Region(
                "text", text.strip(), (min(xs), min(ys), max(xs), max(ys)), size=round(height, 1)
            )
        )
    return reading_order(regions, page.rect.width)
