"""A local S3-compatible server for the tests: moto's server mode (`moto_server`, from the dev
requirements) on a free port, started once per session like the fake Gemini server. Each test
that stores media in it gets a bucket of its own (`fresh_bucket`)."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3

from tiktok.settings import s3_storage_options

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
# moto accepts any credentials; these are set only where none are (never real ones in tests).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class S3Server:
    def __init__(self, log_path: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")  # noqa: SIM115 (open for the server's lifetime)
        self.process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2).close()
                break
            except (OSError, urllib.error.URLError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start; see {log_path}") from None
                time.sleep(0.2)

    def client(self, endpoint: str | None = None):
        return boto3.client("s3", endpoint_url=endpoint or self.endpoint, **_credential_kwargs())

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"clip-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def _credential_kwargs() -> dict:
    return {
        "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "region_name": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }


def use_bucket(settings, *, endpoint: str, bucket: str) -> None:
    """Point the default storage of this test at `bucket` (pytest-django's `settings` fixture
    restores the previous storage afterwards; Django resets the storage when STORAGES changes)."""
    settings.MEDIA_STORAGE = "s3"
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = endpoint
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(bucket=bucket, endpoint_url=endpoint, addressing_style="path"),
        },
    }
