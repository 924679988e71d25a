"""The demo's tests use the support desk's staff fixtures."""

from tests.support.conftest import execution_staff, finance_staff

__all__ = ["execution_staff", "finance_staff"]
