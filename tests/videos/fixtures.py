"""Fixtures shared by the video pipeline tests (imported where needed, so other test modules
in this folder are unaffected)."""

import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def default_categories(db):
    """The 19 categories the data migration seeds; a transactional test elsewhere in the run
    flushes them, so put them back (idempotent)."""
    importlib.import_module("videos.migrations.0003_seed_categories").seed(apps, None)
