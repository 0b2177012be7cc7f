"""Avatars: a picture whose header claims huge dimensions is refused before it is decoded (a
decompression bomb: a 140 KB PNG of 12,000 x 12,000 pixels once cost a worker 730 MB), and
each account may change its avatar only so often."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.services import avatar_process

pytestmark = pytest.mark.django_db


def bomb_png(width: int, height: int) -> bytes:
    """A valid 8-bit greyscale PNG of black pixels, compressed row by row: a few hundred KB on
    disk whatever the dimensions, width x height bytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then the pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def post_avatar(client, data: bytes, **fields):
    upload = SimpleUploadedFile("me.png", data, content_type="image/png")
    return client.post("/accounts/profile/", {"display_name": "", "bio": "", "avatar": upload, **fields})


def stored_avatars(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "avatars"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def peak_rss_reset() -> bool:
    """Reset this process's peak resident size (Linux: /proc/self/clear_refs), so VmHWM then
    measures what the next step costs. False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM line in /proc/self/status")


def test_a_12000_by_12000_png_is_refused_from_its_header_without_being_decoded(client, make_user, settings):
    data = bomb_png(12_000, 12_000)
    assert len(data) < 200_000  # small enough for every byte limit: only the dimensions give it away
    user = make_user()
    client.force_login(user)
    measured = peak_rss_reset()
    before = peak_rss_bytes()
    response = post_avatar(client, data)
    grown = peak_rss_bytes() - before
    body = response.content.decode()
    assert response.status_code == 200
    assert "The avatar is 12000 × 12000 pixels; the limit is 16,777,216 pixels (4096 × 4096)." in body
    user.refresh_from_db()
    assert not user.avatar
    assert stored_avatars(settings) == []
    if measured:  # decoding it would take 144 MB for the pixels alone, 430 MB more as RGB
        assert grown < 60 * 1024 * 1024, f"the refused upload grew the process by {grown / 2**20:.0f} MB"


def test_the_pixel_cap_is_a_setting_and_pictures_within_it_still_pass(client, make_user, settings):
    settings.AVATAR_MAX_PIXELS = 500 * 500
    user = make_user()
    client.force_login(user)
    response = post_avatar(client, png((800, 800)))
    assert "The avatar is 800 × 800 pixels; the limit is 250,000 pixels (500 × 500)." in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar

    assert post_avatar(client, png((600, 400))).status_code == 302
    user.refresh_from_db()
    with Image.open(user.avatar.path) as image:
        assert image.size == (256, 256)


def test_the_service_refuses_with_one_line_before_reading_the_pixels(settings):
    settings.AVATAR_MAX_PIXELS = 1000 * 1000
    upload = SimpleUploadedFile("wide.png", bomb_png(5000, 300), content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        avatar_process(upload=upload)
    (message,) = caught.value.messages
    assert message == "The avatar is 5000 × 300 pixels; the limit is 1,000,000 pixels (1000 × 1000)."
    assert "\n" not in message


def test_avatar_changes_are_limited_per_account_and_a_refused_change_keeps_everything(client, make_user, settings):
    settings.AVATAR_CHANGES_PER_HOUR = 2
    user = make_user()
    client.force_login(user)
    for _ in range(2):
        assert post_avatar(client, png((300, 300))).status_code == 302
    user.refresh_from_db()
    kept = user.avatar.name
    files = stored_avatars(settings)

    response = post_avatar(client, png((300, 300)), display_name="Renamed")
    assert response.status_code == 429
    assert "You have changed your avatar 2 times in the last hour; try again later." in response.content.decode()
    user.refresh_from_db()
    assert user.avatar.name == kept and user.display_name != "Renamed"
    assert stored_avatars(settings) == files

    # Removing an avatar uploads nothing and is always allowed; other accounts have their own
    # allowance.
    response = client.post("/accounts/profile/", {"display_name": "", "bio": "", "remove_avatar": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar
    other = make_user("other")
    client.force_login(other)
    assert post_avatar(client, png((300, 300))).status_code == 302
