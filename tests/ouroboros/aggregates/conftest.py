"""The findings tests' counter of DynamoDB writes, for the rebuild tests."""

from tests.ouroboros.findings.conftest import writes

__all__ = ["writes"]
