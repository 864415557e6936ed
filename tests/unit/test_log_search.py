"""The end-of-run search of every log line for personal data: it must see lines and must find what it looks for."""

from aws_lambda_powertools import Logger

from tests import pii
from tests.pii import RUN_LOGS


def test_log_search_finds_emails_and_the_test_phone_numbers_and_passes_clean_lines(tmp_path):
    (tmp_path / "run.log").write_text(
        '{"message": "customer created", "customer_id": "01M84S2F2JQMJE9JZ9AQAXAK45"}\n'
        '{"message": "sent", "to": "ada.lovelace+news@example.co.uk"}\n'
        '{"message": "sms", "to": "+447911123456"}\n'
        '{"message": "raw", "phone": "(415) 555-0100"}\n'
        '{"timestamp": "2026-11-23 18:02:11,117+0000", "count": 4155550100}\n',
        encoding="utf-8",
    )
    found = pii.search_logs(tmp_path, pii.test_phone_numbers())
    assert [where for where, _ in found] == ["run.log:2", "run.log:3", "run.log:4"]


def test_the_phone_numbers_searched_for_include_the_ones_tests_write():
    assert {"+14155550100", "(415) 555-0100", "+442079460958"} <= pii.test_phone_numbers()


def test_a_handler_log_line_reaches_the_run_log_that_is_searched():
    Logger(child=True).info("log search probe", extra={"probe": "4b1d"})
    assert '"probe":"4b1d"' in (RUN_LOGS / "in-process.log").read_text(encoding="utf-8")
