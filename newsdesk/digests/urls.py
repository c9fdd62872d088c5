from django.urls import path

from newsdesk.digests import views

app_name = "digests"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("digests/<str:token>/", views.view, name="view"),
]
