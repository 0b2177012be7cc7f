"""Recommender pages: picking interests (cold start)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from recommendations.models import ViewerProfile
from recommendations.services import profile_set_interests
from videos.models import Category

MAX_INTERESTS = 10


@login_required
@require_http_methods(["GET", "POST"])
def interests(request):
    """A new viewer picks a few categories; the next feed page starts from them."""
    categories = list(Category.objects.filter(active=True))
    if request.method == "POST":
        try:
            picked = [int(v) for v in request.POST.getlist("category")]
        except ValueError:
            return render(
                request,
                "recommendations/interests.html",
                {"categories": categories, "error": "Pick from the list."},
                status=400,
            )
        if len(picked) > MAX_INTERESTS:
            return render(
                request,
                "recommendations/interests.html",
                {"categories": categories, "error": f"Pick at most {MAX_INTERESTS}."},
                status=400,
            )
        profile_set_interests(user=request.user, category_ids=picked)
        messages.success(request, "Your feed will start from what you picked.")
        return redirect("videos:feed")
    chosen = ViewerProfile.objects.filter(user=request.user).values_list("interests", flat=True).first() or []
    return render(request, "recommendations/interests.html", {"categories": categories, "chosen": set(chosen)})
