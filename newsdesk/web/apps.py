from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "newsdesk.web"
    label = "web"
