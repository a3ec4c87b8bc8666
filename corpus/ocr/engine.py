"""Tesseract 5 through tesserocr, which keeps the model loaded in the process:
a page costs the recognition alone, not a new process and a model load.

``ocr_page(image)`` reads one page; ``ocr_available()`` says whether it can, and
if not, what to install. One Tesseract instance is kept per process and
settings (a pool worker keeps its own); it is not thread-safe, hence the lock.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from .errors import PACKAGES, OcrError
from .layout import OcrLine, Word, arrange, page_text
from .preprocess import prepare

# Bump when anything that changes the text of a page changes (preprocessing,
# layout, settings' meaning): cached pages of an older version are OCR'd again.
PIPELINE_VERSION = 1
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
# A page whose words are this unsure on average (0-100) has no text worth keeping:
# a blank page's speckles or a photo of nothing read as stray letters.
MIN_PAGE_CONFIDENCE = 45
# Below this, OSD is asked whether the page is turned (90°, 180°, 270°).
ORIENTATION_CONFIDENCE = 60
MIN_OSD_CONFIDENCE = 2.0
# Stray marks (speckles, a ruled line) read as punctuation alone, unsure.
NOISE_WORD_CONFIDENCE = 50


@dataclass(frozen=True)
class OcrSettings:
    lang: str = "vie"
    psm: int = 3  # automatic page segmentation
    # Scans below 90 % of this are enlarged. Not more by default: enlarging our
    # 200-dpi scans to 300 read worse (circumflex taken for tilde: "Vân" -> "Vẫn").
    target_dpi: int = 200
    deskew: bool = True
    denoise: bool = True  # the 3x3 median (see ``preprocess``)
    binarize: bool = False  # our own Otsu threshold before Tesseract's
    variables: tuple[tuple[str, str], ...] = ()  # Tesseract variables, e.g. (("thresholding_method", "2"),)
    time_limit_s: float = 60.0  # per page
    # Pages are shrunk above this (a 600-dpi A4 page is 35 MP); files too large
    # to decode at all are refused before that, by ``images``.
    max_pixels: int = 40_000_000

    def version(self) -> str:
        """What a cached page depends on: the engine, the model and these settings."""
        options = f"{self.target_dpi}dpi|deskew{int(self.deskew)}|denoise{int(self.denoise)}|bin{int(self.binarize)}"
        variables = ",".join(f"{k}={v}" for k, v in self.variables)
        return f"{engine_version()}|{self.lang}|psm{self.psm}|{options}|{variables}|max{self.max_pixels}|v{PIPELINE_VERSION}"


@dataclass
class OcrPage:
    text: str  # lines in reading order, a blank line where the page has a gap
    confidence: float  # mean word confidence, 0-100, weighted by characters
    lines: list[OcrLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # in Vietnamese
    size: tuple[int, int] = (0, 0)  # of the image the boxes refer to
    skew: float = 0.0
    rotated: int = 0  # degrees the page was turned to be read
    stamp: bool = False
    seconds: float = 0.0

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OcrPage:
        data = dict(data)
        data["lines"] = [OcrLine(**{**ln, "box": tuple(ln["box"])}) for ln in data.get("lines", [])]
        data["size"] = tuple(data.get("size", (0, 0)))
        return cls(**data)


def find_tessdata(lang: str = "vie") -> Path | None:
    """The folder holding ``lang``'s model (each of "vie+eng"), or None."""
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *TESSDATA_DIRS]
    for folder in candidates:
        if folder and all((Path(folder) / f"{part}.traineddata").is_file() for part in lang.split("+")):
            return Path(folder)
    return None


def unavailable_message(reason: str) -> str:
    return (f"Không nhận dạng được chữ (OCR): {reason}. Cài Tesseract và mô hình tiếng Việt "
            f"(gói Debian/Ubuntu: {PACKAGES}; ví dụ: sudo apt-get install -y {PACKAGES}).")


