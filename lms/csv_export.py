"""CSV downloads that Excel in Japan opens correctly: UTF-8 with a byte-order mark, streamed in batches."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

BOM = "\ufeff"
BATCH_SIZE = 500  # rows written to the response at a time
# A cell that starts like this is run as a formula by spreadsheets ("CSV injection"): names and free text are
# typed by people, so such a cell gets a leading apostrophe, which Excel shows as plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A value as CSV text: None is empty; text that a spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


def encode(rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def _batches(rows: Iterable[Sequence], size: int) -> Iterator[bytes]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield encode(batch)
            batch = []
    if batch:
        yield encode(batch)


def csv_response(header: Sequence[str], rows: Iterable[Sequence], filename: str,
                 batch_size: int = BATCH_SIZE) -> Response:
    """A streamed CSV download. ``rows`` may be a lazy generator that reads the database as it goes.

    Call it from a view: the rows are produced inside the request's contexts (and database session) while the
    response is sent. ``filename`` must be ASCII (it goes into a header unquoted).
    """
    body_rows = stream_with_context(_batches(rows, batch_size))

    def body():
        # The byte-order mark makes Excel read UTF-8 (and so Japanese) correctly. It and the header go out before
        # any row is produced, outside the streamed contexts; closing the response closes ``body_rows`` too.
        yield BOM.encode("utf-8") + encode([header])
        yield from body_rows

    return Response(body(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}",
                             "Cache-Control": "no-store"})
