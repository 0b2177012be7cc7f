"""The Gemini client, shared by the apps that use it (video moderation, viewers' preferences).

Gemini is optional: without GEMINI_API_KEY nothing calls it. GEMINI_BASE_URL points the real
google-genai client at another endpoint (a proxy, or the local fake server in tests)."""

from django.conf import settings


def configured() -> bool:
    return bool(settings.GEMINI_API_KEY)


def client(timeout_seconds: float | None = None):
    # google-genai is imported on first use: it costs about 0.5 s of start-up (measured with
    # `python -X importtime`), which every web worker and command would otherwise pay.
    from google import genai  # noqa: PLC0415
    from google.genai import types  # noqa: PLC0415

    # The Files API lives in v1beta; pinned so a custom base URL does not fall back to v1.
    timeout = timeout_seconds if timeout_seconds is not None else settings.GEMINI_TIMEOUT_SECONDS
    options = {"timeout": int(timeout * 1000), "api_version": "v1beta"}
    if settings.GEMINI_BASE_URL:
        options["base_url"] = settings.GEMINI_BASE_URL
    return genai.Client(api_key=settings.GEMINI_API_KEY, http_options=types.HttpOptions(**options))
