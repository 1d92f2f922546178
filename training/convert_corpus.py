"""Reports as other tools convert them: real documents made from each report, their text taken back with
the converters people use, the gold grid kept beside every text.

Sources: synthetic reports of the held-out agency pool (every layout family), the real seed reports with
their gold grids (tests/gold) and the real reports of ``../shared/real`` (saved web pages with gold). Each
becomes real documents: synthetic and seed texts a Word file with bordered tables and its PDF
(LibreOffice); a real page the HTML itself and its PDF printed by headless Chromium (LibreOffice when
Chromium is absent). The converters then read those documents (``CONVERTERS``): poppler ``pdftotext`` in
default and ``-layout`` modes, pdfminer.six, pdfplumber, pypdf, markitdown (PDF and HTML; its DOCX
converter failed on every Word file here, LibreOffice's and python-docx's alike, so it is left out),
tesseract (``chi_sim``, page-segmentation modes 4 and 6, pages rendered at 200 dpi), rapidocr's lines in
reading order, LibreOffice's plain-text save of the DOCX, html2text, the page's ``innerText`` in headless
Chromium, and the raw HTML saved as a ``.txt`` file (a crawler's dump).

One JSON Lines file per converter, ``<out>/<converter>.jsonl``; each record holds ``id``, ``set``
(``synth``, ``seed`` or ``real``), ``converter``, ``template``, ``layout``, ``text`` and ``flat`` (the
gold grid); synthetic records also ``source_text`` and ``source_spans`` (the generator's text and labels),
from which ``training.ocr_align`` carries the labels onto the converted text for training. The real
reports' text stays in the output folder (git-ignored ``data/``), never in the project. Everything is
drawn from fixed seeds.

    python -m training.convert_corpus --out data/convert --n 12 --seed 91001
    python -m training.convert_bench --corpus data/convert          # the benchmark on it
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOL_TIMEOUT_S = 300
OCR_DPI = 200
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass(frozen=True)
class Source:
    """A report to convert: its text (synthetic, seed) or saved page (real), and its gold grid."""

    id: str
    set: str
    template: str
    layout: str
    flat: dict[str, Any]
    text: str = ""
    page: Path | None = None
    spans: tuple[tuple[int, int, str], ...] = ()  # synthetic only: the generator's labels on ``text``


@dataclass
class Documents:
    """The documents made from one source (absent kinds are None)."""

    pdf: Path | None = None
    docx: Path | None = None
    html: Path | None = None


def _run(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(cmd), capture_output=True, timeout=TOOL_TIMEOUT_S, check=True, **kwargs)


# --- converters: a document's path in, its text out ---------------------------------------------------


def pdftotext(path: Path, layout: bool = False) -> str:
    """poppler's ``pdftotext`` (default reading-order mode, or ``-layout``)."""
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return _run(args).stdout.decode("utf-8")


def pdfminer_text(path: Path) -> str:
    """pdfminer.six ``extract_text``."""
    from pdfminer.high_level import extract_text

    return str(extract_text(str(path)))


def pdfplumber_text(path: Path) -> str:
    """pdfplumber ``page.extract_text()`` per page, pages joined by a newline."""
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def pypdf_text(path: Path) -> str:
    """pypdf ``page.extract_text()`` per page."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def markitdown_text(path: Path) -> str:
    """markitdown's Markdown of a PDF, DOCX or HTML file."""
    from markitdown import MarkItDown

    return str(MarkItDown().convert(str(path)).text_content)


def _page_images(path: Path, workdir: Path) -> list[Path]:
    prefix = workdir / f"{path.stem}-page"
    _run(["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", str(path), str(prefix)])
    return sorted(workdir.glob(f"{path.stem}-page*.png"))


def tesseract_text(path: Path, psm: int) -> str:
    """tesseract ``chi_sim`` on each page rendered at ``OCR_DPI``, with page-segmentation mode ``psm``."""
    with tempfile.TemporaryDirectory(prefix="gxie-tess-") as tmp:
        pages = _page_images(path, Path(tmp))
        return "\n".join(
            _run(["tesseract", str(p), "-", "-l", "chi_sim", "--psm", str(psm)]).stdout.decode("utf-8") for p in pages
        )


def rapidocr_text(path: Path) -> str:
    """rapidocr's recognized lines in reading order: boxes grouped into lines by their vertical centre,
    left to right, joined by a space (no table rebuilding: what a plain OCR pipeline leaves)."""
    from rapidocr import RapidOCR

    engine = RapidOCR()
    out = []
    with tempfile.TemporaryDirectory(prefix="gxie-rocr-") as tmp:
        for page in _page_images(path, Path(tmp)):
            result: Any = engine(str(page))  # a RapidOCROutput: boxes and txts, both None on a blank page
            boxes = [] if result.boxes is None else list(zip(result.boxes, result.txts, strict=True))
            out.append(_reading_order(boxes))
    return "\n".join(out)


