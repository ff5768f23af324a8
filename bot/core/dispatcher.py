"""One path for every event: identity -> locale -> permission -> rate limit -> subcommand ->
arguments -> handler.

Each event is served in one unit of work: the handler's writes, the identity bookkeeping and
the audit entries commit together or not at all. A handler that refuses (`Refuse`) keeps
nothing it wrote; the member's identity bookkeeping stays.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.commands import CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Ask, Button, Effect, Reply
from bot.core.events import Actor, CommandEvent, PlatformEvent
from bot.core.i18n import N_, Translator, negotiate
from bot.core.identity import member_level, resolve_actor
from bot.core.listening import EventContext
from bot.core.metrics import COMMAND_SECONDS, COMMANDS, EVENTS
from bot.core.parsing import (
    ArgumentError,
    Reading,
    bind_line,
    bind_options,
    first_missing,
    long_text_length,
    read_arguments,
    split_subcommand,
)
from bot.core.permissions import Level
from bot.core.ratelimit import RateLimiter
from bot.core.registry import Registry
from bot.core.text import clean, clean_name
from storage.models import Member, PlatformIdentity
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Discord shows at most 25 suggestions; a question offers no more buttons than that either.
SUGGESTION_LIMIT = 25
# Ready-made values for lengths and points in time while someone types one.
DURATIONS = ("30d", "90d", "1y", "lifetime")
MOMENTS = ("in 1h", "today 20:00", "tomorrow 09:00", "tomorrow 20:00")

# A guard looks at a command about to run and may refuse it with a reply.
Guard = Callable[[Context, CommandSpec], Sequence[Effect] | None]


class _Stopped(Exception):
    """The command ends here with these effects (a refusal, a question); `outcome` is for the
    metrics."""

    def __init__(self, outcome: str, effects: Sequence[Effect]) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.effects = list(effects)


@dataclass(frozen=True)
class Target:
    """What an event runs: the command or its subcommand, its path (`drop new`), and the text
    typed after the path (or the options a platform handed over)."""

    spec: CommandSpec
    path: str
    arguments: str

    @property
    def line(self) -> str:
        """The command as typed so far, for a question's answer or a button to complete."""
        return f"/{self.path} {self.arguments}".rstrip()


