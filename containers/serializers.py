from rest_framework import serializers

from containers.models import Container


class ContainerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Container
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "image",
            "created_at",
            "status_changed_at",
            "last_activity_at",
            "expires_at",
            "error_message",
        ]
        read_only_fields = fields
