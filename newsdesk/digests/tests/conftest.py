from newsdesk.digests.tests.helpers import migrated, smtp

__all__ = ["migrated", "smtp"]
