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
            json={"status": "granted", "source": "x", "evidence": "form 1"},
        ).status_code
        == 404
    )


def test_after_a_withdrawal_only_the_customers_own_consent_grants_again(as_role, unique):
    marketing, support = as_role(M), as_role(S)
    cid = new_customer(support, unique)
    path = f"/v1/customers/{cid}/consents/email/marketing"
    bare = {"status": "granted", "source": "campaign"}
    refused = marketing.put(path, json=bare)  # marketing records no grant without evidence, ever
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "customer_consent_required"
    assert support.put(path, json=bare).status_code == 200  # support, on the customer's word at the desk
    assert support.put(path, json={"status": "withdrawn", "source": "unsubscribe-link"}).status_code == 200

    for caller in (marketing, support):
        again = caller.put(path, json=bare)
        assert again.status_code == 409 and again.json()["error"]["code"] == "customer_consent_required"
        assert again.json()["error"]["fields"][0]["path"] == "evidence"
    objection = support.put(path, json=bare | {"legal_basis": "legitimate_interest", "evidence": "CRM rule 7"})
    assert objection.status_code == 409 and objection.json()["error"]["code"] == "objection_recorded"
    state = support.get(f"/v1/customers/{cid}/consents").json()["email:marketing"]
    assert state["status"] == "withdrawn"  # none of the refused grants was written

    # The customer's own new consent, captured with its evidence, grants again.
    own = marketing.put(path, json=bare | {"source": "web-preferences", "evidence": "preference centre, 2026-12-01"})
    assert own.status_code == 200 and own.json()["status"] == "granted"


def test_a_backdated_capture_answers_with_the_state_in_force(as_role, unique):
    support = as_role(S)
    cid = new_customer(support, unique)
    path = f"/v1/customers/{cid}/consents/email/reminders"
    assert support.put(path, json={"status": "withdrawn", "source": "link"}).status_code == 200
    old = {"status": "granted", "source": "paper", "evidence": "form 9", "captured_at": "2020-01-01T00:00:00Z"}
    answer = support.put(path, json=old)
    assert answer.status_code == 200 and answer.headers["Current-State"] == "false"
    assert answer.json()["status"] == "withdrawn"  # the state in force, not the backdated one
