"""One path for every event: identity -> locale -> permission -> rate limit -> handler.

Each event is served in one unit of work: the handler's writes, the identity bookkeeping and
the audit entries commit together or not at all.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Sequence

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.commands import (
    Args,
    ArgumentError,
    CommandSpec,
    ParamKind,
    long_text_length,
    parse_arguments,
)
from bot.core.context import Context
from bot.core.effects import Effect, Reply
from bot.core.events import Actor, CommandEvent, PlatformEvent
from bot.core.i18n import Translator, negotiate
from bot.core.identity import find_member, member_level, resolve_actor
from bot.core.listening import EventContext
from bot.core.metrics import COMMAND_SECONDS, COMMANDS, EVENTS
from bot.core.permissions import Level
from bot.core.ratelimit import RateLimiter
from bot.core.registry import Registry
from bot.core.text import clean, clean_name
from storage.models import Member, PlatformIdentity
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Discord shows at most 25 suggestions.
SUGGESTION_LIMIT = 25

# A guard looks at a command about to run and may refuse it with a reply.
Guard = Callable[[Context, CommandSpec], Sequence[Effect] | None]


class _Refused(Exception):
    def __init__(self, outcome: str, effects: Sequence[Effect]) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.effects = list(effects)


def require_level(ctx: Context, spec: CommandSpec) -> Sequence[Effect] | None:
    if ctx.level >= spec.level:
        return None
    role = ctx._(spec.level.label)
    return [
        Reply(
            ctx._("You need the {role} role to use /{command}.", role=role, command=spec.name),
            ephemeral=True,
        )
    ]


class RateLimitGuard:
    """Members get a friendly "slow down"; moderators and above are never throttled."""

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    def __call__(self, ctx: Context, spec: CommandSpec) -> Sequence[Effect] | None:
        if ctx.level >= Level.MOD:
            return None
        wait = self._limiter.acquire(ctx.member.id)
        if wait is None:
            return None
        seconds = max(1, round(wait))
        text = ctx.translator.ngettext(
            "Slow down a little: try again in {n} second.",
            "Slow down a little: try again in {n} seconds.",
            seconds,
        )
        return [Reply(text, ephemeral=True)]


class Dispatcher:
    def __init__(
        self,
        *,
        registry: Registry,
        uow: UnitOfWorkFactory,
        clock: Clock,
        settings: Settings,
        guards: Sequence[Guard] | None = None,
    ) -> None:
        self.registry = registry
        self._uow = uow
        self._clock = clock
        self._settings = settings
        self._guards: list[Guard] = list(
            guards
            if guards is not None
            else [
                require_level,
                RateLimitGuard(RateLimiter(settings.limits.commands_per_minute, clock)),
            ]
        )

    async def handle(self, event: CommandEvent) -> list[Effect]:
        started = time.perf_counter()
        outcome = "ok"
        translator = Translator(
            negotiate(event.actor.locale_hint) or self._settings.community.default_locale
        )
        try:
            async with self._uow() as uow:
                identity = await resolve_actor(uow, event.actor, self._clock.now())
                member = identity.member
                translator = Translator(self._locale_of(member, event.actor))
                try:
                    spec = self._command_for(event, translator, member_level(member))
                    ctx = self._context(event, spec, uow, identity)
                    for guard in self._guards:
                        refusal = guard(ctx, spec)
                        if refusal is not None:
                            raise _Refused("refused", refusal)
                    args = await self._arguments(ctx, spec)
                    effects = await spec.handler(ctx, args)
                except _Refused as refused:
                    outcome = refused.outcome
                    effects = refused.effects
        except Exception:
            log.exception(
                "command /%s from %s failed", clean_name(event.name, 32), event.actor.platform
            )
            outcome = "error"
            effects = [
                Reply(
                    translator.gettext(
                        "Something went wrong on our side and nothing was changed. "
                        "Please try again in a moment."
                    ),
                    ephemeral=True,
                )
            ]
        known = self.registry.get(event.name) is not None
        COMMANDS.labels(
            event.name if known else "(unknown)", event.actor.platform.value, outcome
        ).inc()
        COMMAND_SECONDS.labels(event.actor.platform.value).observe(time.perf_counter() - started)
        return effects

    async def refusal(self, event: CommandEvent) -> list[Effect] | None:
        """Would `event`'s command be refused for the member's level? Asked before a platform
        asks for long text (a modal, a reply prompt), so nobody types a question for a command
        they may not run. None when the command may go ahead."""
        spec = self.registry.get(event.name)
        if spec is None:
            return None
        async with self._uow() as uow:
            identity = await resolve_actor(uow, event.actor, self._clock.now())
            refused = require_level(self._context(event, spec, uow, identity), spec)
        return list(refused) if refused is not None else None

    async def suggest(self, event: CommandEvent, param_name: str, typed: str) -> list[str]:
        """Values to offer for `param_name` while the member types it; none for commands they
        may not run. Suggestions are cheap lookups, so they spend no rate-limit tokens."""
        spec = self.registry.get(event.name)
        param = next((p for p in spec.params if p.name == param_name), None) if spec else None
        if spec is None or param is None or param.suggest is None:
            return []
        async with self._uow() as uow:
            identity = await resolve_actor(uow, event.actor, self._clock.now())
            ctx = self._context(event, spec, uow, identity)
            if ctx.level < spec.level:
                return []
            return (await param.suggest(ctx, clean(typed).strip()))[:SUGGESTION_LIMIT]

    async def translator_for(self, actor: Actor) -> Translator:
        """The language to speak with `actor` outside a command (a prompt, a notice)."""
        async with self._uow() as uow:
            identity = await uow.members.identity(actor.platform, actor.user_id)
        chosen = identity.member.locale if identity else None
        return Translator(
            chosen or negotiate(actor.locale_hint) or self._settings.community.default_locale
        )

    async def notify(self, event: PlatformEvent) -> list[Effect]:
        """Hand a platform event to the cogs listening for it, in one unit of work, and return
        what they want done about it.

        Even with no listener, the actor is looked up: a join or a role change keeps the
        member's identity and level current (and audited).
        """
        if event.actor.is_bot:
            return []
        outcome = "ok"
        effects: list[Effect] = []
        try:
            async with self._uow() as uow:
                identity = await resolve_actor(uow, event.actor, self._clock.now())
                ctx = EventContext(
                    uow=uow,
                    member=identity.member,
                    identity=identity,
                    translator=Translator(self._locale_of(identity.member, event.actor)),
                    clock=self._clock,
                    settings=self._settings,
                )
                effects = await self.registry.listeners.notify(ctx, event)
        except Exception:
            outcome = "error"
            effects = []
            log.exception("%s from %s failed", type(event).__name__, event.actor.platform)
        EVENTS.labels(type(event).__name__, event.actor.platform.value, outcome).inc()
        return effects

    def _context(
        self, event: CommandEvent, spec: CommandSpec, uow: UnitOfWork, identity: PlatformIdentity
    ) -> Context:
        member = identity.member
        return Context(
            event=event,
            uow=uow,
            member=member,
            identity=identity,
            level=member_level(member),
            translator=Translator(self._locale_of(member, event.actor)),
            clock=self._clock,
            settings=self._settings,
            listeners=self.registry.listeners,
            ephemeral=spec.ephemeral,
        )

    def _oversize(self, event: CommandEvent) -> tuple[int, int] | None:
        """(length, limit) when a message is too long: long text (a question, a drop's body)
        counts against `max_long_text_length`, the rest of the command against
        `max_command_length`."""
        limits = self._settings.limits
        spec = self.registry.get(clean(event.name).strip().lower())
        long_part = long_text_length(spec, event.arguments, event.options) if spec else 0
        parts = (
            (long_part, limits.max_long_text_length),
            (event.length - long_part, limits.max_command_length),
        )
        return next(((length, limit) for length, limit in parts if length > limit), None)

    def _locale_of(self, member: Member, actor: Actor) -> str:
        return (
            member.locale or negotiate(actor.locale_hint) or self._settings.community.default_locale
        )

    def _command_for(self, event: CommandEvent, t: Translator, level: Level) -> CommandSpec:
        if oversize := self._oversize(event):
            length, limit = oversize
            raise _Refused(
                "too_long",
                [
                    Reply(
                        t.gettext(
                            "That message is too long: {length} characters, "
                            "and the limit is {limit}.",
                            length=t.number(length),
                            limit=t.number(limit),
                        ),
                        ephemeral=True,
                    )
                ],
            )
        name = clean(event.name).strip()
        if not name:
            raise _Refused(
                "empty", [Reply(t.gettext("Type a command, for example /help."), ephemeral=True)]
            )
        spec = self.registry.get(name)
        if spec is not None:
            return spec
        known = [s.name for s in self.registry.available_to(level)]
        close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
        text = t.gettext("I don't know the command /{name}.", name=clean_name(name, 32))
        if close:
            text += " " + t.gettext(
                "Did you mean {suggestions}?", suggestions=", ".join(f"/{c}" for c in close)
            )
        text += " " + t.gettext("Send /help to see what you can do.")
        raise _Refused("unknown", [Reply(text, ephemeral=True)])

    async def _arguments(self, ctx: Context, spec: CommandSpec) -> Args:
        try:
            values = parse_arguments(spec, clean(ctx.event.arguments), ctx.event.options)
        except ArgumentError as error:
            text = (
                ctx._(error.message, **error.values)
                + "\n"
                + ctx._("Usage: {usage}", usage=spec.usage())
            )
            raise _Refused("invalid", [Reply(text, ephemeral=True)]) from None
        members: dict[str, Member] = {}
        for param in spec.params:
            reference = values.get(param.name)
            if param.kind is not ParamKind.MEMBER or reference is None:
                continue
            found = await find_member(ctx.uow, ctx.event.actor.platform, reference)
            if found is None:
                text = ctx._(
                    "I can't find {reference} here. They need to have used the bot at least once.",
                    reference=clean_name(reference, 40),
                )
                raise _Refused("invalid", [Reply(text, ephemeral=True)])
            members[param.name] = found
        attachments = {
            param.name: ctx.event.attachments[param.name]
            for param in spec.params
            if param.kind is ParamKind.ATTACHMENT and param.name in ctx.event.attachments
        }
        return Args(values=values, members=members, attachments=attachments)
