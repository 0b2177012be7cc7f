"""Creator forms: the upload's fields (the file itself streams through the upload handler) and edits."""

from django import forms

from videos.models import Category, Video


class VideoDetailsForm(forms.Form):
    title = forms.CharField(max_length=150, strip=True)
    description = forms.CharField(
        max_length=2200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Add #hashtags to help people find it.",
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        help_text="Pick one or more.",
    )
    visibility = forms.ChoiceField(
        choices=[
            (Video.Visibility.PUBLIC, "Public: in feeds and search"),
            (Video.Visibility.UNLISTED, "Unlisted: only people with the link"),
            (Video.Visibility.PRIVATE, "Private: only you"),
        ],
        initial=Video.Visibility.PUBLIC,
    )
    allow_comments = forms.BooleanField(required=False, initial=True, label="Allow comments")


class VideoEditForm(VideoDetailsForm):
    poster_time = forms.FloatField(
        min_value=0,
        required=False,
        label="Poster frame (seconds into the video)",
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )

    def __init__(self, *args, video: Video, **kwargs):
        super().__init__(*args, **kwargs)
        self.video = video
        if video.duration:
            self.fields["poster_time"].max_value = video.duration
            self.fields["poster_time"].widget.attrs["max"] = f"{video.duration:.1f}"

    def clean_poster_time(self):
        value = self.cleaned_data.get("poster_time")
        if value is not None and self.video.duration and value > self.video.duration:
            raise forms.ValidationError(f"The video is {self.video.duration:.1f} s long.")
        return value
