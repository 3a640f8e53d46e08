from tests.coaching.conftest import world  # noqa: F401  (the shared fixture)