def _reading_order(boxes: Sequence[tuple[Any, str]]) -> str:
    placed = sorted(
        (
            (
                float(sum(p[1] for p in b) / 4),
                float(min(p[0] for p in b)),
                float(max(p[1] for p in b) - min(p[1] for p in b)),
                t,
            )
            for b, t in boxes
        ),
    )
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in placed:
        if lines and abs(box[0] - sum(b[0] for b in lines[-1]) / len(lines[-1])) < 0.5 * max(box[2], 1.0):
            lines[-1].append(box)
        else:
            lines.append([box])
    return "\n".join(" ".join(t for _, _, _, t in sorted(line, key=lambda b: b[1])) for line in lines)


def soffice_txt(path: Path) -> str:
    """LibreOffice's plain-text save of a DOCX (what Word's "Save as plain text" gives)."""
    with tempfile.TemporaryDirectory(prefix="gxie-txt-") as tmp:
        _run(["soffice", "--headless", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", tmp, str(path)])
        return (Path(tmp) / f"{path.stem}.txt").read_text(encoding="utf-8-sig")


def html2text_text(path: Path) -> str:
    """html2text's Markdown-ish text of a saved page."""
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    return str(converter.handle(path.read_text(encoding="utf-8", errors="replace")))


def chromium_inner_text(path: Path) -> str:
    """The page's ``document.body.innerText`` in headless Chromium (what a browser's select-all copies)."""
    exe = _chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    page = path.read_text(encoding="utf-8", errors="replace")
    hook = (
        "<script>window.addEventListener('load',function(){var t=document.body.innerText;"
        "document.body.textContent='';var p=document.createElement('pre');p.id='gxie-inner';"
        "p.textContent=t;document.body.appendChild(p);});</script>"
    )
    with tempfile.TemporaryDirectory(prefix="gxie-chrome-") as tmp:
        wrapped = Path(tmp) / "page.html"
        wrapped.write_text(page + hook, encoding="utf-8")
        dom = _run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--dump-dom", wrapped.as_uri()]).stdout
    text = dom.decode("utf-8")
    start = text.find('<pre id="gxie-inner">')
    end = text.find("</pre>", start)
    if start < 0 or end < 0:
        raise RuntimeError("chromium's DOM dump has no innerText block")
    return html.unescape(text[start + len('<pre id="gxie-inner">') : end])


def raw_html(path: Path) -> str:
    """The saved page's HTML itself, as a crawler stores it in a ``.txt`` file."""
    return path.read_text(encoding="utf-8", errors="replace")


# name -> (the document kind it reads, function)
CONVERTERS: dict[str, tuple[str, Callable[[Path], str]]] = {
    "pdftotext": ("pdf", pdftotext),
    "pdftotext_layout": ("pdf", lambda p: pdftotext(p, layout=True)),
    "pdfminer": ("pdf", pdfminer_text),
    "pdfplumber": ("pdf", pdfplumber_text),
    "pypdf": ("pdf", pypdf_text),
    "markitdown_pdf": ("pdf", markitdown_text),
    "tesseract_psm6": ("pdf", lambda p: tesseract_text(p, 6)),
    "tesseract_psm4": ("pdf", lambda p: tesseract_text(p, 4)),
    "rapidocr_lines": ("pdf", rapidocr_text),
    "soffice_txt": ("docx", soffice_txt),
    "html2text": ("html", html2text_text),
    "markitdown_html": ("html", markitdown_text),
    "chromium_innertext": ("html", chromium_inner_text),
    "html_as_txt": ("html", raw_html),
}
OCR_CONVERTERS = ("tesseract_psm6", "tesseract_psm4", "rapidocr_lines")


# --- sources and documents ---------------------------------------------------------------------------


def synth_sources(n: int, seed: int, pool: str = "heldout") -> list[Source]:
    """``n`` synthetic reports of agency ``pool`` (``heldout`` for benchmarks, ``train`` for training data),
    every layout family, clean or Traditional."""
    from gxie.training.synth import LAYOUT_FAMILIES, generate

    reports = generate(n, seed, layouts=LAYOUT_FAMILIES, noise_levels=("clean", "traditional"), agency_pool=pool)
    return [
        Source(
            r.id,
            "synth",
            r.template,
            r.layout,
            dict(r.flat),
            text=r.text,
            spans=tuple((s.start, s.end, s.label) for s in r.spans),
        )
        for r in reports
    ]


def seed_sources() -> list[Source]:
    """The real seed reports with a gold grid (read from ../shared/seeds at run time)."""
    from training.ocr_corpus import seed_sources as seeds

    return [Source(s.id, "seed", s.template, "seed", dict(s.flat), text=s.text) for s in seeds()]


def real_sources() -> list[Source]:
    """The real reports of ../shared/real (saved web pages with gold)."""
    from training.real_reports import real_reports

    return [Source(r.id, "real", r.template, "html", r.flat, page=r.path) for r in real_reports()]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def print_pdf(page: Path, out: Path) -> Path:
    """A saved page printed to PDF by headless Chromium (LibreOffice's HTML import when it is absent)."""
    exe = _chromium()
    if exe is not None:
        with tempfile.TemporaryDirectory(prefix="gxie-chrome-") as tmp:
            _run(
                [
                    exe,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={tmp}",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={out}",
                    page.resolve().as_uri(),
                ]
            )
        return out
    with tempfile.TemporaryDirectory(prefix="gxie-lo-") as tmp:
        _run(["soffice", "--headless", "--convert-to", "pdf:writer_web_pdf_Export", "--outdir", tmp, str(page)])
        shutil.move(str(Path(tmp) / f"{page.stem}.pdf"), out)
    return out


def make_documents(sources: Sequence[Source], workdir: Path) -> list[Documents]:
    """The documents of every source (one LibreOffice call for all the texts)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.makefiles import docx_to_pdfs, write_docx

    docs = [Documents() for _ in sources]
    texts = [(i, s) for i, s in enumerate(sources) if s.page is None]
    docx = [write_docx(s.text, workdir / f"{s.id}.docx") for _, s in texts]
    pdf_dir = workdir / "pdf"
    pdf_dir.mkdir(exist_ok=True)
    for (i, _), d, p in zip(texts, docx, docx_to_pdfs(docx, pdf_dir) if docx else [], strict=True):
        docs[i].docx, docs[i].pdf = d, p
    for i, s in enumerate(sources):
        if s.page is not None:
            docs[i].html = s.page
            docs[i].pdf = print_pdf(s.page, workdir / f"{s.id}.pdf")
    return docs


def convert(source: Source, documents: Documents, names: Sequence[str]) -> list[dict[str, Any]]:
    """One record per converter of ``names`` that reads a document this source has."""
    out = []
    for name in names:
        kind, function = CONVERTERS[name]
        path = getattr(documents, kind)
        if path is None:
            continue
        start = time.perf_counter()
        try:
            text = function(path)
        except Exception as exc:  # one converter failing on one document is a finding, not the end of the run
            print(f"  {name} failed on {source.id}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
            continue
        record = {
            "id": source.id,
            "set": source.set,
            "converter": name,
            "template": source.template,
            "layout": source.layout,
            "seconds": round(time.perf_counter() - start, 3),
            "text": text,
            "flat": source.flat,
        }
        if source.spans:  # what training.ocr_align needs to carry the labels onto the converted text
            record.update(source_text=source.text, source_spans=[list(s) for s in source.spans])
        out.append(record)
    return out


def build(out: Path, sources: Sequence[Source], names: Sequence[str]) -> dict[str, int]:
    """Make the documents, run the converters, write ``<out>/<converter>.jsonl``; records per converter."""
    out.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(names, 0)
    files = {name: (out / f"{name}.jsonl").open("w", encoding="utf-8") for name in names}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="gxie-convert-") as tmp:
            documents = make_documents(sources, Path(tmp))
            for done, (source, docs) in enumerate(zip(sources, documents, strict=True), 1):
                for record in convert(source, docs, names):
                    files[record["converter"]].write(json.dumps(record, ensure_ascii=False) + "\n")
                    counts[record["converter"]] += 1
                elapsed = time.perf_counter() - started
                print(f"[{done}/{len(sources)}] {source.id} ({elapsed:.0f} s)", file=sys.stderr, flush=True)
    finally:
        for handle in files.values():
            handle.close()
    return counts


def read_corpus(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """``{converter: records}`` of a folder built by ``build``, converters in ``CONVERTERS`` order."""
    out = {}
    for name in CONVERTERS:
        path = folder / f"{name}.jsonl"
        if path.is_file():
            out[name] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.convert_corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for <converter>.jsonl")
    parser.add_argument("--n", type=int, default=12, help="synthetic reports (held-out agencies)")
    parser.add_argument("--seed", type=int, default=91001)
    parser.add_argument(
        "--pool", choices=("heldout", "train"), default="heldout", help="agency pool of the synthetic reports"
    )
    parser.add_argument("--converters", nargs="+", choices=list(CONVERTERS), default=list(CONVERTERS))
    parser.add_argument("--no-seeds", action="store_true", help="leave out the seed reports")
    parser.add_argument("--no-real", action="store_true", help="leave out the real reports of ../shared/real")
    args = parser.parse_args(argv)
    sources = synth_sources(args.n, args.seed, args.pool) if args.n else []
    sources += [] if args.no_seeds else seed_sources()
    sources += [] if args.no_real else real_sources()
    counts = build(args.out, sources, args.converters)
    for name, count in counts.items():
        print(f"{name}: {count} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