def ocr_available(lang: str = "vie") -> tuple[bool, str]:
    """(True, what will be used) or (False, what is missing and which packages to install)."""
    try:
        import tesserocr
    except ImportError as exc:
        return False, unavailable_message(f"thiếu thư viện tesserocr ({exc})")
    tessdata = find_tessdata(lang)
    if tessdata is None:
        return False, unavailable_message(f"không tìm thấy mô hình ngôn ngữ '{lang}' ({lang}.traineddata)")
    try:
        _api(str(tessdata), lang, 3)
    except OcrError as exc:
        return False, exc.message
    version = tesserocr.tesseract_version().split()[1]
    return True, f"Tesseract {version}, mô hình '{lang}' trong {tessdata}"


def engine_version() -> str:
    import tesserocr

    return tesserocr.tesseract_version().split("\n")[0].strip()


_LOCK = threading.Lock()
_APIS: dict[tuple[str, str, int, tuple[tuple[str, str], ...]], Any] = {}


def _api(tessdata: str, lang: str, psm: int, variables: tuple[tuple[str, str], ...] = ()) -> Any:
    key = (tessdata, lang, psm, variables)
    if key not in _APIS:
        from tesserocr import OEM, PyTessBaseAPI

        try:
            api = PyTessBaseAPI(path=tessdata + "/", lang=lang, psm=psm, oem=OEM.LSTM_ONLY)
        except RuntimeError as exc:
            raise OcrError("ocr_unavailable", unavailable_message(f"Tesseract không khởi động được ({exc})")) from exc
        for name, value in variables:
            api.SetVariable(name, value)
        _APIS[key] = api
    return _APIS[key]


def _engine(settings: OcrSettings) -> Any:
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        raise OcrError("ocr_unavailable", unavailable_message(f"thiếu thư viện tesserocr ({exc})")) from exc
    tessdata = find_tessdata(settings.lang)
    if tessdata is None:
        raise OcrError("ocr_unavailable",
                       unavailable_message(f"không tìm thấy mô hình ngôn ngữ '{settings.lang}' ({settings.lang}.traineddata)"))
    return _api(str(tessdata), settings.lang, settings.psm, settings.variables)


def _recognise(api: Any, image: Image.Image, dpi: int | None, deadline: float) -> list[Word]:
    from tesserocr import RIL, iterate_level

    api.SetImage(image)
    if dpi:
        api.SetSourceResolution(dpi)
    left_ms = int((deadline - time.monotonic()) * 1000)
    if left_ms <= 0 or not api.Recognize(timeout=left_ms) or time.monotonic() > deadline:
        raise OcrError("ocr_timeout", "Nhận dạng chữ một trang quá thời gian cho phép")
    words: list[Word] = []
    line = -1
    iterator = api.GetIterator()
    baseline: tuple[tuple[int, int], tuple[int, int]] | None = None
    for item in iterate_level(iterator, RIL.WORD):
        if item.IsAtBeginningOf(RIL.TEXTLINE):
            line += 1
            baseline = item.Baseline(RIL.TEXTLINE)
        try:
            text = item.GetUTF8Text(RIL.WORD)
        except RuntimeError:  # "No text returned": an empty word on a blank page
            continue
        box = item.BoundingBox(RIL.WORD)
        if not text or box is None:
            continue
        conf = item.Confidence(RIL.WORD)
        if conf < NOISE_WORD_CONFIDENCE and not any(c.isalnum() for c in text):
            continue
        words.append(Word(text, box, conf, max(line, 0), _baseline_at(baseline, (box[0] + box[2]) / 2)))
    return words


def _baseline_at(baseline: tuple[tuple[int, int], tuple[int, int]] | None, x: float) -> float | None:
    if not baseline:
        return None
    (x1, y1), (x2, y2) = baseline
    return y1 if x2 == x1 else y1 + (y2 - y1) * (x - x1) / (x2 - x1)


