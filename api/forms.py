"""The office's forms: registering an API client, its webhook subscriptions, the log's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, Enterprise

from .models import ApiClient, Binding, Scope, WebhookDelivery, WebhookEvent
from .webhooks.services import validate_webhook_url


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The other system, e.g. “12345 hotline” or “Provincial enterprise portal”."),
    )
    contact = forms.CharField(
        label=_("Contact"),
        max_length=200,
        help_text=_("Who runs the other system: a name and a phone number or e-mail."),
    )
    binding = forms.ChoiceField(
        label=_("Acts for"),
        choices=Binding.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text=_(
            "The client sees and does exactly what a user of this kind would in the browser."
        ),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        help_text=_("Only when it acts for one department."),
    )
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=Enterprise.objects.order_by("name"),
        required=False,
        help_text=_("Only when it acts for one enterprise."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("What it may call; within them, what its binding allows."),
    )
    rate_per_minute = forms.IntegerField(
        label=_("Requests per minute"), min_value=1, max_value=6000, initial=120
    )

    def __init__(self, *args, client: ApiClient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        if client is not None:
            # Whom a client acts for is its service account's role: it stays. A client
            # that should act for someone else is a new client (with a new key).
            for name in ("binding", "department", "enterprise"):
                del self.fields[name]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = ApiClient.objects.filter(name__iexact=name)
        if self.client is not None:
            others = others.exclude(pk=self.client.pk)
        if others.exists():
            raise forms.ValidationError(_("A client with this name exists already."))
        return name

    def clean_contact(self):
        return self.cleaned_data["contact"].strip()

    def clean(self):
        data = super().clean()
        binding = data.get("binding")
        if binding == Binding.DEPARTMENT and not data.get("department"):
            self.add_error("department", _("Choose the department it acts for."))
        if binding == Binding.ENTERPRISE and not data.get("enterprise"):
            self.add_error("enterprise", _("Choose the enterprise it acts for."))
        return data


class WebhookSubscriptionForm(forms.Form):
    """The office's form for a client's webhook subscription (new or changed)."""

    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("Where the other system receives the events (https://…)."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The client is sent these events of the problems it may see (an enterprise's "
            "client: only those its enterprise sees)."
        ),
    )

    def clean_url(self):
        return validate_webhook_url(self.cleaned_data["url"])


class DeliveryFilterForm(forms.Form):
    """The delivery log's filters."""

    client = forms.ModelChoiceField(
        label=_("Client"), queryset=ApiClient.objects.order_by("name"), required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any state")), *WebhookDelivery.State.choices],
        required=False,
    )
