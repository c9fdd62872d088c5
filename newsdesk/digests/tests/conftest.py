from newsdesk.digests.tests.helpers import smtp

__all__ = ["smtp"]
