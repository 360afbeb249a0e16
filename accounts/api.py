from django.contrib.auth import authenticate, user_logged_in
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.authentication import AccountDeactivated
from accounts.models import User
from accounts.permissions import IsPlatformAdmin
from accounts.serializers import (
    AccessTokenSerializer,
    AdminCreateUserSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    ProfileSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserFilterSerializer,
    UserSerializer,
)
from accounts.tokens import issue_tokens, token_matches_password


class CannotDeleteSelf(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy(
        "You cannot delete your own account. Ask another administrator to do it."
    )
    default_code = "cannot_delete_self"


class PublicAPIView(APIView):
    """An endpoint for callers without a token, such as login."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        # Keeps a failed login a 401: DRF turns 401 into 403 when no
        # authentication class supplies this header.
        return 'Bearer realm="api"'


def token_pair(user):
    refresh = issue_tokens(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh), "token_type": "bearer"}


class RegisterView(PublicAPIView):
    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user = services.register_user(**serializer.validated_data)

        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(PublicAPIView):
    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        # Axes records failures and lockouts on the Django request, where its
        # middleware turns a lockout into a 429 response.
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise exceptions.AuthenticationFailed(
                _("Invalid username or password."), code="invalid_credentials"
            )
        # The signal updates last_login and clears axes' failure count.
        user_logged_in.send(sender=type(user), request=request._request, user=user)

        return Response(token_pair(user))


class RefreshView(PublicAPIView):
    @extend_schema(request=RefreshSerializer, responses={200: AccessTokenSerializer})
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as error:
            raise exceptions.AuthenticationFailed(
                _("The refresh token is invalid or expired. Log in again."),
                code="token_not_valid",
            ) from error
        user = User.objects.filter(pk=refresh.get("user_id")).first()
        if user is None or not token_matches_password(refresh, user):
            raise exceptions.AuthenticationFailed(
                _("The refresh token is no longer valid. Log in again."),
                code="token_revoked",
            )
        if not user.is_active:
            raise AccountDeactivated()

        return Response({"access": str(refresh.access_token), "token_type": "bearer"})


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class ProfileView(APIView):
    @extend_schema(responses={200: ProfileSerializer})
    def get(self, request):
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(request=ProfileSerializer, responses={200: ProfileSerializer})
    def patch(self, request):
        serializer = ProfileSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)

        serializer.save()

        return Response(serializer.data)


class PasswordChangeView(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)

        services.change_password(
            user=request.user, new_password=serializer.validated_data["new_password"]
        )

        # The caller's own tokens died with the old password; hand out new ones.
        return Response(token_pair(request.user))


class AdminUsersView(generics.GenericAPIView):
    permission_classes = [IsPlatformAdmin]
    serializer_class = UserSerializer

    @extend_schema(
        parameters=[OpenApiParameter("role", str, enum=["student", "instructor", "admin"])],
        responses={200: UserSerializer(many=True)},
    )
    def get(self, request):
        filters = UserFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)

        users = User.objects.order_by("id")
        if "role" in filters.validated_data:
            users = users.filter(role=filters.validated_data["role"])
        page = self.paginate_queryset(users)

        return self.get_paginated_response(UserSerializer(page, many=True).data)

    @extend_schema(request=AdminCreateUserSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = AdminCreateUserSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user = services.register_user(**serializer.validated_data)

        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class AdminUserView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses={204: None})
    def delete(self, request, user_id):
        user = get_object_or_404(User, pk=user_id)
        if user.pk == request.user.pk:
            raise CannotDeleteSelf()

        services.delete_user(user=user)

        return Response(status=status.HTTP_204_NO_CONTENT)
