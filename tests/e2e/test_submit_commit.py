"""The tap on "Indienen" also commits the field the officer was typing in: the check of
what is missing waits for that commit, even when the store is slow to take it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.forms_steps import Steps, add_party, start_vor
from tests.e2e.helpers import login

# Every commit encrypts its op before it is stored; slowed down, the commit of the field
# that loses focus to the tap is still on its way when "Indienen" reads the record.
SLOW_STORE = """() => {
  const encrypt = crypto.subtle.encrypt.bind(crypto.subtle);
  crypto.subtle.encrypt = async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    return encrypt(...args);
  };
}"""


def test_the_field_typed_last_counts_when_indienen_commits_it(new_context,
                                                             live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent1")
    steps = Steps()
    start_vor(page, steps)
    steps.tap(page.get_by_role("button", name="Gebruik mijn locatie"), "gebruik mijn locatie")
    expect(page.get_by_text("nauwkeurigheid")).to_be_visible()
    steps.tap(page.get_by_label("Uitsluitend materiële schade"), "afloop UMS")
    steps.pick(page.get_by_label("Aard ongeval"), "Flank", "aard ongeval")
    add_party(page, steps, 1, "GZ-118-K")
    add_party(page, steps, 2, "4-KLT-27")

    page.evaluate(SLOW_STORE)
    # typed, not yet committed: the tap on "Indienen" takes the focus and commits it
    page.get_by_label("Toedracht (relaas)").fill("Kop-staartbotsing bij het stoplicht.")
    page.get_by_role("button", name="Indienen").click()

    expect(page.get_by_role("dialog").get_by_role("button", name="Ja, indienen")).to_be_visible()
    expect(page.get_by_text("Nog niet compleet")).to_have_count(0)
    page.get_by_role("dialog").get_by_role("button", name="Ja, indienen").click()
    expect(page.get_by_text("Ingediend voor beoordeling")).to_be_visible()
