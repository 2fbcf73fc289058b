"""Address label sheets: Avery L7159 (3 × 8) and Avery 3653 (2 × 7), A4.

Geometry in millimetres from the sheet's top-left corner, as published by Avery. Each label is
an absolutely positioned box on an A4 page with no page margin, so what prints is exactly where
the die-cut label is. Addresses are formatted to the postal norm first; one that does not fit the
norm is refused before anything is rendered.

>>> AVERY_L7159.labels_per_page, AVERY_3653.labels_per_page
(24, 14)
>>> AVERY_L7159.position(4)  # second row, second column
(73.2, 46.8)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from documents.errors import DocumentError
from documents.postal_address import PostalRecipient, format_address
from documents.profile import CompanyProfile
from documents.rendering import html_to_pdf, render_html


@dataclass(frozen=True)
class LabelSheet:
    name: str
    columns: int
    rows: int
    label_width: float
    label_height: float
    top_margin: float
    left_margin: float
    horizontal_pitch: float  # left edge to next left edge
    vertical_pitch: float  # top edge to next top edge
    page_width: float = 210.0
    page_height: float = 297.0
    padding: float = 3.0  # inner margin so no text is printed on the die-cut edge
    font_size_pt: float = 7.0  # monospaced: 38 characters must fit the inner width

    @property
    def labels_per_page(self) -> int:
        return self.columns * self.rows

    def position(self, index: int) -> tuple[float, float]:
        """(left, top) in mm of the label at `index` on its page (row-major order)."""
        slot = index % self.labels_per_page
        row, column = divmod(slot, self.columns)
        return (
            round(self.left_margin + column * self.horizontal_pitch, 2),
            round(self.top_margin + row * self.vertical_pitch, 2),
        )

    def check_fits_page(self) -> None:
        right = self.left_margin + (self.columns - 1) * self.horizontal_pitch + self.label_width
        bottom = self.top_margin + (self.rows - 1) * self.vertical_pitch + self.label_height
        if right > self.page_width + 0.01 or bottom > self.page_height + 0.01:
            raise DocumentError(
                f"Planche {self.name} : les étiquettes débordent de la page.",
                f"Sheet {self.name}: labels overflow the page.",
            )


# Avery L7159: 63.5 × 33.9 mm, 3 columns × 8 rows, top margin 12.9 mm, side margin 7.2 mm,
# 2.5 mm gap between columns, no gap between rows.
AVERY_L7159 = LabelSheet("Avery L7159", 3, 8, 63.5, 33.9, 12.9, 7.2, 66.0, 33.9)
# Avery 3653: 105 × 42.3 mm, 2 columns × 7 rows, edge to edge (0.45 mm top and bottom margin).
AVERY_3653 = LabelSheet("Avery 3653", 2, 7, 105.0, 42.3, 0.45, 0.0, 105.0, 42.3, padding=6.0,
                        font_size_pt=10.0)
SHEETS = {"L7159": AVERY_L7159, "3653": AVERY_3653}


def label_pages(
    recipients: Sequence[PostalRecipient], sheet: LabelSheet, skip: int = 0
) -> list[list[dict[str, object]]]:
    """Pages of positioned labels; `skip` leaves the first labels of a used sheet empty."""
    if not 0 <= skip < sheet.labels_per_page:
        raise DocumentError(
            f"Nombre d'étiquettes à sauter invalide : {skip}.", f"Invalid labels to skip: {skip}."
        )
    sheet.check_fits_page()
    formatted = [format_address(r) for r in recipients]  # refuses before rendering anything
    pages: list[list[dict[str, object]]] = []
    for offset, lines in enumerate(formatted, start=skip):
        if offset % sheet.labels_per_page == 0 or not pages:
            pages.append([])
        left, top = sheet.position(offset)
        pages[-1].append({"left": left, "top": top, "lines": lines})
    return pages


def render_labels(
    recipients: Sequence[PostalRecipient],
    sheet: LabelSheet,
    profile: CompanyProfile,
    skip: int = 0,
) -> bytes:
    if not recipients:
        raise DocumentError("Aucune adresse à imprimer.", "No address to print.")
    context = {"sheet": sheet, "pages": label_pages(recipients, sheet, skip)}
    return html_to_pdf(render_html("labels.html", context, profile=profile))
