"""/integrations/: the office manages a client's webhook subscriptions and reads the
delivery log (filter, attempts, send again, enable a disabled subscription)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison import permissions
from liaison.pages import page_of, role_required

from .forms import DeliveryFilterForm, WebhookSubscriptionForm
from .models import ApiClient, WebhookDelivery, WebhookSubscription
from .webhooks import services


def _client_or_404(pk: int) -> ApiClient:
    client = ApiClient.objects.filter(pk=pk).first()
    if client is None:
        raise Http404
    return client


def _subscription_or_404(pk: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_related("client").filter(pk=pk).first()
    if subscription is None:
        raise Http404
    return subscription


def _to(subscription_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("integrations:subscription_detail", args=[subscription_id]))


@role_required(permissions.is_office)
@never_cache
@require_http_methods(["GET", "POST"])
def subscription_create(request, pk: int):
    client = _client_or_404(pk)
    form = WebhookSubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.subscription_create(
                client=client,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
        except ValidationError as error:
            form.add_error("url", error)
        else:
            messages.success(
                request, _("The subscription is saved. Give its secret to the client.")
            )
            return _to(subscription.pk)
    return render(
        request,
        "api/subscription_form.html",
        {"form": form, "client": client, "subscription": None},
    )


@role_required(permissions.is_office)
@never_cache
@require_http_methods(["GET", "POST"])
def subscription_detail(request, pk: int):
    """The subscription: its secret, its state, its last deliveries; change it."""
    subscription = _subscription_or_404(pk)
    initial = {"url": subscription.url, "event_types": subscription.event_types}
    form = WebhookSubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(
                subscription_id=subscription.pk,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
        except ValidationError as error:
            form.add_error("url", error)
        else:
            messages.success(request, _("The subscription is changed."))
            return _to(subscription.pk)
    deliveries = list(
        WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at")[:10]
    )
    return render(
        request,
        "api/subscription_detail.html",
        {
            "subscription": subscription,
            "client": subscription.client,
            "form": form,
            "deliveries": deliveries,
        },
    )


@role_required(permissions.is_office)
@require_POST
def subscription_rotate_secret(request, pk: int):
    subscription = _subscription_or_404(pk)
    services.subscription_rotate_secret(subscription_id=subscription.pk)
    messages.success(
        request,
        _("A new secret is made: the old one no longer signs. Give the client the new one."),
    )
    return _to(subscription.pk)


@role_required(permissions.is_office)
@require_POST
def subscription_enable(request, pk: int):
    subscription = _subscription_or_404(pk)
    if services.subscription_enable(subscription_id=subscription.pk):
        messages.success(request, _("The subscription is enabled: waiting deliveries go out now."))
    else:
        messages.info(request, _("This subscription was enabled already."))
    return _to(subscription.pk)


@role_required(permissions.is_office)
@require_POST
def subscription_disable(request, pk: int):
    subscription = _subscription_or_404(pk)
    if services.subscription_disable(
        subscription_id=subscription.pk, reason=_("Disabled by the liaison office.")
    ):
        messages.success(request, _("The subscription is disabled: no events are sent to it."))
    else:
        messages.info(request, _("This subscription was disabled already."))
    return _to(subscription.pk)


@role_required(permissions.is_office)
@require_POST
def subscription_delete(request, pk: int):
    subscription = _subscription_or_404(pk)
    services.subscription_delete(subscription_id=subscription.pk)
    messages.success(request, _("The subscription and its deliveries are deleted."))
    return HttpResponseRedirect(
        reverse("integrations:client_detail", args=[subscription.client_id])
    )


@role_required(permissions.is_office)
@require_GET
def delivery_list(request):
    """The delivery log: newest first, by client and state (three queries a page)."""
    form = DeliveryFilterForm(request.GET or None)
    deliveries = WebhookDelivery.objects.select_related(
        "subscription__client", "event__problem"
    ).order_by("-created_at", "-id")
    querystring = ""
    if form.is_valid():
        if form.cleaned_data["client"]:
            deliveries = deliveries.filter(subscription__client=form.cleaned_data["client"])
        if form.cleaned_data["state"]:
            deliveries = deliveries.filter(state=form.cleaned_data["state"])
        params = request.GET.copy()
        params.pop("page", None)
        querystring = params.urlencode()
    return render(
        request,
        "api/delivery_list.html",
        {"form": form, "page": page_of(request, deliveries), "querystring": querystring},
    )


def _delivery_or_404(pk) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("subscription__client", "event__problem")
        .filter(pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


@role_required(permissions.is_office)
@require_GET
def delivery_detail(request, pk):
    delivery = _delivery_or_404(pk)
    return render(
        request,
        "api/delivery_detail.html",
        {"delivery": delivery, "attempts": list(delivery.attempt_log.order_by("number", "pk"))},
    )


@role_required(permissions.is_office)
@require_POST
def delivery_send_again(request, pk):
    delivery = _delivery_or_404(pk)
    if services.delivery_send_again(delivery_id=delivery.pk):
        messages.success(request, _("The delivery will be sent again, with the same id."))
    else:
        messages.info(request, _("This delivery is still waiting to be sent."))
    return HttpResponseRedirect(reverse("integrations:delivery_detail", args=[delivery.pk]))
