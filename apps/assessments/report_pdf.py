"""The Pro report as a PDF, drawn with matplotlib's PDF backend (already installed for
MediaPipe; no extra PDF library)."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure


def render(*, title: str, sections: list[tuple[str, list[str]]]) -> bytes:
    """A4 pages of headed sections of lines; wraps long lines and continues on new pages."""
    buffer = io.BytesIO()
    lines: list[tuple[str, str]] = [("title", title)]
    for heading, rows in sections:
        lines.append(("heading", heading))
        for row in rows or ["—"]:
            for part in textwrap.wrap(row, 95) or [""]:
                lines.append(("text", part))
    with PdfPages(buffer) as pdf:
        per_page = 52
        for start in range(0, len(lines), per_page):
            figure = Figure(figsize=(8.27, 11.69))
            y = 0.95
            for kind, text in lines[start : start + per_page]:
                size, weight = {"title": (16, "bold"), "heading": (12, "bold")}.get(
                    kind, (9, "normal")
                )
                figure.text(0.07, y, text, fontsize=size, fontweight=weight, va="top")
                y -= 0.03 if kind != "text" else 0.017
            pdf.savefig(figure)
    return buffer.getvalue()
