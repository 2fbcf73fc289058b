"""The portal in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright),
against the app served by uvicorn on a free loopback port:

- a validator opens the alert e-mail's link, signs in, lands on the step, sees the document
  preview, tries to reject without a reason (refused in the page), approves, and the file moves
  on to its next step in the database;
- a sales rep opening another rep's customer gets a 404 (their own customer opens), with
  JavaScript switched off (the pages need none; htmx only improves the inbox filters);
- the main pages pass axe-core's WCAG 2.1 A/AA rules (labels, names, contrast, lang,
  landmarks), at desktop and phone widths (axe-core vendored under `vendor/`, test-only);
- the main pages are saved as screenshots under `test-artifacts/portal/` (ignored by git;
  `LIASSE_TEST_ARTIFACTS` moves them), at desktop and phone widths.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.alerts import StepAlert, step_link, step_token
from dossiers.files.service import get_file
from tests.portal.world import PASSWORD, PortalWorld, build_world

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("LIASSE_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts"))
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedPortal:
    """uvicorn serving the world's app in a thread, stopped at exit."""

    def __init__(self, world: PortalWorld) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(world.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServedPortal:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def served(db: sessionmaker[Session], tmp_path: Path) -> Iterator[tuple[PortalWorld, str]]:
    world = build_world(db, tmp_path / "home")
    with ServedPortal(world) as portal:
        yield world, portal.url


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / "portal" / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, login: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def wait_until(page, expression: str, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    """Poll a JavaScript expression (Playwright's wait_for_function evaluates a string in the
    page, which the portal's Content-Security-Policy forbids: no eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => ({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.1)


def press(page, button: str) -> None:  # type: ignore[no-untyped-def]
    """Submit with the keyboard, as a keyboard user does (in headless Chromium a mouse click
    next to the framed PDF viewer is sometimes lost after a full-page screenshot)."""
    page.get_by_role("button", name=button).focus()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def test_validator_opens_the_alert_link_and_approves(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    world, url = served
    alert = StepAlert(file_id=str(world.sam_file), file_label="Dubois", step_id=str(world.sam_step),
                      step_label="Bon de commande", role="order_desk")
    link = step_link(url, step_token(world.services.settings.resolved_secret_key(), alert))
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))

    page.goto(link)
    assert page.url.startswith(f"{url}/login?next=")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.screenshot(path=str(shots / "01-sign-in.png"), full_page=True)
    _sign_in(page, "olga")
    page.wait_for_url(f"{url}/steps/{world.sam_step}")
    assert page.get_by_role("heading", level=1).inner_text() == "Bon de commande"

    # The document preview: its pages as images rendered by the server, in the page...
    images = page.locator(".pages img")
    assert images.count() == 2
    wait_until(page, "[...document.querySelectorAll('.pages img')]"
                     ".every(i => i.complete && i.naturalWidth > 0)")
    # ... and the PDF itself, framed from the authorised download route, for the browser viewer.
    frame = page.locator("iframe.preview")
    document = context.request.get(f"{url}{frame.get_attribute('src')}")
    assert document.status == 200 and document.headers["content-type"] == "application/pdf"
    assert document.body().startswith(b"%PDF")
    page.screenshot(path=str(shots / "02-step.png"), full_page=True)

    # A rejection without a reason is refused in the page, and nothing changes.
    press(page, "Rejeter")
    page.wait_for_url(f"{url}/steps/{world.sam_step}/decision")
    alert_box = page.get_by_role("alert")
    assert "Un motif est obligatoire pour un rejet." in alert_box.inner_text()
    assert page.get_by_label("Motif (obligatoire pour un rejet) ou commentaire").get_attribute(
        "aria-invalid") == "true"
    page.screenshot(path=str(shots / "03-reject-without-reason.png"), full_page=True)
    with world.db() as s:
        assert get_file(s, world.sam_file).current_step == "order_form"

    # Approve: the file moves on, in the database, and its run is resumed.
    page.get_by_label("Motif (obligatoire pour un rejet) ou commentaire").fill("Complet")
    press(page, "Approuver")
    page.wait_for_url(f"{url}/steps/{world.sam_step}/done*")
    assert "Étape approuvée" in page.get_by_role("status").inner_text()
    page.screenshot(path=str(shots / "04-approved.png"), full_page=True)
    with world.db() as s:
        file = get_file(s, world.sam_file)
        assert (file.state.value, file.current_step) == ("in_progress", "supporting_documents")
    assert [file_id for file_id, _ in world.resumed] == [world.sam_file]

    # The inbox now holds only the other (overdue) step; desktop and phone widths.
    page.get_by_role("link", name="Mes étapes").first.click()
    assert page.locator(f'a[href="/steps/{world.rita_step}"]').count() == 1
    assert page.locator(f'a[href="/steps/{world.sam_step}"]').count() == 0
    assert "en retard" in page.locator("table.inbox").inner_text()
    page.screenshot(path=str(shots / "05-inbox.png"), full_page=True)
    # With htmx (vendored), filtering replaces the results in place and keeps the address.
    page.evaluate("window.__same_page = true")
    page.get_by_label("Client (numéro ou nom)").fill("dubois")
    page.get_by_label("Client (numéro ou nom)").press("Enter")
    page.wait_for_url("**/inbox?*customer=dubois*")
    wait_until(page, "document.querySelectorAll('table.inbox').length === 0")
    assert "Rien à décider" in page.locator("#inbox-results").inner_text()
    assert page.evaluate("window.__same_page === true")  # no full reload
    page.get_by_role("link", name="Effacer les filtres").click()
    page.wait_for_url(f"{url}/inbox")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(shots / "06-inbox-phone.png"), full_page=True)
    page.goto(f"{url}/steps/{world.rita_step}")
    page.screenshot(path=str(shots / "07-step-phone.png"), full_page=True)
    # The skip link comes first in the focus order and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    context.close()
    # Nothing was loaded from anywhere but the portal (no CDN): the browser's own pages aside.
    outside = [u for u in requested
               if not u.startswith((url, "chrome://", "chrome-extension://", "data:", "blob:",
                                    "about:"))]
    assert outside == []
    assert f"{url}/static/vendor/htmx/htmx.min.js" in requested


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def test_a_sales_rep_gets_404_on_another_reps_customer(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    world, url = served
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)  # no JS needed
    page = context.new_page()
    page.goto(f"{url}/login")
    _sign_in(page, "sam")
    page.wait_for_url(f"{url}/inbox")
    own = page.goto(f"{url}/customers/{world.sam_customer}")
    assert own is not None and own.status == 200
    assert "Dubois" in page.get_by_role("heading", level=1).inner_text()
    page.screenshot(path=str(shots / "01-own-customer.png"), full_page=True)
    other = page.goto(f"{url}/customers/{world.rita_customer}")
    assert other is not None and other.status == 404
    assert f"Client {world.rita_customer} introuvable." in page.get_by_role("alert").inner_text()
    assert "Lefort" not in page.content()
    page.screenshot(path=str(shots / "02-other-reps-customer-404.png"), full_page=True)
    context.close()


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's WCAG 2.1 A/AA violations on the page (injected through the debugger, so the
    portal's CSP stays strict)."""
    page.evaluate(AXE.read_text() + "\n;true")
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))",
        WCAG_AA,
    )
    return list(result)


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def test_main_pages_pass_axe_wcag_aa(served, browser) -> None:  # type: ignore[no-untyped-def]
    """Labels, names, contrast, lang, landmarks... as axe-core checks them (WCAG 2.1 AA), on
    every main page, at desktop and phone widths."""
    world, url = served
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    found: dict[str, list[str]] = {}
    page.goto(f"{url}/login")
    found["login"] = axe_violations(page)
    _sign_in(page, "olga")
    page.wait_for_url(f"{url}/inbox")
    for name, path in (("inbox", "/inbox"), ("step", f"/steps/{world.sam_step}"),
                       ("password", "/account/password"), ("error", "/steps/999999")):
        for width, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(f"{url}{path}")
            found[f"{name}-{width}"] = axe_violations(page)
    admin = context.new_page()
    admin.goto(f"{url}/login")
    _sign_in(admin, "admin")
    admin.wait_for_url(f"{url}/inbox")
    admin.goto(f"{url}/customers/{world.sam_customer}")
    found["customer"] = axe_violations(admin)
    # The harness itself: an unlabelled field is caught.
    admin.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                   "'<input id=unlabelled type=text>')")
    assert any(v.startswith("label:") for v in axe_violations(admin))
    context.close()
    assert {page_name: v for page_name, v in found.items() if v} == {}
