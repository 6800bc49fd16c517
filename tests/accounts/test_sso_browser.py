"""Single sign-on in Chromium: Shipshape's button, the provider's login form, back."""

import time

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore

from apps.accounts.models import Membership
from apps.accounts.sso.views import SESSION_AUTH_TIME
from tests.accounts.conftest import PROVIDER_PASSWORD
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(sso, browser):
    """A page in a fresh browser context at 390 px, on Shipshape's address."""
    context = browser.new_context(
        base_url=sso.base_url, viewport={"width": 390, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def through_the_providers_form(page, person) -> None:
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.get_by_label("Username").fill(person["username"])
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_person_signs_in_through_the_providers_login_page(sso, phone):
    person = sso.person(groups=["platform-leads"], name="Grace Hopper")
    phone.goto("/accounts/tokens/")
    screenshot(phone, "sso-sign-in-390")

    through_the_providers_form(phone, person)

    phone.wait_for_url(f"{sso.base_url}/accounts/tokens/")
    assert phone.get_by_role("heading", name="API tokens").is_visible()
    membership = Membership.objects.get(user__oidc_identity__subject=person["sub"])
    assert (membership.team.slug, membership.role) == ("platform", "lead")


def test_a_person_mapped_to_nothing_reads_why_on_a_phone(sso, phone):
    person = sso.person(groups=["marketing"])
    phone.goto("/accounts/login/")

    through_the_providers_form(phone, person)

    alert = phone.get_by_role("alert")
    alert.get_by_role("heading", name="No access to Shipshape").wait_for()
    screenshot(phone, "sso-refused-390")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_signature_after_an_old_sign_in_passes_the_providers_form_again(
    sso, phone, platform_release
):
    from playwright.sync_api import expect

    person = sso.person(groups=["platform-devs"])
    page_url = f"{sso.base_url}{platform_release.get_absolute_url()}"
    phone.goto(platform_release.get_absolute_url())
    through_the_providers_form(phone, person)
    phone.wait_for_url(page_url)
    cookie = next(c for c in phone.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(cookie["value"])
    session[SESSION_AUTH_TIME] = time.time() - 301
    session.save()

    phone.get_by_label("Role").select_option(label="Operations")
    phone.get_by_role("button", name="Approve", exact=True).click()
    phone.get_by_role("button", name="Confirm approval").click()
    phone.wait_for_url(f"{sso.provider.url}/**")
    phone.get_by_label("Username").fill(person["username"])
    phone.get_by_label("Password").fill(PROVIDER_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()

    phone.get_by_role("heading", name="Confirm your decision").wait_for()
    expect(phone.get_by_role("alert")).to_contain_text("as Operations.")
    screenshot(phone, "sso-step-up-confirm-390")
    assert not platform_release.signoffs.exists()
    phone.get_by_role("button", name="Confirm").click()

    phone.wait_for_url(f"{page_url}#signoffs")
    expect(phone.get_by_text("You approved as Operations.")).to_be_visible()
    assert platform_release.signoffs.get().auth_amr == ["pwd"]
