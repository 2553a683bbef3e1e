"""axe-core on every page, in chromium against gunicorn: JavaScript on and off, light and dark.

No serious or critical violation is allowed. axe-core comes by name from the npm registry
(package.json's devDependencies, ``make vendor`` runs ``npm ci``) and is read from node_modules/.
Run with ``-s`` to see the per-page summary (page, mode, violations by impact).

With JavaScript off, axe (itself JavaScript) cannot run in the page: the HTML the server gave a
browser without JavaScript is taken from that page and audited in a second, JavaScript-on page
that is served exactly that HTML, with the app's own scripts blocked, so what axe sees is the
no-script page with its stylesheet and colour scheme.
"""

from __future__ import annotations

import collections
import json
import re

import pytest
from playwright.sync_api import expect

from taskchat import account
from taskchat.models import User
from tests.helpers.app import free_port, gunicorn_server
from tests.helpers.pages import ROOT, send, sign_up, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.live]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING = {"critical", "serious"}


@pytest.fixture(scope="module")
def mail_server(database_url, _schema, tmp_path_factory):
    """The app under gunicorn with an SMTP server set, so the forgot/reset pages exist (no mail is sent)."""
    env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port()),
           "MAIL_DEFAULT_SENDER": "taskchat <reminders@example.com>"}
    with gunicorn_server(database_url, tmp_path_factory.mktemp("gunicorn-axe"), **env) as server:
        yield server


@pytest.fixture
def contexts(browser, mail_server, app):
    """Browser contexts on that server; ``app`` empties the tables afterwards."""
    made = []

    def make(**options):
        # bypass_csp: axe is added as an inline script, which the page's policy rightly refuses.
        context = browser.new_context(base_url=mail_server.url, bypass_csp=True, **options)
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


class Auditor:
    """Audits pages as they are now, and keeps a row per page for the summary."""

    def __init__(self, contexts, javascript: bool, scheme: str):
        self.javascript = javascript
        self.scheme = scheme
        self.rows: list[tuple[str, dict[str, int], list[dict]]] = []
        self._static = None
        if not javascript:
            # A JavaScript-on page for axe, served the no-script HTML (see the module's docstring).
            self._static = contexts(color_scheme=scheme).new_page()
            self._html = ""
            self._url = ""
            self._static.route("**/*", self._serve)

    def _serve(self, route):
        request = route.request
        if request.is_navigation_request():  # the one navigation: to the page being audited
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self._html)
        elif request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    def audit(self, name: str, page) -> None:
        page.wait_for_load_state("load")
        if self.javascript:
            violations = run_axe(page)
        else:
            self._html, self._url = page.content(), page.url.split("#")[0]
            self._static.goto(self._url)
            self._static.wait_for_load_state("load")
            # The page axe reads is the no-script page: same title, same list items.
            assert self._static.title() == page.title()
            assert self._static.locator("li").count() == len(re.findall(r"<li[\s>]", self._html))
            violations = run_axe(self._static)
        counts = collections.Counter(v["impact"] for v in violations)
        self.rows.append((name, {impact: counts.get(impact, 0) for impact in IMPACTS}, violations))

    def report(self) -> list[str]:
        mode = f"JS {'on' if self.javascript else 'off'}, {self.scheme}"
        print()
        for name, counts, violations in self.rows:
            shown = ", ".join(f"{impact} {counts[impact]}" for impact in IMPACTS)
            rules = " ".join(sorted(f"{v['id']}({v['impact']})" for v in violations))
            print(f"axe  {name:<24} {mode:<13} {shown}  {rules}".rstrip())
        return [
            f"{name} ({mode}): {v['id']} [{v['impact']}] {v['help']} — "
            + json.dumps([node["target"] for node in v["nodes"]][:5])
            for name, _, violations in self.rows
            for v in violations
            if v["impact"] in FAILING
        ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_no_serious_or_critical_axe_violation_on_any_page(contexts, app, javascript, scheme):
    assert AXE.exists(), "node_modules/axe-core is missing; run `make vendor` (npm ci)"
    page = contexts(java_script_enabled=javascript, color_scheme=scheme).new_page()
    auditor = Auditor(contexts, javascript, scheme)

    page.goto("/login")
    auditor.audit("sign-in", page)
    page.goto("/register")
    auditor.audit("sign-up", page)
    page.goto("/password/forgot")
    expect(page.locator("input[name=email]")).to_have_count(1)
    auditor.audit("forgot password", page)

    email = unique_email()
    sign_up(page, email)
    with app.app_context():
        token = account.reset_token(User.by_email(email))
    page.goto(f"/password/reset/{token}")
    expect(page.locator("input[name=new_password]")).to_have_count(1)
    auditor.audit("reset password", page)

    page.goto("/")
    send(page, "add call the bank tomorrow !high #money", javascript)
    send(page, "add call the plumber", javascript)
    send(page, "mark call done", javascript)  # a question with a choice of two tasks
    expect(page.locator("#messages .choices button")).to_have_count(2)
    page.locator("#task-1 summary").click()
    expect(page.locator("#task-1 form.task-form")).to_be_visible()
    auditor.audit("chat", page)

    page.goto("/notices")
    auditor.audit("notices", page)
    page.goto("/settings")
    auditor.audit("settings", page)

    page.goto("/")
    delete = page.locator("#conversation-list li button[type=submit]").first
    with page.expect_navigation():
        # Submitting the form itself skips the confirm() dialog JavaScript puts first; the server
        # answers a page that asks, as it does without JavaScript.
        delete.evaluate("button => button.form.requestSubmit ? button.form.submit() : null")
    expect(page.locator("h1")).to_have_text("Delete this conversation?")
    auditor.audit("delete confirmation", page)

    page.goto("/chatkit")
    if javascript:
        # No network here: the component never loads, and the page opens its panel to say so.
        expect(page.locator("#chatkit-offline")).to_be_visible(timeout=30_000)
    auditor.audit("ChatKit host (offline)", page)

    failures = auditor.report()
    assert len(auditor.rows) == 9
    assert failures == [], "\n".join(failures)
