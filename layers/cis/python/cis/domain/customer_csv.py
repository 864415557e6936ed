"""A customer as one CSV row and back: which columns hold which field, derived from CustomerFields.

Each field's traits (domain.traits) say how a row holds it: a column of text, a cell of items
separated by ';', a column per key (external_id.billing), or the first postal address spread over
its parts. Imports read rows with this layout and exports write them, so an export imports back
(a cell the export neutralised for spreadsheets is read back without its quote: domain.csv_cells).
"""

from __future__ import annotations

from pydantic import BaseModel

from cis.domain.contact import PostalAddress
from cis.domain.csv_cells import revived
from cis.domain.customer import CustomerFields
from cis.domain.traits import AddressColumns, CsvShape, ItemsCell, KeyedColumns, ScalarColumn, traits_of

LIST_SEPARATOR = ";"  # several emails, phones or tags in one cell
ADDRESS_LINES = ("address_line1", "address_line2")  # the second holds every line after the first
# The label is left out: one `label` column could not say whose label it is.
ADDRESS_PARTS = tuple(name for name in PostalAddress.model_fields if name not in ("lines", "label"))
SERVER_COLUMNS = ("id", "status", "version", "created_at", "updated_at")  # set by the server: imports skip them
EXPORTED_SERVER_COLUMNS = tuple(name for name in SERVER_COLUMNS if name != "version")


def fixed_columns(shape: CsvShape) -> tuple[str, ...]:
    """The columns a field always has; a map's columns are named by its keys instead."""
    if isinstance(shape, ScalarColumn | ItemsCell):
        return (shape.column,)
    if isinstance(shape, AddressColumns):
        return (*ADDRESS_LINES, *ADDRESS_PARTS)
    return ()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


class CsvLayout:
    """The CSV columns of a model's fields, and rows to records and back."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.shapes: dict[str, CsvShape] = {name: traits.csv for name, traits in traits_of(model).items()}
        owners = [(column, name) for name, shape in self.shapes.items() for column in fixed_columns(shape)]
        self.columns = tuple(column for column, _ in owners)
        self.prefixes = tuple(shape.prefix for shape in self.shapes.values() if isinstance(shape, KeyedColumns))
        self._owners = dict(owners)
        if len(self._owners) != len(owners) or set(self.columns) & set(SERVER_COLUMNS):
            raise TypeError(f"two fields of {model.__name__} claim one CSV column: {self.columns}")

    def field_of(self, column: str) -> str | None:
        """The field a column (as the layout names it) holds, or None."""
        if column in self._owners:
            return self._owners[column]
        return next(
            (
                name
                for name, shape in self.shapes.items()
                if isinstance(shape, KeyedColumns) and column.startswith(shape.prefix)
            ),
            None,
        )

    def to_record(self, values: dict[str, str], targets: dict[str, str]) -> tuple[dict, dict[str, str]]:
        """The row's fields as a client would POST them, and for each field path the CSV column it came from.

        values: CSV column -> text; targets: CSV column -> the layout's column it holds (after any mapping).
        """
        record: dict = {}
        origin: dict[str, str] = {}
        addresses: dict[str, dict[str, str]] = {}
        for column, target in targets.items():
            value = revived((values.get(column) or "").strip())
            name = self.field_of(target)
            if not value or name is None:
                continue
            shape = self.shapes[name]
            if isinstance(shape, ScalarColumn):
                record[name], origin[name] = value, column
            elif isinstance(shape, ItemsCell):
                items = _split(value)
                record[name] = [{shape.item_key: item} for item in items] if shape.item_key else items
                origin[name] = column
            elif isinstance(shape, KeyedColumns):
                key = target.removeprefix(shape.prefix)
                record.setdefault(name, {})[key] = value
                origin[f"{name}.{key}"] = column
            else:
                addresses.setdefault(name, {})[target] = value
                origin[f"{name}.{target}"] = column
        for name, parts in addresses.items():
            lines = [parts.pop(key) for key in ADDRESS_LINES if key in parts]
            record[name] = [{"lines": lines, **parts}]
            origin[name] = origin.get(f"{name}.{ADDRESS_LINES[0]}", "address")
        return record, origin

    def to_row(self, customer: dict) -> dict[str, str]:
        """A customer (as the API shows it) as one row of this layout's columns: exports re-import."""
        row = {name: str(customer.get(name) or "") for name in EXPORTED_SERVER_COLUMNS}
        for name, shape in self.shapes.items():
            value = customer.get(name)
            if isinstance(shape, ScalarColumn):
                row[shape.column] = str(value or "")
            elif isinstance(shape, ItemsCell):
                items = [item[shape.item_key] for item in value or []] if shape.item_key else value or []
                row[shape.column] = LIST_SEPARATOR.join(items)
            elif isinstance(shape, KeyedColumns):
                row |= {f"{shape.prefix}{key}": str(item) for key, item in (value or {}).items()}
            else:
                address = (value or [{}])[0]  # the first address: a CSV row holds one
                lines = address.get("lines") or []
                row |= {ADDRESS_LINES[0]: lines[0] if lines else "", ADDRESS_LINES[1]: " ".join(lines[1:])}
                row |= {part: address.get(part) or "" for part in ADDRESS_PARTS}
        return row

    def header(self, rows: list[dict[str, str]]) -> list[str]:
        """Export columns: the server's, every field's, then the map keys these rows use."""
        keyed = sorted({column for row in rows for column in row if column.startswith(self.prefixes)})
        return [*EXPORTED_SERVER_COLUMNS, *self.columns, *keyed]


CUSTOMER_CSV = CsvLayout(CustomerFields)
