"""Files: documents users send, photos and documents the bot uploads (within Telegram's limits),
getFile and the download URL that serves the bytes."""

from __future__ import annotations

import secrets

from aiohttp import web

from tests.fakes.telegram import message_payloads, wire
from tests.fakes.telegram.messages import Messages
from tests.fakes.telegram.state import ApiError, Method, UploadMethod, bad
from tests.fakes.telegram.wire import JSON

CAPTION_LIMIT = 1024  # characters in a photo's caption


# https://core.telegram.org/bots/api#getfile: "bots can download files of up to 20MB";
# #senddocument: "Bots can currently send files of any type of up to 50 MB in size".
DOWNLOAD_LIMIT = 20_000_000
UPLOAD_LIMIT = 50_000_000


class Files(Messages):
    """Uploads and downloads."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("sendPhoto", self._send_photo),
            ("getFile", self._get_file),
        ]

    def _upload_methods(self) -> list[UploadMethod]:
        return [*super()._upload_methods(), ("sendDocument", self._send_document)]

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        *,
        mime_type: str = "application/octet-stream",
        caption: str = "",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """The user sends a file, with `caption` ("/drop new ..." makes it a command), as a
        reply to message `reply_to` if set. Returns the message, as the bot receives it."""
        document = {**self._store_file(data), "file_name": filename, "mime_type": mime_type}
        return await self._user_message(
            user_id, chat_id, caption, reply_to, None, document=document
        )

    def file_bytes(self, file_id: str) -> bytes:
        """What a file (a user's or one the bot sent) holds."""
        return self._files[file_id][1]

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] == self.TOKEN:
            path = request.match_info["path"]
            for file_path, data in self._files.values():
                if file_path == path:
                    return web.Response(body=data, content_type="application/octet-stream")
        return web.json_response(wire.error(404, "Not Found: file not found"), status=404)

    def _store_file(self, data: bytes) -> JSON:
        """Keep a file's bytes; its Document fields (file_id, file_unique_id, file_size)."""
        number = len(self._files) + 1
        file_id = f"BQACAgIAAxkB{secrets.token_urlsafe(24)}"
        self._files[file_id] = (f"documents/file_{number}", data)
        return {"file_id": file_id, "file_unique_id": f"AgAD{number}", "file_size": len(data)}

    async def _send_photo(self, params: JSON) -> JSON:
        """A photo (uploaded as multipart, "attach://..."), with an optional caption of at most
        1024 characters. The sizes Telegram makes of it are not decoded here: fixed ones."""
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        if not params.get("photo"):
            raise bad("there is no photo in the request")
        caption = str(params.get("caption") or "")
        if len(caption) > CAPTION_LIMIT:
            raise bad("message caption is too long")
        sizes = [
            message_payloads.photo_size(width, height)
            for width, height in ((320, 224), (1000, 700))
        ]
        fields: JSON = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._record_bot_message(message)
        return message

    async def _send_document(self, params: JSON, files: dict[str, bytes]) -> JSON:
        """A file uploaded as multipart ("attach://<name>"), with an optional caption."""
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        reference = str(params.get("document") or "")
        name = reference.removeprefix("attach://")
        if not reference.startswith("attach://") or name not in files:
            raise bad("there is no document in the request")
        data = files[name]
        if len(data) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        caption = str(params.get("caption") or "")
        if len(caption) > CAPTION_LIMIT:
            raise bad("message caption is too long")
        document = {**self._store_file(data), "file_name": name}
        fields: JSON = {"document": document}
        if caption:
            fields["caption"] = caption
        thread = self._thread(chat_id, params, None)
        if thread is not None:
            fields.update(message_thread_id=thread, is_topic_message=True)
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._record_bot_message(message)
        return message

    async def _get_file(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise bad("invalid file_id")
        path, data = self._files[file_id]
        if len(data) > DOWNLOAD_LIMIT:
            raise bad("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{list(self._files).index(file_id) + 1}",
            "file_size": len(data),
            "file_path": path,
        }
