"""Deciding from the portal: through the domain as `liasse flow decide` does, then the resume
hook; a rejection needs a reason; of two people deciding at once one wins and the other sees
why and the current state; the JSON API decides the same way."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient

from dossiers.files.service import get_file, get_step
from tests.portal.world import PortalWorld, api_csrf, csrf_in, sign_in


def _file(world: PortalWorld, file_id: int):  # type: ignore[no-untyped-def]
    with world.db() as s:
        file = get_file(s, file_id)
        return file.state.value, file.current_step


def test_approve_moves_the_file_on_and_resumes_its_run(world: PortalWorld,
                                                       client: TestClient) -> None:
    sign_in(client, "olga")
    page = client.get(f"/steps/{world.sam_step}")
    assert 'src="/files/' in page.text  # the document preview
    first_page = client.get(f"/files/{world.sam_file}/documents/{world.document_id}/pages/1")
    assert first_page.status_code == 200 and first_page.content.startswith(b"\x89PNG")
    assert client.get(f"/files/{world.sam_file}/documents/{world.document_id}/pages/3"
                      ).status_code == 404  # a two-page PDF
    assert client.get(f"/files/{world.sam_file}/documents/{world.document_id}/pages/99"
                      ).status_code == 422  # beyond the preview limit
    response = client.post(f"/steps/{world.sam_step}/decision",
                           data={"csrf_token": csrf_in(page.text), "decision": "approve",
                                 "reason": "complet"})
    assert response.status_code == 200
    assert "Étape approuvée" in response.text
    assert _file(world, world.sam_file) == ("in_progress", "supporting_documents")
    with world.db() as s:
        step = get_step(s, world.sam_step)
        assert (step.state.value, step.decided_by, step.reason) == ("approved", "olga",
                                                                    "complet")
    [(file_id, decision)] = world.resumed
    assert file_id == world.sam_file
    assert (decision.step_run_id, decision.outcome, decision.actor) == (
        str(world.sam_step), "approved", "olga")


def test_a_rejection_without_reason_is_refused_in_the_page(world: PortalWorld,
                                                           client: TestClient) -> None:
    sign_in(client, "olga")
    token = csrf_in(client.get(f"/steps/{world.sam_step}").text)
    refused = client.post(f"/steps/{world.sam_step}/decision",
                          data={"csrf_token": token, "decision": "reject", "reason": "   "})
    assert refused.status_code == 422
    assert "Un motif est obligatoire pour un rejet." in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _file(world, world.sam_file) == ("in_progress", "order_form")
    assert world.resumed == []
    done = client.post(f"/steps/{world.sam_step}/decision",
                       data={"csrf_token": token, "decision": "reject",
                             "reason": "Bon de commande non signé"})
    assert done.status_code == 200
    assert _file(world, world.sam_file) == ("closed_rejected", None)


def test_the_second_decider_sees_why_and_the_current_state(world: PortalWorld) -> None:
    olga, admin = TestClient(world.app), TestClient(world.app)
    sign_in(olga, "olga")
    sign_in(admin, "admin")
    olga_token = csrf_in(olga.get(f"/steps/{world.sam_step}").text)
    admin_token = csrf_in(admin.get(f"/steps/{world.sam_step}").text)  # both see the form
    first = olga.post(f"/steps/{world.sam_step}/decision",
                      data={"csrf_token": olga_token, "decision": "approve"})
    second = admin.post(f"/steps/{world.sam_step}/decision",
                        data={"csrf_token": admin_token, "decision": "reject",
                              "reason": "trop tard"})
    assert first.status_code == 200
    assert second.status_code == 409
    text = second.text.replace("&#39;", "'")
    assert "a déjà été traitée (approved) par olga" in text
    assert 'id="step-state">approuvée' in text  # the current state, no decision form
    assert 'name="decision"' not in text
    assert len(world.resumed) == 1


def test_simultaneous_decisions_one_wins(world: PortalWorld) -> None:
    clients = {login: TestClient(world.app) for login in ("olga", "admin")}
    tokens = {}
    for login, c in clients.items():
        sign_in(c, login)
        tokens[login] = api_csrf(c)
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def decide(login: str) -> None:
        barrier.wait()
        response = clients[login].post(f"/api/steps/{world.sam_step}/decision",
                                       json={"decision": "approve"},
                                       headers={"X-CSRF-Token": tokens[login]})
        answers[login] = response.status_code

    threads = [threading.Thread(target=decide, args=(login,)) for login in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers.values()) == [200, 409]
    assert len(world.resumed) == 1
    assert _file(world, world.sam_file) == ("in_progress", "supporting_documents")


def test_the_api_decides_through_the_same_rules(world: PortalWorld, client: TestClient) -> None:
    sign_in(client, "olga")
    token = api_csrf(client)
    inbox = client.get("/api/inbox").json()
    assert [item["step_id"] for item in inbox] == [world.rita_step, world.sam_step]
    assert inbox[0]["sla"]["level"] == "overdue" and inbox[1]["sla"]["level"] == "ok"
    detail = client.get(f"/api/steps/{world.sam_step}").json()
    assert detail["can_decide"] is True and detail["documents"][0]["media_type"] == (
        "application/pdf")
    url = f"/api/steps/{world.sam_step}/decision"
    no_reason = client.post(url, json={"decision": "reject"}, headers={"X-CSRF-Token": token})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["message"] == "Un motif est obligatoire pour un rejet."
    ok = client.post(url, json={"decision": "approve"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200
    body = ok.json()
    assert body["resume"] == "resumed" and body["step"]["state"] == "approved"
    again = client.post(url, json={"decision": "approve"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and again.json()["error"]["type"] == "ConflictError"
    schema = client.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {"/api/me", "/api/inbox", "/api/steps/{step_id}",
                                    "/api/steps/{step_id}/decision",
                                    "/api/steps/{step_id}/delegate",
                                    "/api/steps/{step_id}/request-document"}


def test_inbox_filters(world: PortalWorld, client: TestClient) -> None:
    sign_in(client, "olga")

    def ids(query: str) -> list[int]:
        return [item["step_id"] for item in client.get(f"/api/inbox?{query}").json()]

    assert ids("") == [world.rita_step, world.sam_step]  # overdue first
    assert ids(f"customer={world.sam_customer}") == [world.sam_step]
    assert ids("customer=lefort") == [world.rita_step]
    assert ids("circuit=default&step=order_form") == [world.rita_step, world.sam_step]
    assert ids("step=contract_review") == []
    page = client.get("/inbox?customer=dubois").text
    assert f'href="/steps/{world.sam_step}"' in page
    assert f'href="/steps/{world.rita_step}"' not in page
    assert "en retard" in client.get("/inbox").text


def test_delegate_to_a_colleague_who_then_decides(world: PortalWorld) -> None:
    olga, dora = TestClient(world.app), TestClient(world.app)
    sign_in(olga, "olga")
    sign_in(dora, "dora")
    assert world.sam_step not in {i["step_id"] for i in dora.get("/api/inbox").json()}
    assert dora.get(f"/steps/{world.sam_step}").status_code == 404
    page = olga.get(f"/steps/{world.sam_step}").text
    assert '<option value="dora">' in page
    unknown = olga.post(f"/steps/{world.sam_step}/delegate",
                        data={"csrf_token": csrf_in(page), "to": "nobody"})
    assert unknown.status_code == 422 and "Collègue inconnu" in unknown.text
    done = olga.post(f"/steps/{world.sam_step}/delegate",
                     data={"csrf_token": csrf_in(page), "to": "dora", "reason": "congés"})
    assert done.status_code == 200 and "Étape déléguée." in done.text
    with world.db() as s:
        assert get_step(s, world.sam_step).assignee == "dora"
    assert world.sam_step in {i["step_id"] for i in dora.get("/api/inbox").json()}
    answer = dora.post(f"/api/steps/{world.sam_step}/decision", json={"decision": "approve"},
                       headers={"X-CSRF-Token": api_csrf(dora)})
    assert answer.status_code == 200
    assert _file(world, world.sam_file) == ("in_progress", "supporting_documents")


def test_request_a_missing_document_with_a_due_date(world: PortalWorld,
                                                    client: TestClient) -> None:
    sign_in(client, "olga")
    token = csrf_in(client.get(f"/steps/{world.sam_step}").text)
    url = f"/steps/{world.sam_step}/request-document"
    past = client.post(url, data={"csrf_token": token, "document": "Kbis", "due": "2000-01-01"})
    assert past.status_code == 422 and "dans le futur" in past.text
    due = (world.clock() + timedelta(days=10)).date().isoformat()
    done = client.post(url, data={"csrf_token": token, "document": "Extrait Kbis", "due": due})
    assert done.status_code == 200 and "Document demandé au client" in done.text
    assert "Extrait Kbis" in done.text and 'name="decision"' not in done.text
    assert _file(world, world.sam_file)[0] == "waiting_customer"
    with world.db() as s:
        step = get_step(s, world.sam_step)
        assert step.requested_document == "Extrait Kbis"
        assert step.request_due_at is not None and step.request_due_at.date().isoformat() == due
    [item] = [i for i in client.get("/api/inbox").json() if i["step_id"] == world.sam_step]
    assert item["waiting_for_document"] == "Extrait Kbis"
    twice = client.post(f"/api/steps/{world.sam_step}/request-document",
                        json={"document": "RIB", "due": due},
                        headers={"X-CSRF-Token": api_csrf(client)})
    assert twice.status_code == 409


def test_inbox_pages_keep_the_order_and_the_filters(world: PortalWorld, client: TestClient,
                                                    monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import portal.routes.pages as pages

    monkeypatch.setattr(pages, "INBOX_PAGE", 1)
    sign_in(client, "olga")
    first = client.get("/inbox?circuit=default").text
    assert "2 étape(s) en attente. Page 1 sur 2." in first
    assert f'href="/steps/{world.rita_step}"' in first  # the overdue one first
    assert f'href="/steps/{world.sam_step}"' not in first
    assert 'href="/inbox?circuit=default&amp;page=2" rel="next"' in first
    second = client.get("/inbox?circuit=default&page=2").text
    assert f'href="/steps/{world.sam_step}"' in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
