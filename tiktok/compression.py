"""Pages are sent gzip-compressed; media, posters and downloads are already compressed or
streamed with Range, and pass untouched.

BREACH (guessing a secret reflected in a compressed response from its length) does not apply:
Django masks the CSRF token afresh in every response, and GZipMiddleware pads every compressed
body with a random number of bytes (Django's "Heal the Breach" mitigation); no other secret is
written into pages."""

from django.middleware.gzip import GZipMiddleware

COMPRESSED_TYPES = ("text/html", "application/json", "text/plain", "text/vtt")


class PageGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if response.streaming or not response.get("Content-Type", "").startswith(COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
