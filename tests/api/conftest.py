import pytest
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client signed in with a session, as the browser pages' JavaScript would be."""
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def admin(personas) -> APIClient:
    return client_for(personas.admin)
