"""OCR accuracy and speed on scans of our own sample documents.

    .venv/bin/python benchmarks/ocr.py [--quick]

Each typed sample (corpus/samples/*.md|*.txt, fictional huyện Sông Mây) is set on
A4 pages and scanned by tests/ocr_scans.py: the two-column header, the closing
with a red seal, DejaVu Serif or Sans; "clean" as printed, "skewed_noisy" turned
by ±1.5° (alternating) with speckles and blur. Pages go through an image-only PDF
(JPEG, quality 85), as a scanner writes them, and are read back with
``corpus.ocr.pdf_page_image``.

1. The pipeline (``corpus.ocr.ocr_page``) at 200 and 300 dpi, per kind: character
   accuracy and word accuracy with diacritics, word accuracy of the diacritic-free
   form (1 - edit distance / reference length, after NFC and whitespace
   normalisation), word recall, seconds a page in one process; the header
   metadata parsed from the OCR text against the typed source's; pages a minute
   with the process pool (2 workers).
2. Bindings on a subset: tesserocr (this pipeline), pytesseract (same
   preprocessing and layout, a process per page), both without preprocessing or
   layout, and OCRmyPDF (a text layer, read by the PDF reader). pytesseract and
   OCRmyPDF are not dependencies: where missing they are reported as such.
3. Settings on the same subset: page segmentation modes, vie+eng, no median,
   Otsu binarisation, no deskew, enlarging to 300 dpi, Tesseract's Sauvola.

Writes benchmarks/results/ocr.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from pypdf import PdfReader  # noqa: E402

from corpus.models import RawDocument  # noqa: E402
from corpus.ocr import OcrSettings, PageJob, ocr_page, ocr_pages, pdf_page_image  # noqa: E402
from corpus.ocr.engine import engine_version, find_tessdata  # noqa: E402
from corpus.ocr.layout import Word, arrange, page_text  # noqa: E402
from corpus.ocr.preprocess import prepare  # noqa: E402
from corpus.parser import parse_document  # noqa: E402
from corpus.readers import read_file  # noqa: E402
from ocr_scans import error_counts, render, save_pdf  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402

SAMPLES = sorted(p for p in (REPO / "corpus" / "samples").iterdir() if p.suffix in (".md", ".txt"))
KINDS = {"clean": {"skew": 0.0, "noise": 0.0}, "skewed_noisy": {"skew": 1.5, "noise": 0.3}}
HEADER = ["number", "type_code", "doc_type", "issuer", "place", "issued_date", "subject"]
CLOSING = ["signer_name", "signer_title", "recipients"]
SUBSET = 2  # documents in the binding and settings comparisons


def scan_pdf(sample: Path, dpi: int, kind: str, folder: Path, index: int):
    scan = render(sample.read_text(encoding="utf-8"), dpi=dpi, family="serif" if index % 2 == 0 else "sans",
                  seed=index, **KINDS[kind])
    pdf = save_pdf(scan.pages, folder / f"{sample.stem}-{dpi}-{kind}.pdf", dpi)
    images = [pdf_page_image(page) for page in PdfReader(pdf).pages]
    return scan, pdf, images


class Tally:
    def __init__(self) -> None:
        self.errors: dict[str, list[int]] = {}
        self.seconds = 0.0
        self.pages = 0

    def add(self, reference: str, text: str, seconds: float) -> None:
        for key, (errors, total) in error_counts(reference, text).items():
            acc = self.errors.setdefault(key, [0, 0])
            acc[0] += errors
            acc[1] += total
        self.seconds += seconds
        self.pages += 1

    def result(self) -> dict:
        out = {f"{k}_accuracy" if k != "word_recall" else k: round(1 - e / max(1, t), 4) for k, (e, t) in self.errors.items()}
        out["seconds_per_page"] = round(self.seconds / max(1, self.pages), 3)
        out["pages"] = self.pages
        return out


def metadata_agreement(sample: Path, texts: list[str]) -> dict[str, bool]:
    typed = parse_document(next(read_file(sample))).metadata
    text = "\n\n".join(texts)
    scanned = parse_document(RawDocument(doc_id="scan", source="scan.pdf", format="pdf", text=text)).metadata
    return {name: getattr(typed, name) == getattr(scanned, name) for name in HEADER + CLOSING}


def pipeline(samples: list[Path], folder: Path) -> tuple[dict, dict]:
    results: dict = {}
    throughput: dict = {}
    for dpi in (200, 300):
        for kind in KINDS:
            tally = Tally()
            agree: dict[str, list[bool]] = {}
            jobs = []
            for index, sample in enumerate(samples):
                scan, _, images = scan_pdf(sample, dpi, kind, folder, index)
                texts = []
                for number, (reference, image) in enumerate(zip(scan.references, images), start=1):
                    started = time.perf_counter()
                    page = ocr_page(image)
                    tally.add(reference, page.text, time.perf_counter() - started)
                    texts.append(page.text)
                    jobs.append(PageJob(sample.stem, number, image))
                for name, same in metadata_agreement(sample, texts).items():
                    agree.setdefault(name, []).append(same)
            key = f"{dpi}dpi_{kind}"
            results[key] = tally.result()
            results[key]["metadata_equal"] = {name: f"{sum(v)}/{len(v)}" for name, v in agree.items()}
            header = [same for name in HEADER for same in agree[name]]
            results[key]["header_fields_equal"] = round(sum(header) / len(header), 4)
            print(key, results[key], flush=True)
            if kind == "clean":
                started = time.perf_counter()
                done = sum(1 for _ in ocr_pages(jobs, workers=2))
                throughput[f"{dpi}dpi"] = {"pages": done, "workers": 2,
                                           "pages_per_minute": round(60 * done / (time.perf_counter() - started), 1)}
                print("pool", dpi, throughput[f"{dpi}dpi"], flush=True)
    return results, throughput


def _pytesseract_words(image, dpi: int | None, settings: OcrSettings) -> list[Word]:
    import pytesseract

    data = pytesseract.image_to_data(image, lang=settings.lang, config=f"--psm {settings.psm} --dpi {dpi or 200}",
                                     output_type=pytesseract.Output.DICT)
    words = []
    for i, text in enumerate(data["text"]):
        if text.strip():
            box = (data["left"][i], data["top"][i], data["left"][i] + data["width"][i], data["top"][i] + data["height"][i])
            line = data["block_num"][i] * 10_000 + data["par_num"][i] * 100 + data["line_num"][i]
            words.append(Word(text, box, float(data["conf"][i]), line))
    return words


def bindings(samples: list[Path], folder: Path) -> dict:
    settings = OcrSettings()
    out: dict = {}

    def tesserocr_plain(image):
        from tesserocr import PSM, PyTessBaseAPI

        with PyTessBaseAPI(path=str(find_tessdata()) + "/", lang="vie", psm=PSM.AUTO) as api:
            api.SetImage(image.convert("L"))
            return api.GetUTF8Text()

    def pytesseract_pipeline(image):
        prepared = prepare(image, target_dpi=settings.target_dpi, max_pixels=settings.max_pixels)
        return page_text(arrange(_pytesseract_words(prepared.image, prepared.dpi, settings)))

    def pytesseract_plain(image):
        import pytesseract

        return pytesseract.image_to_string(image.convert("L"), lang="vie", config="--psm 3")

    methods = {
        "tesserocr_pipeline": lambda image: ocr_page(image).text,
        "pytesseract_pipeline": pytesseract_pipeline,
        "tesserocr_plain": tesserocr_plain,
        "pytesseract_plain": pytesseract_plain,
    }
    for kind in KINDS:
        scans = [scan_pdf(sample, 200, kind, folder, index) for index, sample in enumerate(samples)]
        for name, method in methods.items():
            try:
                tally = Tally()
                for scan, _, images in scans:
                    for reference, image in zip(scan.references, images):
                        started = time.perf_counter()
                        text = method(image)
                        tally.add(reference, text, time.perf_counter() - started)
                out.setdefault(name, {})[kind] = tally.result()
            except ImportError as exc:
                out[name] = {"not_installed": str(exc)}
                break
            print(name, kind, out[name].get(kind), flush=True)
        out.setdefault("ocrmypdf", {})
        if "not_installed" not in out["ocrmypdf"]:
            try:
                out["ocrmypdf"][kind] = _ocrmypdf(scans, folder)
            except ImportError as exc:
                out["ocrmypdf"] = {"not_installed": str(exc)}
            print("ocrmypdf", kind, out["ocrmypdf"].get(kind), flush=True)
    return out


def _ocrmypdf(scans, folder: Path) -> dict:
    import ocrmypdf

    from corpus.readers.pdf import read_pdf

    tally = Tally()
    for scan, pdf, _ in scans:
        target = folder / f"{pdf.stem}-ocrmypdf.pdf"
        started = time.perf_counter()
        ocrmypdf.ocr(pdf, target, language="vie", output_type="pdf", optimize=0, jobs=1, progress_bar=False,
                     deskew=True)
        seconds = time.perf_counter() - started
        doc = read_pdf(target, target.name)
        for reference, span in zip(scan.references, doc.pages):
            tally.add(reference, doc.text[span.start:span.end], seconds / len(scan.references))
    return tally.result()


def options(samples: list[Path], folder: Path) -> dict:
    base = OcrSettings()
    variants = {
        "default (vie, psm 3, median 3x3, deskew, 200 dpi)": base,
        "psm 4 (one column)": replace(base, psm=4),
        "psm 6 (one block)": replace(base, psm=6),
        "vie+eng": replace(base, lang="vie+eng"),
        "no median": replace(base, denoise=False),
        "Otsu binarisation": replace(base, binarize=True),
        "no deskew": replace(base, deskew=False),
        "enlarged to 300 dpi": replace(base, target_dpi=300),
        "Tesseract Sauvola threshold": replace(base, variables=(("thresholding_method", "2"),)),
    }
    out: dict = {}
    for kind in KINDS:
        scans = [scan_pdf(sample, 200, kind, folder, index) for index, sample in enumerate(samples)]
        for name, settings in variants.items():
            tally = Tally()
            for scan, _, images in scans:
                for reference, image in zip(scan.references, images):
                    started = time.perf_counter()
                    page = ocr_page(image, settings)
                    tally.add(reference, page.text, time.perf_counter() - started)
            out.setdefault(name, {})[kind] = tally.result()
            print(name, kind, out[name][kind], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two documents only")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "ocr.json")
    args = parser.parse_args()
    samples = SAMPLES[:SUBSET] if args.quick else SAMPLES
    subset = [s for s in SAMPLES if "cv-812" in s.name or "tb-97" in s.name][:SUBSET]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        by_scan, pool = pipeline(samples, folder)
        compared = bindings(subset, folder)
        settings = options(subset, folder)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "engine": engine_version(),
                    "model": str(find_tessdata())},
        "documents": [s.name for s in samples],
        "subset": [s.name for s in subset],
        "kinds": KINDS,
        "pipeline": by_scan,
        "pool": pool,
        "bindings_200dpi": compared,
        "settings_200dpi": settings,
    }
    write_results(args.out, result)


if __name__ == "__main__":
    main()
