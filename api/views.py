"""The REST API v1's views (api/urls.py). Each loads through the user's selectors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from liaison import permissions as roles

from .permissions import client_of


@extend_schema(
    summary="Who is calling",
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "role": serializers.CharField(allow_null=True),
            "client": serializers.CharField(allow_null=True),
            "binding": serializers.CharField(allow_null=True),
            "scopes": serializers.ListField(child=serializers.CharField()),
        },
    ),
)
@api_view(["GET"])
def me(request):
    """The account the request acts as: an API client's, or the signed-in user's."""
    client = client_of(request)
    return Response(
        {
            "username": request.user.get_username(),
            "role": roles.role_of(request.user),
            "client": client.name if client else None,
            "binding": client.binding if client else None,
            "scopes": list(client.scopes) if client else [],
        }
    )
