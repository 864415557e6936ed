"""The consent ledger over real HTTP."""

from cis.topology import Role

from .test_timeline_http import new_customer

S, M = Role.SUPPORT, Role.MARKETING


def test_withdrawn_email_marketing_shows_in_consents_the_360_and_the_timeline(as_role, unique):
    marketing = as_role(M)
    cid = new_customer(as_role(S), unique)
    path = f"/v1/customers/{cid}/consents/email/marketing"
    granted = marketing.put(path, json={"status": "granted", "source": "web-signup", "evidence": "form v3"})
    assert granted.status_code == 200 and granted.headers["Current-State"] == "true"
    assert marketing.put(path, json={"status": "withdrawn", "source": "unsubscribe-link"}).status_code == 200

    current = marketing.get(f"/v1/customers/{cid}/consents").json()
    assert current["email:marketing"]["status"] == "withdrawn"
    assert current["email:marketing"]["allowed_now"] is False
    assert current["email:marketing"]["captured_by"] == "staff:dev-marketing"

    view = marketing.get(f"/v1/customers/{cid}/360").json()
    assert view["customer"]["consents"]["email:marketing"]["status"] == "withdrawn"
    assert [(e["type"], e["status"]) for e in view["timeline"]] == [("consent", "withdrawn"), ("consent", "granted")]

    history = marketing.get(f"{path}/history").json()["items"]
    assert [change["status"] for change in history] == ["withdrawn", "granted"]


def test_consent_input_is_checked(as_role, unique):
    marketing = as_role(M)
    cid = new_customer(as_role(S), unique)
    base = f"/v1/customers/{cid}/consents"
    assert marketing.put(f"{base}/pigeon/marketing", json={"status": "granted", "source": "x"}).status_code == 422
    assert marketing.put(f"{base}/email/spam", json={"status": "granted", "source": "x"}).status_code == 422
    assert marketing.put(f"{base}/email/marketing", json={"status": "maybe", "source": "x"}).status_code == 422
    window = {
        "status": "granted",
        "source": "x",
        "effective_from": "2027-01-02T00:00:00Z",
        "effective_to": "2027-01-01T00:00:00Z",
    }
    assert marketing.put(f"{base}/email/marketing", json=window).status_code == 422
    assert (
        marketing.put(
            "/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV/consents/email/marketing",
            json={"status": "granted", "source": "x"},
        ).status_code
        == 404
    )
