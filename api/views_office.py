"""/integrations/: the office registers API clients, sees their use and revokes them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison import permissions
from liaison.pages import page_of, role_required

from . import services
from .forms import ApiClientForm
from .models import ApiClient


@role_required(permissions.is_office)
@require_GET
def client_list(request):
    clients = ApiClient.objects.select_related("department", "enterprise").order_by(
        "revoked_at", "name"
    )
    return render(
        request,
        "api/client_list.html",
        {"page": page_of(request, clients), "querystring": ""},
    )


@role_required(permissions.is_office)
@never_cache
@require_http_methods(["GET", "POST"])
def client_create(request):
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client, key = services.client_create(
            actor=request.user,
            name=data["name"],
            contact=data["contact"],
            binding=data["binding"],
            department=data["department"],
            enterprise=data["enterprise"],
            scopes=data["scopes"],
            rate_per_minute=data["rate_per_minute"],
        )
        # The key is shown on this one answer and never again (only its hash is kept).
        return render(request, "api/client_key.html", {"client": client, "key": key})
    return render(request, "api/client_form.html", {"form": form})


@role_required(permissions.is_office)
@require_GET
def client_detail(request, pk: int):
    client = (
        ApiClient.objects.select_related("department", "enterprise", "created_by", "revoked_by")
        .filter(pk=pk)
        .first()
    )
    if client is None:
        raise Http404
    subscriptions = list(client.webhook_subscriptions.order_by("pk"))
    return render(
        request, "api/client_detail.html", {"client": client, "subscriptions": subscriptions}
    )


@role_required(permissions.is_office)
@require_http_methods(["GET", "POST"])
def client_edit(request, pk: int):
    client = ApiClient.objects.filter(pk=pk).first()
    if client is None:
        raise Http404
    if client.revoked_at is not None:
        messages.error(request, _("A revoked client can no longer be changed."))
        return HttpResponseRedirect(reverse("integrations:client_detail", args=[pk]))
    initial = {
        "name": client.name,
        "contact": client.contact,
        "scopes": client.scopes,
        "rate_per_minute": client.rate_per_minute,
    }
    form = ApiClientForm(request.POST or None, initial=initial, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.client_update(
            client_id=client.pk,
            name=data["name"],
            contact=data["contact"],
            scopes=data["scopes"],
            rate_per_minute=data["rate_per_minute"],
        )
        messages.success(request, _("The client is saved; its key is unchanged."))
        return HttpResponseRedirect(reverse("integrations:client_detail", args=[pk]))
    return render(request, "api/client_form.html", {"form": form, "client": client})


@role_required(permissions.is_office)
@require_POST
def client_revoke(request, pk: int):
    if not ApiClient.objects.filter(pk=pk).exists():
        raise Http404
    if services.client_revoke(actor=request.user, client_id=pk):
        messages.success(request, _("The key is revoked: the client can no longer call the API."))
    else:
        messages.info(request, _("This key was revoked already."))
    return HttpResponseRedirect(reverse("integrations:client_detail", args=[pk]))
