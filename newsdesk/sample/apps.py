from django.apps import AppConfig


class SampleConfig(AppConfig):
    """The bundled sample news world and the `demo` command that runs the main job on it."""

    name = "newsdesk.sample"
    label = "sample"
