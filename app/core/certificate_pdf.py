"""The certificate as a one-page PDF (fpdf2).

Pure: takes plain values and returns the PDF bytes. Names are printed with DejaVu Sans
when the font is installed (Debian's ``fonts-dejavu-core``), so any script prints; without
it the built-in Helvetica is used and characters outside Latin-1 become ``?``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from app.core.safe_text import strip_bidi

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
NAVY = (22, 43, 72)
TEAL = (0, 110, 120)
GREY = (90, 90, 90)
RED = (170, 20, 20)
QR_SIZE = 34.0  # mm


@dataclass(frozen=True)
class CertificateInfo:
    holder: str
    agency: str
    track: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    code: str
    verify_url: str  # the public verification address (a path when no site URL is set)
    status: str = "valid"  # valid | expired | revoked


def _font_files() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def _date(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return f"{value.day} {value:%B %Y}"


class _Page:
    def __init__(self) -> None:
        self.pdf = FPDF(orientation="L", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_title("Certificate")
        self.pdf.set_author("CallScreen Academy")
        self.pdf.add_page()
        fonts = _font_files()
        if fonts:
            self.pdf.add_font("Body", "", str(fonts[0]))
            self.pdf.add_font("Body", "B", str(fonts[1]))
            self.family, self.unicode = "Body", True
        else:
            self.family, self.unicode = "Helvetica", False

    def text(self, value: str) -> str:
        value = " ".join(strip_bidi(str(value)).split())
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def line(self, value: str, *, size: float, y: float, bold: bool = False, color=NAVY) -> None:
        pdf = self.pdf
        pdf.set_font(self.family, "B" if bold else "", size)
        pdf.set_text_color(*color)
        # Shrink long names or titles so they stay on one line inside the frame.
        while size > 9 and pdf.get_string_width(self.text(value)) > pdf.w - 60:
            size -= 1
            pdf.set_font(self.family, "B" if bold else "", size)
        pdf.set_xy(20, y)
        pdf.cell(pdf.w - 40, size * 0.5, self.text(value), align="C")


def is_absolute(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR code of ``data`` as rows of dark (True) and light modules, without the
    quiet zone (error correction M: a scuffed print still reads)."""
    code = segno.make_qr(data, error="m", boost_error=False)
    return [[bool(cell) for cell in row] for row in code.matrix]


def draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares in a ``size`` mm square at (x, y); runs of dark
    modules in a row are one rectangle. The page around it is white (the quiet zone)."""
    rows = qr_matrix(data)
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x - 4 * module, y - 4 * module, size + 8 * module, size + 8 * module, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


def render_certificate_pdf(info: CertificateInfo) -> bytes:
    """One landscape A4 page: holder, agency, track, dates, verification code and address,
    and a QR code of the address when it is absolute (the ``PUBLIC_URL`` setting)."""
    page = _Page()
    pdf = page.pdf
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.6)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_draw_color(*TEAL)
    pdf.set_line_width(0.5)
    pdf.rect(14, 14, pdf.w - 28, pdf.h - 28)

    page.line("CallScreen Academy", size=14, y=26, bold=True, color=TEAL)
    page.line("Certificate of competence", size=30, y=40, bold=True)
    page.line("This certifies that", size=13, y=62, color=GREY)
    page.line(info.holder, size=28, y=74, bold=True)
    page.line(info.agency, size=15, y=92, color=GREY)
    page.line("has met every requirement of the certification track", size=13, y=106, color=GREY)
    page.line(info.track, size=20, y=117, bold=True, color=TEAL)
    page.line(
        f"Issued {_date(info.issued_at)}  ·  Valid until {_date(info.expires_at)}",
        size=13,
        y=135,
    )

    # The verification box, with a QR code of the verify address beside it when the
    # address is absolute (a phone cannot open a bare path).
    box_w, box_h = 180, 30
    x, y = (pdf.w - box_w) / 2, 150
    pdf.set_fill_color(240, 246, 248)
    pdf.set_draw_color(*TEAL)
    pdf.set_line_width(0.4)
    pdf.rect(x, y, box_w, box_h, style="DF")
    page.line("Verification code", size=10, y=y + 4, color=GREY)
    page.line(info.code, size=20, y=y + 11, bold=True)
    page.line(f"Check it at {info.verify_url}", size=10, y=y + 22, color=GREY)
    if is_absolute(info.verify_url):
        qr_x = x + box_w + 5
        draw_qr(pdf, info.verify_url, x=qr_x, y=y - 4, size=QR_SIZE)
        pdf.set_font(page.family, "", 8)
        pdf.set_text_color(*GREY)
        pdf.set_xy(qr_x, y - 4 + QR_SIZE + 1)
        pdf.cell(QR_SIZE, 3, page.text("Scan to check"), align="C")

    if info.status != "valid":
        page.line(
            f"This certificate is {info.status.upper()}.",
            size=14,
            y=pdf.h - 26,
            bold=True,
            color=RED,
        )
    return bytes(pdf.output())
