"""What every adapter provides to the application."""

from __future__ import annotations

from typing import Protocol

from bot.core.effects import UPLOAD_LIMITS, FileLoader, StoredFile
from bot.core.outbox import PermanentFailure


class Adapter(Protocol):
    name: str

    async def run(self) -> None:
        """Serve until the platform session ends or `stop` is called."""
        ...

    async def stop(self) -> None: ...


async def file_to_upload(
    files: FileLoader | None, file_id: int | None, platform: str
) -> StoredFile | None:
    """The stored file an effect carries, for `platform`'s deliverer to upload; refused for
    good when it is gone or over the platform's limit (a DM then goes to the member's next
    platform)."""
    if file_id is None:
        return None
    file = await files(file_id) if files is not None else None
    if file is None:
        raise PermanentFailure(f"file {file_id} is not stored (or no file loader is set)")
    if len(file.data) > UPLOAD_LIMITS[platform]:
        raise PermanentFailure(f"file {file.filename} is over {platform}'s upload limit")
    return file