def require_level(
    ctx: Context, spec: CommandSpec, path: str | None = None
) -> Sequence[Effect] | None:
    if ctx.level >= spec.level:
        return None
    role = ctx._(spec.level.label)
    command = path or spec.name
    return [
        Reply(
            ctx._("You need the {role} role to use /{command}.", role=role, command=command),
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
                translator = Translator(self._locale_of(identity.member, event.actor))
                try:
                    effects = await self._run(event, uow, identity, translator)
                except _Stopped as stopped:
                    outcome = stopped.outcome
                    effects = stopped.effects
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

    async def _run(
        self, event: CommandEvent, uow: UnitOfWork, identity: PlatformIdentity, t: Translator
    ) -> list[Effect]:
        top = self._command_for(event, t, member_level(identity.member))
        ctx = self._context(event, top, uow, identity)
        for guard in self._guards:
            refusal = guard(ctx, top)
            if refusal is not None:
                raise _Stopped("refused", refusal)
        target = self._target(ctx, top)
        ctx.ephemeral = top.ephemeral or target.spec.ephemeral
        raw = self._bind(ctx, target)
        missing = first_missing(target.spec, raw, event.attachments)
        if missing is not None:
            raise _Stopped("asked", await self._ask_for(ctx, target, raw, missing))
        reading = Reading(uow, event.actor.platform, self._settings, self._clock.now())
        try:
            args = await read_arguments(target.spec, raw, event.attachments, reading)
        except ArgumentError as error:
            raise _Stopped("invalid", [self._invalid(ctx, target, error)]) from None
        assert target.spec.handler is not None  # a command without subcommands has one
        try:
            # A savepoint: a refusal undoes what the handler wrote, not the identity's update.
            async with uow.session.begin_nested():
                return await target.spec.handler(ctx, args)
        except Refuse as refusal:
            raise _Stopped(
                "refused", [Reply(refusal.text, ephemeral=True, buttons=refusal.buttons)]
            ) from None

    def target(self, event: CommandEvent) -> Target | None:
        """The (sub)command an event names, if it names one; no checks."""
        top = self.registry.get(clean(event.name).strip().lower())
        if top is None:
            return None
        if not top.subcommands:
            return Target(top, top.name, event.arguments)
        word, rest = (
            (event.subcommand, event.arguments)
            if event.subcommand
            else split_subcommand(event.arguments)
        )
        sub = top.subcommand(word)
        return Target(sub, f"{top.name} {sub.name}", rest) if sub else None

    def _target(self, ctx: Context, top: CommandSpec) -> Target:
        if not top.subcommands:
            return Target(top, top.name, ctx.event.arguments)
        event = ctx.event
        word, rest = (
            (event.subcommand, event.arguments)
            if event.subcommand
            else split_subcommand(event.arguments)
        )
        offered = [sub for sub in top.subcommands if sub.level <= ctx.level]
        listing = "\n".join(f"/{top.name} {sub.name} — {ctx._(sub.description)}" for sub in offered)
        if not word:
            buttons = tuple(Button(sub.name, command=f"/{top.name} {sub.name}") for sub in offered)
            text = ctx._("/{command}: what would you like to do?", command=top.name)
            raise _Stopped("asked", [Reply(f"{text}\n{listing}", ephemeral=True, buttons=buttons)])
        sub = top.subcommand(word)
        if sub is None:
            text = ctx._(
                "/{command} has no “{word}”. Choose one of: {choices}.",
                command=top.name,
                word=clean_name(word, 32),
                choices=", ".join(s.name for s in offered),
            )
            raise _Stopped("invalid", [Reply(f"{text}\n{listing}", ephemeral=True)])
        path = f"{top.name} {sub.name}"
        if (refusal := require_level(ctx, sub, path)) is not None:
            raise _Stopped("refused", refusal)
        return Target(sub, path, rest)

    def _bind(self, ctx: Context, target: Target) -> dict[str, str]:
        options = ctx.event.options
        try:
            if options is not None:
                return bind_options(target.spec, options)
            return bind_line(target.spec, clean(target.arguments))
        except ArgumentError as error:
            raise _Stopped("invalid", [self._invalid(ctx, target, error)]) from None

    def _invalid(self, ctx: Context, target: Target, error: ArgumentError) -> Reply:
        """The refusal of arguments that do not fit: the option at fault, what is wrong with
        what was typed, an example, and the command's usage."""
        lines = [ctx._(error.message, **error.values)]
        param = target.spec.param(error.option) if error.option else None
        if param is not None:
            lines[0] = f"{param.name}: {lines[0]}"
            sample = param.sample()
            if param.kind is ParamKind.TIER and not param.example and self._settings.tiers:
                sample = next(iter(self._settings.tiers))  # a tier of this community
            example = f"{param.name}:{sample}" if param.keyword else sample
            lines.append(ctx._("For example: {example}", example=example))
        lines.append(ctx._("Usage: {usage}", usage=target.spec.usage(target.path)))
        return Reply("\n".join(lines), ephemeral=True)

    async def _ask_for(
        self, ctx: Context, target: Target, raw: dict[str, str], param: Param
    ) -> list[Effect]:
        """A value the command needs and came without: a question with a button for each
        choice, or one the member answers (a reply, a form, the next lines)."""
        below = next((p for p in target.spec.params if p.own_line and raw.get(p.name)), None)
        if below is not None:  # an answer could only go after the text below: say what is missing
            error = ArgumentError(N_("Missing <{param}>."), option=param.name, param=param.name)
            return [self._invalid(ctx, target, error)]
        description = ctx._(param.description)
        text = ctx._(
            "/{command} needs <{option}>: {description}.",
            command=target.path,
            option=param.name,
            description=description.rstrip("."),
        )
        choices = await self._choices(ctx, param)
        if choices:
            prefix = f"{param.name}:" if param.keyword else ""
            buttons = tuple(
                Button(choice, command=f"{target.line} {prefix}{choice}")
                for choice in choices[:SUGGESTION_LIMIT]
            )
            return [Reply(text, ephemeral=True, buttons=buttons)]
        return [
            Ask(
                text=text,
                line=target.line,
                option=param.name,
                description=description,
                long=param.long,
                rest=param.rest,
                own_line=param.own_line,
                keyword=param.keyword,
            )
        ]

    async def _choices(self, ctx: Context, param: Param, typed: str = "") -> list[str]:
        """The values a member can pick from for `param`, starting with `typed`."""
        start = typed.lower()
        if param.choices:
            found = list(param.choices)
        elif param.kind is ParamKind.TIER:
            found = list(self._settings.tiers)
        elif param.suggest is not None:
            return (await param.suggest(ctx, typed))[:SUGGESTION_LIMIT]
        else:
            return []
        return [value for value in found if value.lower().startswith(start)][:SUGGESTION_LIMIT]

    async def suggest(self, event: CommandEvent, param_name: str, typed: str) -> list[str]:
        """Values to offer for `param_name` while the member types it; none for commands they
        may not run. Suggestions are cheap lookups, so they spend no rate-limit tokens."""
        target = self.target(event)
        param = target.spec.param(param_name) if target else None
        if target is None or param is None:
            return []
        async with self._uow() as uow:
            identity = await resolve_actor(uow, event.actor, self._clock.now())
            ctx = self._context(event, target.spec, uow, identity)
            if ctx.level < target.spec.level:
                return []
            cleaned = clean(typed).strip()
            if param.kind is ParamKind.DURATION:
                return [d for d in DURATIONS if d.startswith(cleaned.lower())]
            if param.kind is ParamKind.WHEN and param.suggest is None:
                return [m for m in MOMENTS if m.startswith(cleaned.lower())]
            return await self._choices(ctx, param, cleaned)

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
        target = self.target(event)
        long_part = 0
        if target is not None:
            try:
                raw = (
                    bind_options(target.spec, event.options)
                    if event.options is not None
                    else bind_line(target.spec, clean(target.arguments))
                )
                long_part = long_text_length(target.spec, raw)
            except ArgumentError:
                pass  # refused once the command runs, naming what is wrong
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
            raise _Stopped(
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
        name = clean(event.name).strip().lower()
        if not name:
            raise _Stopped(
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
        raise _Stopped("unknown", [Reply(text, ephemeral=True)])
