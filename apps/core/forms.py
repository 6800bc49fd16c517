"""Form helpers shared by every app's pages."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors on the form's fields, or above it for the others."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def edit_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: Callable[[dict], object],
    done: str,
    template: str,
    context: dict,
) -> HttpResponse:
    """A form page that writes through one service: a valid POST calls `save`
    with the cleaned data and goes to `done`; a refusal shows beside its field
    (or above the form) and nothing is saved. A GET shows the form."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect(done)
    return render(request, template, {**context, "form": form})
