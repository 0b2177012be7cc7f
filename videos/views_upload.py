"""Creator pages: upload, processing status, edit and delete. (Filled in by the video pipeline.)"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render


@login_required
def upload(request):
    return render(request, "videos/upload.html")


@login_required
def status(request, public_id):
    raise Http404


@login_required
def edit(request, public_id):
    raise Http404


@login_required
def delete(request, public_id):
    raise Http404
