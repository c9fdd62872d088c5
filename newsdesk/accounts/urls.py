from django.urls import path

from newsdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("follow/<slug:slug>/", views.follow, name="follow"),
]
