"""Single sign-on in Chromium: Shipshape's button, the provider's login form, back."""

import pytest

from apps.accounts.models import Membership
from tests.accounts.conftest import PROVIDER_PASSWORD
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_signs_in_through_the_providers_login_page(sso, browser):
    person = sso.person(groups=["platform-leads"], name="Grace Hopper")
    context = browser.new_context(
        base_url=sso.base_url, viewport={"width": 390, "height": 800}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/tokens/")
        screenshot(page, "sso-sign-in-390")
        page.get_by_role("link", name="Sign in with Test IdP").click()

        page.wait_for_url(f"{sso.provider.url}/**")
        page.get_by_label("Username").fill(person["username"])
        page.get_by_label("Password").fill(PROVIDER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        page.wait_for_url(f"{sso.base_url}/accounts/tokens/")
        assert page.get_by_role("heading", name="API tokens").is_visible()
        membership = Membership.objects.get(user__oidc_identity__subject=person["sub"])
        assert (membership.team.slug, membership.role) == ("platform", "lead")
    finally:
        context.close()


def test_a_person_mapped_to_nothing_reads_why_on_a_phone(sso, browser):
    person = sso.person(groups=["marketing"])
    context = browser.new_context(
        base_url=sso.base_url, viewport={"width": 390, "height": 800}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Sign in with Test IdP").click()
        page.get_by_label("Username").fill(person["username"])
        page.get_by_label("Password").fill(PROVIDER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        alert = page.get_by_role("alert")
        alert.get_by_role("heading", name="No access to Shipshape").wait_for()
        screenshot(page, "sso-refused-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
