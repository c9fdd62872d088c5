from django.urls import path

from newsdesk.digests import views, webhooks

app_name = "digests"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("digests/<str:token>/", views.view, name="view"),
    path("subscription/<str:token>/", views.manage, name="manage"),
    path("email/events/", webhooks.email_events, name="email-events"),
]
