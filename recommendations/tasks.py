"""Thin jobs for the recommender's nightly schedules."""

from recommendations import services


def train_recommender():
    services.recommender_train()


def analyze_preferences():
    services.preferences_analyze()
