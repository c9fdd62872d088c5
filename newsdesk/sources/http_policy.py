"""Build the guarded HTTP client's policy from Django settings."""

from __future__ import annotations

from django.conf import settings

from newsdesk.lib.http import FetchPolicy

_DEFAULTS = FetchPolicy()


def policy_from_settings() -> FetchPolicy:
    """The FetchPolicy the operator configured.

    getattr with defaults: this must work before (or without) the settings existing.
    The policy compares by value, so building it per fetch still reuses one pooled
    client in :func:`newsdesk.lib.http.fetch`.
    """
    networks = getattr(settings, "NEWSDESK_FETCH_ALLOW_NETWORKS", None) or []
    if isinstance(networks, str):  # a single CIDR given where a list was meant
        networks = [networks]
    return FetchPolicy(
        allow_networks=tuple(str(net).strip() for net in networks if str(net).strip()),
        max_bytes=int(getattr(settings, "NEWSDESK_FETCH_MAX_BYTES", _DEFAULTS.max_bytes)),
        deadline=float(getattr(settings, "NEWSDESK_FETCH_DEADLINE", _DEFAULTS.deadline)),
    )
