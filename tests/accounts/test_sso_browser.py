"""Single sign-on in Chromium: Shipshape's button, the provider's login form, back."""

import pytest

from apps.accounts.models import Membership
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
