"""Writing cells so that a spreadsheet shows what was typed, never runs it.

Every xlsx the service produces writes its rows through ``append_row``. Two things in user text would
otherwise bite whoever downloads the file:

- openpyxl stores any string starting with "=" as a formula, and Excel/WPS evaluate formulas on open:
  ``=HYPERLINK(...)`` can send the sheet's contents to another site, DDE-style formulas can start
  programs. "+", "-", "@", tab and CR start formulas too once a user edits the cell (OWASP's list).
- openpyxl refuses control characters outright (``IllegalCharacterError``), so one declaration with a
  stray \\x0b in it would turn the whole city's download into a 500.

So every string is written as a text cell, and one that starts like a formula also gets Excel's own
"quote prefix" flag: the cell shows exactly the applicant's text (a phone number "+86 431 …" stays
readable and sorts as typed), and Excel, WPS and LibreOffice keep it text even when someone edits it.
Prefixing the value itself with an apostrophe would have shown a stray "'" in every such cell and
changed the data people copy out of the sheet.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_TYPES = (bool, int, float, Decimal, datetime, date, time)


def cell_text(value) -> str:
    """``value`` as the text a cell may hold: control characters openpyxl cannot store removed."""
    if isinstance(value, (list, tuple)):
        value = "、".join(str(item) for item in value if item is not None)
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def text_cell(sheet, value) -> Cell:
    """A cell holding ``value``: numbers, dates and booleans as they are, anything else as inert text."""
    if value is None or isinstance(value, PLAIN_TYPES):
        return Cell(sheet, value=value)
    text = cell_text(value)
    cell = Cell(sheet)
    cell.value = text
    cell.data_type = "s"  # set after the value: openpyxl would have marked "=..." a formula
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def append_row(sheet, values) -> None:
    """Append one row of ``values`` to ``sheet``, every cell written by ``text_cell``."""
    sheet.append([text_cell(sheet, value) for value in values])
