"""Settings read from the environment: typos stop start-up, production settings pass the deploy check."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    full_env = {**os.environ, **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by conftest for Playwright only
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_a_malformed_boolean_stops_start_up_naming_the_variable():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_a_malformed_integer_stops_start_up_naming_the_variable():
    result = manage("check", UPLOAD_MAX_BYTES="200MB")
    assert result.returncode != 0
    assert "UPLOAD_MAX_BYTES must be an integer" in result.stderr


def test_production_settings_pass_the_deploy_check():
    key = "".join(secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)") for _ in range(50))
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_HTTPS="true",
        DJANGO_SECRET_KEY=key,
        DJANGO_ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_s3_media_needs_a_bucket_and_the_backend_must_be_known():
    result = manage("check", MEDIA_STORAGE="s3", S3_BUCKET="")
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs S3_BUCKET" in result.stderr
    result = manage("check", MEDIA_STORAGE="nfs")
    assert result.returncode != 0
    assert "MEDIA_STORAGE must be 'local' or 's3'" in result.stderr
    result = manage("check", MEDIA_STORAGE="s3", S3_BUCKET="clip-media", S3_ENDPOINT_URL="http://127.0.0.1:9000")
    assert result.returncode == 0, result.stderr
