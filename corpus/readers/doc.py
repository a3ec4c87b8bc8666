"""Word 97–2003 ``.doc`` files, converted by LibreOffice to DOCX and read like one.

LibreOffice (``soffice --headless --convert-to docx``, Debian's
``libreoffice-writer-nogui``) keeps what the DOCX reader uses: paragraphs,
tables, list numbers, bold, heading styles and the fonts that mark TCVN3/VNI
text, so a ``.doc`` parses to the same metadata and passages as the same
document saved as ``.docx``; it also opens the RTF and HTML files often saved
with a ``.doc`` name. It costs about a second a file (a fresh LibreOffice
process and profile each time, so parallel readers never share one).

Without LibreOffice, ``antiword`` (Debian's ``antiword``, well under 1 MB)
gives the text alone, in milliseconds: paragraphs and table rows, but no list
numbers, bold or headings (fewer sections and different passages), and it
drops the soft-hyphen byte TCVN3 uses for "ư". The document is then read with
a warning saying so. Without either, the file gets a ``doc_unsupported`` error
naming the packages, and every other file is still indexed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from pathlib import Path

from corpus import legacy_text
from corpus.models import DocumentReadError, RawDocument

from .docx import read_docx
from .files import empty_file, file_mtime
from .limits import ReadSettings, check_text, read_capped, too_many_bytes

LIBREOFFICE_PACKAGE = "libreoffice-writer-nogui"
ANTIWORD_PACKAGE = "antiword"
# A long report converts in a few seconds; a file that takes minutes is stuck (or hostile).
CONVERT_TIMEOUT_S = 120
_WORK_NAME = "document"  # the copy LibreOffice converts; never the user's own file name in its command line
_CELL = " | "
# What a file named ".doc" really is: Word 97–2003 (an OLE2 compound file), or the RTF, DOCX or HTML that
# other programs save under that name. Anything else LibreOffice would import as plain text, garbage and all.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_STARTS = (b"{\\rtf", b"PK\x03\x04", b"<")


def read_doc(path: Path, doc_id: str, settings: ReadSettings = ReadSettings()) -> RawDocument:
    data = read_capped(path, settings.max_bytes, too_many_bytes(path, settings))
    if not data:
        raise empty_file(path)
    if not _looks_like_document(data):
        raise _corrupt(path, "không nhận ra định dạng")
    soffice = find_program("soffice") or find_program("libreoffice")
    if soffice is not None:
        raw = _with_libreoffice(soffice, path, data, doc_id, settings)
    elif (antiword := find_program("antiword")) is not None:
        raw = _with_antiword(antiword, path, data, doc_id, settings)
    else:
        raise DocumentReadError(
            str(path),
            "doc_unsupported",
            "Chưa đọc được tệp Word 97–2003 (.doc): máy chưa cài LibreOffice. Cài gói "
            f"{LIBREOFFICE_PACKAGE} (ví dụ: sudo apt-get install -y --no-install-recommends {LIBREOFFICE_PACKAGE}), "
            f"hoặc gói {ANTIWORD_PACKAGE} để chỉ lấy chữ; các tệp khác vẫn được lập chỉ mục.",
        )
    raw.source, raw.format, raw.mtime = str(path), "doc", file_mtime(path)
    return raw


def find_program(name: str) -> str | None:
    """The converter's path on PATH, or None (tests replace this to take a converter away)."""
    return shutil.which(name)


def _with_libreoffice(soffice: str, path: Path, data: bytes, doc_id: str, settings: ReadSettings) -> RawDocument:
    with tempfile.TemporaryDirectory(prefix="vanban-doc-") as tmp:
        work = Path(tmp)
        source = work / f"{_WORK_NAME}.doc"
        source.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless", "--norestore", "--nologo", "--nolockcheck",
            "--convert-to", "docx:MS Word 2007 XML",
            "--outdir", str(work / "out"),
            str(source),
        ]  # fmt: skip
        code, _, err = _run(path, command)
        converted = work / "out" / f"{_WORK_NAME}.docx"
        if not converted.is_file():
            detail = err.decode("utf-8", "replace").strip().splitlines()
            raise _corrupt(path, detail[-1] if detail else f"LibreOffice trả mã {code}")
        try:
            return read_docx(converted, doc_id, settings)
        except DocumentReadError as exc:
            raise DocumentReadError(str(path), exc.code, exc.message.replace(converted.name, path.name)) from None


def _with_antiword(antiword: str, path: Path, data: bytes, doc_id: str, settings: ReadSettings) -> RawDocument:
    with tempfile.TemporaryDirectory(prefix="vanban-doc-") as tmp:
        source = Path(tmp) / f"{_WORK_NAME}.doc"
        source.write_bytes(data)
        # -w 0: one line per paragraph, never wrapped.
        code, out, err = _run(path, [antiword, "-m", "UTF-8.txt", "-w", "0", str(source)])
    if code != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise _corrupt(path, (detail[-1] if detail else f"antiword trả mã {code}").replace(str(source), path.name))
    text = antiword_text(out.decode("utf-8", "replace"))
    warnings = [
        "Đọc bằng antiword vì máy chưa cài LibreOffice: mất số thứ tự danh sách, chữ đậm và tiêu đề nên mục và "
        f"đoạn trích có thể khác bản gốc; cài gói {LIBREOFFICE_PACKAGE} để đọc đầy đủ."
    ]
    found = legacy_text.detect(text)
    if found is not None:
        text = legacy_text.to_unicode(text, found.encoding)
        warnings.append(legacy_text.warning(found.encoding))
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise empty_file(path)
    check_text(path, text, settings)
    return RawDocument(doc_id=doc_id, source=str(path), format="doc", text=text, warnings=warnings)


def _looks_like_document(data: bytes) -> bool:
    if data.startswith(_OLE2):
        return True
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_OTHER_STARTS)


def antiword_text(output: str) -> str:
    """antiword's text output as the readers write text: paragraphs apart by a blank line, table cells by " | "."""
    paragraphs = []
    for line in output.splitlines():
        line = line.strip()
        if not line or line == "[pic]":
            continue
        if len(line) > 1 and line.startswith("|") and line.endswith("|"):
            line = _CELL.join(cell.strip() for cell in line[1:-1].split("|")).strip()
        paragraphs.append(line)
    return "\n\n".join(paragraphs)


def _run(path: Path, command: list[str]) -> tuple[int, bytes, bytes]:
    """Run a converter in its own process group, killed whole past the time limit (LibreOffice forks)."""
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    except OSError as exc:
        raise _corrupt(path, f"không chạy được {Path(command[0]).name}: {exc.strerror or exc}") from exc
    try:
        out, err = process.communicate(timeout=CONVERT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise DocumentReadError(
            str(path), "doc_timeout", f"Chuyển tệp .doc quá {CONVERT_TIMEOUT_S} giây, bỏ qua (tệp quá lớn hoặc hỏng)"
        ) from None
    return process.returncode, out, err


def _corrupt(path: Path, detail: str) -> DocumentReadError:
    return DocumentReadError(
        str(path), "corrupt_doc", f"Tệp .doc bị hỏng, có mật khẩu hoặc không phải văn bản Word 97–2003 ({detail})"
    )
