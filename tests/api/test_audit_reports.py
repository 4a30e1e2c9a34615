"""Auditors' reports: corrections by office (counts, rates per 1,000 acts, CSV equal to JSON,
never another province's office) and users flagged for reading unusually many persons."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.api.conftest import Api, Caller, api_settings, is_problem, post_act, running_api
from tests.builders import a_birth, a_correction, a_pin

CAREFUL, HASTY, HANOI = "034-XA-DONGHOA", "034-XA-DONGHUNG", "001-PH-HANGBAC"
READS_PER_HOUR = 3


@pytest.fixture
def ledger_api(database_url: str) -> Iterator[Api]:
    """The app with a low unusual-reading threshold, so a test reads few persons."""
    settings = api_settings(database_url, unusual_reads_per_hour=READS_PER_HOUR)
    yield from running_api(settings)


def registered(caller: Caller, entry: dict[str, Any]) -> dict[str, Any]:
    response = post_act(caller, entry)
    assert response.status_code == 201, response.text
    return entry


def births_and_corrections(api: Api, office: str, births: int, corrected: int) -> None:
    """`births` births registered by `office` in January 2020, the first `corrected` of them
    corrected by the same office: one in February, the others in March."""
    for i in range(births):
        pin = a_pin("M", 2020, province=office[:3])
        birth = registered(
            api.national_officer, a_birth(pin, f"2020-01-{i + 1:02d}", authority=office)
        )
        if i < corrected:
            change = {"field": "child.given_name", "before": "An", "after": f"Ân{i}"}
            on = "2020-02-10" if i == 0 else "2020-03-10"
            registered(
                api.national_officer, a_correction(birth, pin, [change], on, authority=office)
            )


@pytest.fixture
def corrections_ledger(ledger_api: Api) -> Api:
    """A careful office (8 births, 1 corrected), a hasty one (4 births, 3 corrected), both in
    Thái Bình (034), and a Hà Nội office (2 births, 2 corrected)."""
    births_and_corrections(ledger_api, CAREFUL, 8, 1)
    births_and_corrections(ledger_api, HASTY, 4, 3)
    births_and_corrections(ledger_api, HANOI, 2, 2)
    ledger_api.settle()
    return ledger_api


def report(caller: Caller, **params: str) -> dict[str, Any]:
    response = caller.get("/v1/audit/corrections", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def csv_report(caller: Caller, **params: str) -> list[dict[str, str]]:
    response = caller.get("/v1/audit/corrections", params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def by_office(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {office["office"]: office for office in body["offices"]}


def test_the_office_that_corrects_unusually_often_leads_the_report(corrections_ledger: Api) -> None:
    offices = report(corrections_ledger.national_auditor)["offices"]
    assert [o["office"] for o in offices] == [HANOI, HASTY, CAREFUL]
    hasty, careful = offices[1], offices[2]
    assert (hasty["acts"], hasty["corrections"], hasty["rate_per_1000"]) == (4, 3, 750.0)
    assert (careful["acts"], careful["corrections"], careful["rate_per_1000"]) == (8, 1, 125.0)
    assert hasty["by_kind_and_month"] == [
        {"kind": "birth", "month": "2020-02", "corrections": 1},
        {"kind": "birth", "month": "2020-03", "corrections": 2},
    ]


def test_the_period_counts_acts_and_corrections_registered_in_it(corrections_ledger: Api) -> None:
    march = by_office(report(corrections_ledger.national_auditor, since="2020-03", until="2020-03"))
    assert march[HASTY]["acts"] == 0 and march[HASTY]["corrections"] == 2
    assert march[HASTY]["rate_per_1000"] is None  # it registered no act in March
    january = by_office(report(corrections_ledger.national_auditor, until="2020-01-31"))
    assert january[CAREFUL] == {
        "office": CAREFUL,
        "province": "034",
        "acts": 8,
        "corrections": 0,
        "rate_per_1000": 0.0,
        "by_kind_and_month": [],
    }


def test_one_office_or_one_province(corrections_ledger: Api) -> None:
    auditor = corrections_ledger.national_auditor
    assert [o["office"] for o in report(auditor, office=HASTY)["offices"]] == [HASTY]
    assert [o["office"] for o in report(auditor, province="001")["offices"]] == [HANOI]
    assert report(auditor, office="034-XA-NOWHERE")["offices"] == []


def test_the_csv_holds_what_the_json_holds(corrections_ledger: Api) -> None:
    auditor = corrections_ledger.national_auditor
    asked = auditor.get("/v1/audit/corrections", params={"format": "csv"})
    accepted = auditor.get("/v1/audit/corrections", headers={"Accept": "text/csv"})
    for response in (asked, accepted):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
    assert asked.text == accepted.text
    rows = list(csv.DictReader(io.StringIO(asked.text)))
    flattened = [
        (o["office"], o["province"], o["acts"], o["corrections"], o["rate_per_1000"],
         k["kind"], k["month"], k["corrections"])
        for o in report(auditor)["offices"]
        for k in o["by_kind_and_month"]
    ]  # fmt: skip
    assert len(flattened) == 5  # careful: 1 month; hasty: 2; Hà Nội: 2 (February, March)
    assert [
        (r["office"], r["province"], int(r["acts"]), int(r["corrections"]),
         float(r["rate_per_1000"]), r["kind"], r["month"], int(r["kind_month_corrections"]))
        for r in rows
    ] == flattened  # fmt: skip


def test_in_csv_an_office_without_corrections_is_one_line_and_no_rate_is_empty(
    corrections_ledger: Api,
) -> None:
    rows = csv_report(corrections_ledger.national_auditor, until="2020-01-31")
    assert [(r["office"], r["corrections"], r["rate_per_1000"], r["kind"]) for r in rows] == [
        (HANOI, "0", "0.0", ""),
        (CAREFUL, "0", "0.0", ""),
        (HASTY, "0", "0.0", ""),
    ]
    rows = csv_report(corrections_ledger.national_auditor, since="2020-03")
    # No act registered in March: no rate, and offices that only corrected lead.
    assert [(r["office"], r["acts"], r["rate_per_1000"]) for r in rows] == [
        (HANOI, "0", ""),
        (HASTY, "0", ""),
    ]


def test_a_provincial_auditor_never_sees_another_provinces_office(corrections_ledger: Api) -> None:
    auditor = corrections_ledger.auditor  # of Thái Bình (034)
    assert {o["office"] for o in report(auditor)["offices"]} == {CAREFUL, HASTY}
    text = auditor.get("/v1/audit/corrections", params={"format": "csv"}).text
    assert HANOI not in text
    for params in ({"province": "001"}, {"office": HANOI}, {"office": "001-XA-UNKNOWN"}):
        refused = is_problem(
            auditor.get("/v1/audit/corrections", params=params), 403, "outside-jurisdiction"
        )
        assert refused["detail"].endswith("this concerns province 001")  # nothing more


@pytest.mark.parametrize("role", ["officer", "approver", "subscriber", "admin"])
def test_only_auditors_read_the_report(ledger_api: Api, role: str) -> None:
    refused = ledger_api.callers[role].get("/v1/audit/corrections")
    is_problem(refused, 403, "forbidden")


@pytest.mark.parametrize(
    "params",
    [
        {"office": "034"},
        {"office": "999-XA-NOWHERE"},
        {"province": "34"},
        {"since": "2020-13"},
        {"until": "2020-02-30"},
        {"format": "xml"},
    ],
)
def test_bad_input_is_a_problem(ledger_api: Api, params: dict[str, str]) -> None:
    response = ledger_api.national_auditor.get("/v1/audit/corrections", params=params)
    is_problem(response, 422)


def test_a_reversed_period_is_refused(ledger_api: Api) -> None:
    response = ledger_api.national_auditor.get(
        "/v1/audit/corrections", params={"since": "2020-03", "until": "2020-02"}
    )
    assert is_problem(response, 422, "period-reversed")["field"] == "since"


def read_persons(caller: Caller, count: int, province: str = "034") -> tuple[list[str], str]:
    """`count` distinct persons read by `caller` (unknown PINs: the read is logged all the
    same), all within one clock hour, which is returned as the flags name it (a run that
    straddles an hour is made again)."""
    while True:
        hour = datetime.now(UTC).strftime("%Y-%m-%dT%H:00:00Z")
        pins = [a_pin("M", 1990, province=province) for _ in range(count)]
        for pin in pins:
            caller.get(f"/v1/persons/{pin}")
        if datetime.now(UTC).strftime("%Y-%m-%dT%H:00:00Z") == hour:
            return pins, hour


def flags(caller: Caller, **params: str) -> dict[str, Any]:
    response = caller.get("/v1/audit/access", params={"flagged": "true", **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_user_reading_more_persons_in_an_hour_than_the_threshold_is_flagged(
    ledger_api: Api,
) -> None:
    _, hour = read_persons(ledger_api.national_officer, READS_PER_HOUR + 1)
    read_persons(ledger_api.officer, READS_PER_HOUR)  # at the threshold: not flagged
    body = flags(ledger_api.national_auditor)
    assert body["threshold"] == READS_PER_HOUR and body["truncated"] is False
    [flag] = body["flags"]
    assert flag["user"] == "national_officer" and flag["persons"] == READS_PER_HOUR + 1
    assert flag["hour"] == hour
    assert flags(ledger_api.national_auditor, user="officer")["flags"] == []


def test_reading_one_person_again_and_again_is_not_flagged(ledger_api: Api) -> None:
    pin = a_pin("F", 1990)
    for _ in range(READS_PER_HOUR + 2):
        ledger_api.national_officer.get(f"/v1/persons/{pin}")
    assert flags(ledger_api.national_auditor)["flags"] == []


def test_a_person_shows_the_flagged_hours_they_were_read_in(ledger_api: Api) -> None:
    pins, _ = read_persons(ledger_api.national_officer, READS_PER_HOUR + 1)
    assert [f["user"] for f in flags(ledger_api.auditor, pin=pins[0])["flags"]] == [
        "national_officer"
    ]
    assert flags(ledger_api.auditor, pin=a_pin("M", 1970))["flags"] == []


def test_a_provincial_auditor_counts_only_its_provinces_reads(ledger_api: Api) -> None:
    read_persons(ledger_api.national_officer, READS_PER_HOUR + 1, province="001")
    read_persons(ledger_api.national_officer, 1, province="034")
    assert flags(ledger_api.auditor)["flags"] == []  # 1 person of 034 read
    [flag] = flags(ledger_api.national_auditor)["flags"]
    assert flag["persons"] == READS_PER_HOUR + 2
    is_problem(
        ledger_api.auditor.get(
            "/v1/audit/access", params={"flagged": "true", "pin": "001090000001"}
        ),
        403,
        "outside-jurisdiction",
    )


def test_only_auditors_see_the_flags(ledger_api: Api) -> None:
    read_persons(ledger_api.national_officer, READS_PER_HOUR + 1)
    for role in ("officer", "national_officer", "approver", "admin"):
        refused = ledger_api.callers[role].get("/v1/audit/access", params={"flagged": "true"})
        is_problem(refused, 403, "forbidden")


def test_flags_of_a_period(ledger_api: Api) -> None:
    read_persons(ledger_api.national_officer, READS_PER_HOUR + 1)
    today = datetime.now(UTC).date().isoformat()
    assert len(flags(ledger_api.national_auditor, since=today, until=today)["flags"]) == 1
    assert flags(ledger_api.national_auditor, until="2020-01-01")["flags"] == []
    reversed_period = {"flagged": "true", "since": "2020-02-01", "until": "2020-01-01"}
    response = ledger_api.national_auditor.get("/v1/audit/access", params=reversed_period)
    is_problem(response, 422, "period-reversed")


def test_the_document_offers_the_report_as_json_and_as_csv(ledger_api: Api) -> None:
    document = ledger_api.client.get("/openapi.json").json()
    answer = document["paths"]["/v1/audit/corrections"]["get"]["responses"]["200"]
    assert set(answer["content"]) == {"application/json", "text/csv"}


def test_json_stays_the_answer_when_the_client_prefers_it(ledger_api: Api) -> None:
    auditor = ledger_api.national_auditor
    for accept in ("application/json, text/csv", "*/*", "text/html"):
        response = auditor.get("/v1/audit/corrections", headers={"Accept": accept})
        assert response.headers["content-type"].startswith("application/json"), accept
    forced = auditor.get("/v1/audit/corrections", params={"format": "json"},
                         headers={"Accept": "text/csv"})  # fmt: skip
    assert forced.headers["content-type"].startswith("application/json")
