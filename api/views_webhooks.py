"""/api/v1/webhooks/: a client with the `webhooks` scope manages its own subscriptions."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from .models import Scope, WebhookEvent, WebhookSubscription
from .permissions import client_of
from .webhooks import services


def _checked(function, value):
    try:
        return function(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from None


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )
    active = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "active", "disabled_at", "created_at"]
        read_only_fields = ["id", "active", "disabled_at", "created_at"]

    def get_active(self, subscription) -> bool:
        return subscription.is_active

    def validate_url(self, value):
        return _checked(services.validate_webhook_url, value)

    def validate_event_types(self, value):
        return _checked(services.validate_event_types, value)


class WebhookSubscriptionWithSecretSerializer(WebhookSubscriptionSerializer):
    """On creation and on a new secret only: the secret that signs the deliveries."""

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSubscriptionSerializer.Meta.read_only_fields, "secret"]


class WebhookSubscriptionViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """The calling client's webhook subscriptions (another client's are a 404).

    The secret is in the answer to a creation and to `rotate-secret`, never in a read.
    """

    serializer_class = WebhookSubscriptionSerializer
    required_scopes = Scope.WEBHOOKS
    pagination_class = None

    def get_queryset(self):
        client = client_of(self.request)
        if client is None:
            # A browser user has no subscriptions of its own (the office uses its pages).
            return WebhookSubscription.objects.none()
        return WebhookSubscription.objects.filter(client=client).order_by("pk")

    def _client(self):
        client = client_of(self.request)
        if client is None:
            raise NotFound
        return client

    @extend_schema(responses=WebhookSubscriptionWithSecretSerializer)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            subscription = services.subscription_create(
                client=self._client(),
                url=serializer.validated_data["url"],
                event_types=serializer.validated_data["event_types"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"url": error.messages}) from None
        return Response(WebhookSubscriptionWithSecretSerializer(subscription).data, status=201)

    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        serializer = self.get_serializer(
            subscription, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        try:
            subscription = services.subscription_update(
                subscription_id=subscription.pk,
                url=serializer.validated_data.get("url"),
                event_types=serializer.validated_data.get("event_types"),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"url": error.messages}) from None
        return Response(self.get_serializer(subscription).data)

    def perform_destroy(self, instance):
        services.subscription_delete(subscription_id=instance.pk)

    @extend_schema(request=None, responses=WebhookSubscriptionWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret; the old one stops signing at once."""
        subscription = services.subscription_rotate_secret(subscription_id=self.get_object().pk)
        return Response(WebhookSubscriptionWithSecretSerializer(subscription).data)
