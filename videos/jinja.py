"""The Jinja2 environment for the few templates on the hottest paths (the feed's cards): the
same URL helper and display filters as the Django templates use."""

from jinja2 import Environment

from tiktok.links import link
from videos.templatetags.clip import ago, compact, hashtags


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals["link"] = link
    env.filters.update(ago=ago, compact=compact, hashtags=hashtags)
    return env
