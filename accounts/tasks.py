"""Background jobs for accounts (thin: each calls one service)."""

from accounts import privacy


def build_data_export(export_id: int) -> None:
    privacy.data_export_build(export_id=export_id)


def remove_expired_exports() -> int:
    return privacy.data_exports_expire()
