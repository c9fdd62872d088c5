from django.urls import path

from newsdesk.accounts import account_views as account
from newsdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("follow/<slug:slug>/", views.follow, name="follow"),
    path("follow/<slug:slug>/sent/", views.follow_sent, name="follow-sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    # Reader accounts (account_views.py); Django's auth views with the site's templates.
    path("account/signup/", account.signup, name="signup"),
    path("account/signup/sent/", account.signup_sent, name="signup-sent"),
    path("account/activate/<str:token>/", account.activate, name="activate"),
    path("account/login/", account.login_view, name="login"),
    path("account/logout/", account.logout_view, name="logout"),
    path("account/password/reset/", account.password_reset, name="password-reset"),
    path("account/password/reset/sent/", account.password_reset_done, name="password-reset-done"),
    path(
        "account/password/reset/<uidb64>/<token>/",
        account.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path(
        "account/password/reset/done/",
        account.password_reset_complete,
        name="password-reset-complete",
    ),
    path("account/password/change/", account.password_change, name="password-change"),
    path(
        "account/password/change/done/",
        account.password_change_done,
        name="password-change-done",
    ),
    path("account/settings/", account.account_settings, name="settings"),
    path("account/follows/<int:pk>/", account.follow_update, name="follow-update"),
    path("account/export/", account.export, name="export"),
    path("account/delete/", account.delete_account, name="delete"),
    path("account/deleted/", account.deleted, name="deleted"),
    path("for-you/", account.for_you, name="for-you"),
]
