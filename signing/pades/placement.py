"""Where a visible signature box goes: data passed in by the caller, never guessed here."""

from __future__ import annotations

from dataclasses import dataclass

from signing.pades.errors import PadesError


@dataclass(frozen=True)
class SignatureBox:
    """A rectangle in PDF points (origin bottom-left); page -1 is the last page."""

    x1: int
    y1: int
    x2: int
    y2: int
    page: int = -1

    def __post_init__(self) -> None:
        if self.x2 <= self.x1 or self.y2 <= self.y1:
            raise PadesError(
                "Cadre de signature invalide : x2 > x1 et y2 > y1 sont requis.",
                "Invalid signature box: x2 > x1 and y2 > y1 are required.",
            )

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return (self.x1, self.y1, self.x2, self.y2)


def boxes_in_a_row(
    count: int,
    *,
    left: int = 50,
    bottom: int = 60,
    width: int = 160,
    height: int = 60,
    gap: int = 20,
    page: int = -1,
) -> list[SignatureBox]:
    """A simple default layout: one box per signer side by side at the bottom of a page."""
    return [
        SignatureBox(
            left + i * (width + gap),
            bottom,
            left + i * (width + gap) + width,
            bottom + height,
            page,
        )
        for i in range(count)
    ]
