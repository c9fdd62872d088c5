from django.urls import path

from newsdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("follow/<slug:slug>/", views.follow, name="follow"),
    path("follow/<slug:slug>/sent/", views.follow_sent, name="follow-sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
