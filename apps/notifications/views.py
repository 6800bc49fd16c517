"""The webhooks page, and each person's email notification preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.core.forms import add_service_error
from apps.notifications import mail, selectors, services
from apps.notifications.forms import WebhookChangeForm, WebhookForm
from apps.notifications.models import EMAIL_EVENTS, EVENTS, EmailPreference

RECENT_ATTEMPTS = 200


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    """Webhooks of the teams the user leads, each with its latest attempts, and
    the form that adds one."""
    return _webhook_page(request, _new_form(request))


@login_required
@require_POST
def webhook_new(request: HttpRequest) -> HttpResponse:
    """Add a webhook; the page shows its secret once, in this answer only."""
    form = _new_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            webhook, secret = services.webhook_create(
                team=data["team"],
                name=data["name"],
                url=data["url"],
                events=data["events"],
                slack=data["slack"],
                secret=data["secret"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Webhook {webhook.name} added.")
            return _webhook_page(request, _new_form(request), created=(webhook, secret))
    return _webhook_page(request, form, status=400)


@login_required
@require_POST
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a webhook's name, URL, events, body shape, or pause it."""
    webhook = _webhook(request, pk)
    form = WebhookChangeForm(request.POST, prefix=f"webhook-{webhook.pk}")
    if form.is_valid():
        try:
            services.webhook_update(
                webhook=webhook, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Webhook {form.cleaned_data['name']} saved.")
            return redirect(f"{reverse('notifications:webhooks')}#webhook-{pk}")
    return _webhook_page(
        request, _new_form(request), editing=(webhook.pk, form), status=400
    )


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a webhook and its delivery log."""
    webhook = _webhook(request, pk)
    services.webhook_delete(webhook=webhook, by=request.user)
    messages.success(request, f"Webhook {webhook.name} deleted.")
    return redirect("notifications:webhooks")


def _webhook(request: HttpRequest, pk: int):
    """One of the webhooks the user manages; 404 for any other."""
    return get_object_or_404(selectors.webhook_list_for_user(request.user), pk=pk)


def _new_form(request: HttpRequest, data=None) -> WebhookForm | None:
    """The form adding a webhook, or None when the user leads no team."""
    teams = list(selectors.teams_managed_by(request.user))
    if not teams:
        if data is not None:
            raise PermissionDenied("Only a team's leads can add its webhooks.")
        return None
    return WebhookForm(data, teams=teams)


def _webhook_page(
    request: HttpRequest,
    form: WebhookForm | None,
    *,
    created: tuple | None = None,
    editing: tuple | None = None,
    status: int = 200,
) -> HttpResponse:
    webhooks = list(selectors.webhook_list_for_user(request.user))
    attempts = selectors.recent_deliveries(webhooks, RECENT_ATTEMPTS)
    by_webhook: dict[int, list] = {}
    for attempt in attempts:
        by_webhook.setdefault(attempt.webhook_id, []).append(attempt)
    # Only the latest attempt of a delivery that gave up can be resent.
    latest: set[int] = set()
    seen: set = set()
    for attempt in attempts:  # newest first
        if attempt.delivery_id not in seen:
            seen.add(attempt.delivery_id)
            latest.add(attempt.pk)
    for attempt in attempts:
        attempt.resendable = attempt.pk in latest and attempt.status == "gave_up"
    rows = []
    for webhook in webhooks:
        if editing and editing[0] == webhook.pk:
            change = editing[1]
        else:
            change = WebhookChangeForm(
                prefix=f"webhook-{webhook.pk}",
                initial={
                    "name": webhook.name,
                    "url": webhook.url,
                    "events": webhook.events,
                    "slack": webhook.slack,
                    "active": webhook.active,
                },
            )
        rows.append((webhook, by_webhook.get(webhook.pk, []), change))
    context = {"rows": rows, "form": form, "created": created, "editing": editing}
    return render(request, "notifications/webhooks.html", context, status=status)


@login_required
@require_POST
def delivery_resend(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Send a delivery that gave up once more (API: webhook-deliveries/{id}/resend/)."""
    attempt = get_object_or_404(
        selectors.delivery_attempts_for_user(request.user), pk=attempt_id
    )
    try:
        services.webhook_delivery_resend(attempt=attempt, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Sent again: see its new attempt below.")
    return redirect(f"{reverse('notifications:webhooks')}#webhook-{attempt.webhook_id}")


@login_required
def email_preferences(request: HttpRequest) -> HttpResponse:
    """Which events reach the signed-in person by email, and the digest option."""
    preference = EmailPreference.objects.filter(user=request.user).first()
    if request.method == "POST":
        try:
            mail.email_preference_save(
                user=request.user,
                events=request.POST.getlist("events"),
                digest=request.POST.get("digest") == "on",
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Email preferences saved.")
        return redirect("notifications:email-preferences")
    chosen = preference.events if preference else list(EMAIL_EVENTS)
    labels = dict(EVENTS)
    context = {
        "choices": [(event, labels[event], event in chosen) for event in EMAIL_EVENTS],
        "digest": preference.digest if preference else False,
    }
    return render(request, "notifications/preferences.html", context)
