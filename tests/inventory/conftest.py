import pytest

from inventory.models import Relationship


@pytest.fixture
def people(course):
    """A small inventory: a partner in dispute, a deceased father, a friend."""
    return {
        "partner": Relationship.objects.create(
            course=course, name="Sam", relation="husband", ring=1, changed_around_onset=True
        ),
        "father": Relationship.objects.create(
            course=course, name="Dad", relation="father", ring=2, deceased=True
        ),
        "friend": Relationship.objects.create(course=course, name="Ana", relation="friend", ring=3),
    }
