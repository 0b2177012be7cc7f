"""Media behind permission checks: renditions (with HTTP Range), posters, captions, avatars."""

from django.http import Http404


def rendition(request, public_id, rendition):
    raise Http404


def poster(request, public_id):
    raise Http404


def captions(request, public_id):
    raise Http404


def avatar(request, name):
    raise Http404
