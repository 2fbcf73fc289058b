"""The automatic steps of the default circuit, run by the real `DbFileEngine` without Prefect:
a file from order form to closed, with the contract signed by SMS code (real signing service,
real Twilio client against the fake Twilio over HTTP), the invoice issued through the Factur-X
gate, sealed, archived once and e-mailed. Runs on SQLite and PostgreSQL (`db` fixture)."""

from __future__ import annotations

from file_world import (  # noqa: F401  (fixtures)
    World,
    fake_twilio_server,
    pki_home,
    world_fixture,
)
from sqlalchemy import select

from application.signing_sessions import signing_service
from documents.facturx.check import check_facturx
from dossiers.archive.models import ArchivedDocument
from dossiers.files import service
from dossiers.files.states import FileState
from flows.file_engine_protocol import Automatic, Done, StepDecision, WaitCustomer, WaitHuman
from signing.event_context import RequestContext

BROWSER = RequestContext("203.0.113.10", "pytest")


def decide(world: World, file_id: int, actor: str, outcome: str = "approved",
           reason: str = "") -> None:
    action = world.engine.next_action(str(file_id))
    assert isinstance(action, WaitHuman), action
    world.engine.apply_decision(str(file_id), StepDecision(
        step_run_id=action.step_run_id, outcome=outcome, actor=actor, reason=reason))


def run_automatic_until_wait(world: World, file_id: int) -> object:
    for _ in range(20):
        action = world.engine.next_action(str(file_id))
        if not isinstance(action, Automatic):
            return action
        world.engine.run_automatic(str(file_id), action.step_run_id, action.action,
                                   action.params)
    raise AssertionError("loops")


def sign_both(world: World, file_id: int) -> None:
    """Both signers sign through the signing service, whose hook is the engine's."""
    from flows.actions.sign import session_of

    action = world.engine.next_action(str(file_id))
    assert isinstance(action, WaitCustomer) and action.step_run_id.endswith("-signing")
    row_id = int(action.step_run_id.split("-")[0])
    opened = session_of(world.ctx, file_id, row_id)
    assert opened is not None
    reference = opened.reference
    with signing_service(world.ctx,
                         on_outcome=world.engine.on_signing_outcome) as signing:
        for position, phone in ((1, "+33612345678"), (2, "+33798765432")):
            token = signing.signer_token(reference, position)
            shown = signing.view(token, BROWSER)
            signing.request_code(token, BROWSER)
            signing.sign(token, world.code_for(phone), BROWSER, shown_sha256=shown.sha256)
    assert world.resumed == [(file_id, row_id)]  # the hook only wakes the flow run


def test_a_file_goes_from_order_form_to_invoice_and_closes(world: World) -> None:
    file_id = world.start_file()
    sms_before = len(world.sms())
    decide(world, file_id, "olga")
    decide(world, file_id, "dora")
    assert isinstance(run_automatic_until_wait(world, file_id), WaitHuman)  # contract drafted
    decide(world, file_id, "carl")
    waiting = run_automatic_until_wait(world, file_id)
    assert isinstance(waiting, WaitCustomer) and waiting.document == "signature"
    sign_both(world, file_id)
    done = run_automatic_until_wait(world, file_id)
    assert done == Done("approved")
    assert len(world.sms()) - sms_before == 2

    with world.db() as s:
        file = service.get_file(s, file_id)
        assert file.state == FileState.CLOSED_APPROVED
        steps = [(r.step_id, r.state.value) for r in file.steps]
        records = s.scalars(select(ArchivedDocument).order_by(ArchivedDocument.id)).all()
        kinds = sorted(r.document_type for r in records)
        invoice_record = next(r for r in records if r.document_type == "invoice")
    assert [state for _, state in steps] == ["approved"] * 10
    assert kinds == ["contract", "invoice"]
    assert world.store.puts == 2
    assert world.mails("invoice-mail:") == 1
    pdf = world.store.inner.get(invoice_record.key, invoice_record.version_id)
    assert check_facturx(pdf.body).ok
