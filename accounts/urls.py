from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import company_views, digital_id_views, mfa_views, push_views, role_views, views
from accounts.forms import ResetPasswordForm

app_name = "accounts"

urlpatterns = [
    path("sign-up/", views.sign_up, name="sign_up"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("identity/", views.identity, name="identity"),
    path("identity/<int:user_id>/document/", views.identity_document, name="identity_document"),
    path("staff/identities/", views.review_queue, name="review_queue"),
    path("staff/identities/<int:user_id>/", views.review, name="review"),
    path("security/", mfa_views.security, name="security"),
    path("second-factor/", mfa_views.second_factor, name="second_factor"),
    path(
        "second-factor/passkey/new/options/",
        mfa_views.passkey_register_options,
        name="passkey_register_options",
    ),
    path("second-factor/passkey/new/", mfa_views.passkey_register, name="passkey_register"),
    path("second-factor/passkey/options/", mfa_views.passkey_options, name="passkey_options"),
    path("second-factor/passkey/", mfa_views.passkey_verify, name="passkey_verify"),
    path("staff/roles/", role_views.roles, name="roles"),
    path("staff/roles/<int:user_id>/", role_views.role, name="role"),
    path(
        "staff/roles/<int:user_id>/second-factor/reset/",
        role_views.reset_second_factor,
        name="reset_second_factor",
    ),
    path("language/", views.switch_language, name="switch_language"),
    path("push/subscription/", push_views.push_subscription, name="push_subscription"),
    path("companies/", company_views.companies, name="companies"),
    path(
        "companies/mandates/<int:mandate_id>/document/",
        company_views.mandate_document,
        name="mandate_document",
    ),
    path("staff/mandates/", company_views.mandate_queue, name="mandate_queue"),
    path("staff/mandates/<int:mandate_id>/", company_views.mandate_review, name="mandate_review"),
    path("digital-id/new/", digital_id_views.sign_up, name="digital_id_sign_up"),
    path("digital-id/<slug:country>/start/", digital_id_views.start, name="digital_id_start"),
    path(
        "digital-id/<slug:country>/callback/",
        digital_id_views.callback,
        name="digital_id_callback",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            form_class=ResetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
