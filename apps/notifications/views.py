"""The webhooks page, and each person's email notification preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.notifications import mail, selectors, services
from apps.notifications.models import EMAIL_EVENTS, EVENTS, EmailPreference

RECENT_ATTEMPTS = 200


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    """Webhooks of the teams the user leads, each with its latest attempts."""
    webhooks = list(selectors.webhook_list_for_user(request.user))
    attempts = selectors.recent_deliveries(webhooks, RECENT_ATTEMPTS)
    by_webhook: dict[int, list] = {}
    for attempt in attempts:
        by_webhook.setdefault(attempt.webhook_id, []).append(attempt)
    rows = [(webhook, by_webhook.get(webhook.pk, [])) for webhook in webhooks]
    return render(request, "notifications/webhooks.html", {"rows": rows})


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
    return redirect("notifications:webhooks")


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
