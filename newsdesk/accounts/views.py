from django.http import HttpRequest, HttpResponse


def follow(request: HttpRequest, slug: str) -> HttpResponse:
    # Placeholder until the subscription flow (double opt-in) lands.
    return HttpResponse(status=501)
