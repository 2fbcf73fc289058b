"""Path parameters shared by the pages and the API: database ids within the INTEGER range."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2_147_483_647  # INTEGER primary keys; a larger id is a 422, never a database error

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
CustomerNumber = Annotated[str, Path(min_length=1, max_length=20)]
