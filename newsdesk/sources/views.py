"""Staff pages for sources: OPML import (upload, with the same report as the CLI) and
export (download). Staff only: importing makes the server fetch the listed URLs."""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.opml_io import OpmlParseError, export_opml, import_opml

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label="OPML file")

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("That file is over 5 MB; OPML lists are much smaller.")
        return upload


@staff_member_required
@require_http_methods(["GET", "POST"])
def opml_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = import_opml(form.cleaned_data["file"].read(), policy_from_settings())
        except OpmlParseError as exc:
            form.add_error("file", f"This is not a usable OPML file: {exc}")
    return render(request, "sources/opml_import.html", {"form": form, "report": report})


@staff_member_required
@require_GET
def opml_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(export_opml().data, content_type="text/x-opml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="newsdesk-sources.opml"'
    return response
