"""Cutting an uploaded file into parts: at record boundaries, numbered as the chunk import numbers rows."""

import csv
import io

import pytest
from cis.domain.import_files import cut, default_source
from cis.domain.imports import parse_csv
from cis.errors import InvalidRequest


def pieces(data: bytes, size: int):
    """The file in chunks of `size` bytes: a chunk boundary may fall anywhere, in a line or a character."""
    return (data[start : start + size] for start in range(0, len(data), size))


def rows_of(data: bytes, part_rows: int, chunk: int = 7, mapping=None):
    done = cut(pieces(data, chunk), mapping or {}, part_rows)
    found = []
    for part in done.parts:
        text = done.header + data[part.start : part.end].decode()
        parsed = parse_csv(text, mapping or {}, part.first_row)
        assert len(parsed) == part.rows
        found += [(row.number, row.record) for row in parsed]
    return done, found


def test_parts_hold_whole_records_even_when_a_quoted_field_spans_lines():
    data = b'given_name,notes\nAda,"line one\nline two"\nBob,plain\n"Cy","a, b"\nDee,"x\r\ny"\n'
    whole = parse_csv(data.decode(), {"notes": "-"}, 2)
    done, found = rows_of(data, part_rows=2, mapping={"notes": "-"})
    assert [p.rows for p in done.parts] == [2, 2]
    assert found == [(row.number, row.record) for row in whole]
    assert done.rows == 4 and done.bytes == len(data)


def test_row_numbers_run_across_parts_as_in_one_file_and_blank_lines_are_not_rows():
    lines = ["given_name,email"] + [f"P{n},p{n}@example.com" for n in range(1, 12)]
    lines.insert(5, "")
    data = ("\r\n".join(lines) + "\r\n").encode()
    done, found = rows_of(data, part_rows=5)
    assert [(p.first_row, p.rows) for p in done.parts] == [(2, 5), (7, 5), (12, 1)]
    assert [number for number, _ in found] == list(range(2, 13))
    assert found[-1][1]["given_name"] == "P11"


def test_a_byte_order_mark_is_not_part_of_the_first_column_name():
    data = "\ufeffgiven_name,email\nZoë,zoe@example.com\n".encode()
    done, found = rows_of(data, part_rows=10, chunk=2)
    assert done.header == "given_name,email\n" and found[0][1]["given_name"] == "Zoë"


def test_the_last_row_needs_no_line_break_and_a_header_only_file_has_no_parts():
    done, found = rows_of(b"given_name\nAda", part_rows=10)
    assert found[0][1]["given_name"] == "Ada" and done.parts[0].end == len(b"given_name\nAda")
    assert cut([b"given_name,email\n"], {}).parts == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the file is empty"),
        (b"given_name,shoe_size\nAda,38\n", "unknown column(s) shoe_size"),
        (b"given_name\nAda\n\xff\xfeBob\n", "line 3 is not UTF-8"),
    ],
)
def test_a_file_no_part_of_which_could_be_read_is_refused_once_with_the_reason(data, problem):
    with pytest.raises(InvalidRequest, match=problem.replace("(", r"\(").replace(")", r"\)")):
        cut(pieces(data, 4), {})


def test_the_default_source_names_the_bytes_and_the_mapping():
    one = cut([b"given_name\nAda\n"], {})
    assert default_source(one.digest, {}) == default_source(one.digest, {})
    assert default_source(one.digest, {}) != default_source(one.digest, {"given_name": "family_name"})
    other = cut([b"given_name\nBob\n"], {})
    assert default_source(one.digest, {}) != default_source(other.digest, {})


def test_a_large_file_is_cut_into_full_parts_and_a_rest():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["given_name", "email"])
    writer.writerows([f"N{n}", f"n{n}@example.com"] for n in range(1234))
    done = cut(pieces(out.getvalue().encode(), 4096), {}, 500)
    assert [p.rows for p in done.parts] == [500, 500, 234]
    assert [p.first_row for p in done.parts] == [2, 502, 1002]
    assert all(a.end == b.start for a, b in zip(done.parts, done.parts[1:], strict=False))


def test_a_part_ends_at_its_byte_budget_and_carries_its_rows_text():
    lines = ["given_name,email"] + [f"P{n},p{n}@example.com" for n in range(1, 21)]
    data = ("\n".join(lines) + "\n").encode()
    done = cut(pieces(data, 5), {}, part_rows=500, part_bytes=60)
    assert len(done.parts) > 1 and sum(p.rows for p in done.parts) == 20
    assert all(len(p.text.encode()) < 60 + len(b"P20,p20@example.com\n") for p in done.parts)
    assert all(p.text == data[p.start : p.end].decode() for p in done.parts)
    assert done.header + "".join(p.text for p in done.parts) == data.decode()


def test_a_record_longer_than_the_byte_budget_is_a_part_of_its_own():
    data = b'given_name,notes\nAda,"' + b"x" * 500 + b'"\nBob,short\n'
    done = cut([data], {"notes": "-"}, part_rows=500, part_bytes=100)
    assert [(p.first_row, p.rows) for p in done.parts] == [(2, 1), (3, 1)]
    assert done.parts[0].text.startswith('Ada,"xxx') and done.parts[1].text == "Bob,short\n"
