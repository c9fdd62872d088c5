from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "newsdesk.digests"
    label = "digests"