def _osd_api(tessdata: str) -> Any:
    """Orientation detection has its own instance: osd.traineddata is a legacy-engine
    model, and asking the LSTM-only recogniser for it aborts the process."""
    key = (tessdata, "osd", -1, ())
    if key not in _APIS:
        from tesserocr import OEM, PSM, PyTessBaseAPI

        _APIS[key] = PyTessBaseAPI(path=tessdata + "/", lang="osd", psm=PSM.OSD_ONLY, oem=OEM.TESSERACT_ONLY)
    return _APIS[key]


def _orientation(image: Image.Image) -> int:
    """Degrees (counter-clockwise) to turn the page by to read it upright; 0 if unsure."""
    tessdata = find_tessdata("osd")
    if tessdata is None:
        return 0
    try:
        api = _osd_api(str(tessdata))
        api.SetImage(image)
        osd = api.DetectOrientationScript()
    except RuntimeError:
        return 0
    finally:
        if tessdata is not None and (str(tessdata), "osd", -1, ()) in _APIS:
            _APIS[(str(tessdata), "osd", -1, ())].Clear()
    if not osd or osd.get("orient_conf", 0) < MIN_OSD_CONFIDENCE:
        return 0
    return int(osd.get("orient_deg", 0)) % 360


def _sideways(words: list[Word]) -> bool:
    long = [w for w in words if len(w.text) >= 3]
    tall = sum(1 for w in long if w.box[3] - w.box[1] > 1.5 * (w.box[2] - w.box[0]))
    return bool(long) and tall > len(long) / 2


def _mean_confidence(words: list[Word]) -> float:
    chars = sum(len(w.text) for w in words)
    return sum(w.confidence * len(w.text) for w in words) / chars if chars else 0.0


def ocr_page(image: Image.Image, settings: OcrSettings | None = None, dpi: int | None = None) -> OcrPage:
    """Read one page image. Raises ``OcrError`` (ocr_unavailable, ocr_timeout,
    corrupt_image); a page with nothing legible gives empty text and a warning."""
    settings = settings or OcrSettings()
    started = time.monotonic()
    deadline = started + settings.time_limit_s
    api = _engine(settings)
    prepared = prepare(image, target_dpi=settings.target_dpi, max_pixels=settings.max_pixels, deskew=settings.deskew,
                       denoise=settings.denoise, binarize=settings.binarize, dpi=dpi)
    page_image = prepared.image
    warnings: list[str] = []
    rotated = 0
    with _LOCK:
        try:
            words = _recognise(api, page_image, prepared.dpi, deadline)
            confidence = _mean_confidence(words)
            # Unsure words, or words taller than wide: Tesseract read a page on its side
            # line by line, and the boxes are sideways too.
            if confidence < ORIENTATION_CONFIDENCE or _sideways(words):
                turn = _orientation(page_image)
                if turn:
                    turned = page_image.rotate(turn, expand=True, fillcolor=255)
                    turned_words = _recognise(api, turned, prepared.dpi, deadline)
                    if _mean_confidence(turned_words) >= confidence:
                        words, page_image, rotated = turned_words, turned, turn
                        confidence = _mean_confidence(words)
        finally:
            # Also after a timeout: an interrupted recognition must not leak into the next page.
            api.Clear()
    if prepared.scale < 1.0:
        warnings.append(f"Ảnh trang quá lớn, đã thu nhỏ còn {page_image.width}×{page_image.height} điểm ảnh để nhận dạng")
    lines = arrange(words)
    if confidence < MIN_PAGE_CONFIDENCE or not any(c.isalnum() for ln in lines for c in ln.text):
        warnings.append("Trang trống hoặc không nhận dạng được chữ" +
                        (f" (độ tin cậy {confidence:.0f}%)" if words else ""))
        lines = []
    return OcrPage(
        text=page_text(lines),
        confidence=round(confidence, 1) if lines else 0.0,
        lines=lines,
        warnings=warnings,
        size=page_image.size,
        skew=prepared.skew,
        rotated=rotated,
        stamp=prepared.stamp,
        seconds=round(time.monotonic() - started, 3),
    )
