"""The policy decision point: every door request decided from who, where, when, how and the
current risk, with its reasons.

:meth:`DecisionPoint.decide` is pure: it reads the site, the policy and the remembered state and
returns a :class:`Decision` without changing anything, so ``artguard access explain`` can
dry-run a request. :meth:`DecisionPoint.record` then remembers a decision that was acted on.

Order of judgement: a request is denied if any rule denies it (every such reason is given);
otherwise it steps up if anything required is missing (the factors, a second person, an
escort); otherwise it is granted. The risk score (0-1) combines the rules' risk findings and
any pluggable :class:`RiskSource` (learned behaviour) by noisy-OR; a high score adds a factor
(``step_up_risk``) or refuses outright (``deny_risk``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from artguard.access import rules_identity as identity
from artguard.access import rules_presence as presence
from artguard.access.context import Context
from artguard.access.request import AccessRequest, Decision, Finding, Requirement
from artguard.access.state import AccessState
from artguard.site import Site

PolicyRule = Callable[[Context], list[Finding]]

RULES: tuple[PolicyRule, ...] = (
    identity.credential_known,
    identity.lockout,
    identity.threat_level,
    identity.zone_allowed,
    identity.within_shift,
    presence.first_person_in,
    presence.interlock,
    presence.anti_passback,
    identity.factors_for_level,
    presence.reverify,
    presence.two_person,
    presence.escort,
)
"""Applied in this order; the order only sets the order of the reasons."""

LEVEL_RISK = {1: 0.0, 2: 0.05, 3: 0.1, 4: 0.2}
"""The baseline risk of entering a room of each security level."""
DENIAL_RISK = 0.1
"""Added per recent denial of the same credential (up to the lock-out)."""


class RiskSource(Protocol):
    """Something that scores how unusual a request is (e.g. learned behaviour)."""

    def assess(self, ctx: Context) -> list[Finding]: ...

    def observe(self, decision: Decision) -> None:
        """Learn from a decision that was acted on."""


class DecisionPoint:
    """Decides door requests for one site."""

    def __init__(
        self,
        site: Site,
        state: AccessState | None = None,
        *,
        risk_sources: Sequence[RiskSource] = (),
        rules: Iterable[PolicyRule] = RULES,
    ) -> None:
        self.site = site
        self.policy = site.policies.access
        self.state = state or AccessState()
        self.risk_sources = list(risk_sources)
        self.rules = tuple(rules)

    def decide(self, request: AccessRequest, extra: Sequence[Finding] = ()) -> Decision:
        """``extra``: findings from outside the policy (e.g. a failed face step-up)."""
        door = self.site.door_for_reader(request.reader_id)
        if door is None:
            finding = Finding(
                "reader.unknown",
                "deny",
                f"reader {request.reader_id!r} is not on any door of the site plan",
                risk=0.5,
            )
            return Decision("deny", request, 0.5, [finding.reason], findings=[finding])
        ctx = self.context(request)
        findings = [f for rule in self.rules for f in rule(ctx)]
        for source in self.risk_sources:
            findings.extend(source.assess(ctx))
        findings.extend(extra)
        risk = self._risk(ctx, findings)
        findings.extend(self._risk_findings(ctx, risk))
        return self._conclude(ctx, findings, risk)

    def context(self, request: AccessRequest) -> Context:
        door = self.site.door_for_reader(request.reader_id)
        if door is None:
            raise KeyError(request.reader_id)
        person = self.site.credential_holder(request.credential_id)
        return Context(
            site=self.site,
            policy=self.policy,
            state=self.state,
            request=request,
            door=door,
            direction="out" if self.site.reader_leads_out(request.reader_id) else "in",
            person=person,
            credential=self.site.credential(request.credential_id) if person else None,
        )

    def record(self, decision: Decision) -> None:
        """Remember a decision that was given to the door."""
        if decision.door_id is None:
            return
        ctx = self.context(decision.request)
        lockout = self.policy.lockout
        self.state.apply(
            decision,
            local_day=decision.request.at.astimezone(self.site.tz).date(),
            lockout_after=lockout.after_failures,
            lockout_within=lockout.within,
            lockout_for=lockout.duration,
            opens_rooms=presence.opens_rooms(ctx),
            full_verification=self._full_verification(ctx),
        )
        for source in self.risk_sources:
            source.observe(decision)

    # -- internals ---------------------------------------------------------------------------

    def _risk(self, ctx: Context, findings: list[Finding]) -> float:
        parts = [LEVEL_RISK.get(ctx.target_level, 0.2)]
        denials = ctx.state.denial_count(
            ctx.request.credential_id, ctx.now, self.policy.lockout.within
        )
        parts.append(min(DENIAL_RISK * denials, 0.5))
        parts.extend(f.risk for f in findings)
        keep = 1.0
        for part in parts:
            keep *= 1.0 - min(max(part, 0.0), 1.0)
        return 1.0 - keep

    def _risk_findings(self, ctx: Context, risk: float) -> list[Finding]:
        if ctx.person is None or ctx.direction == "out":
            return []
        if risk >= self.policy.deny_risk:
            return [
                Finding("risk.deny", "deny", f"risk {risk:.2f} reaches {self.policy.deny_risk:g}")
            ]
        if risk >= self.policy.step_up_risk:
            has_face = any(c.type == "face" for c in ctx.person.credentials)
            options: list[Requirement] = ["face", "pin"] if has_face else ["pin"]
            extra = [f for f in options if f not in ctx.request.factors][:1]
            if not extra:
                return [
                    Finding(
                        "risk.high",
                        "note",
                        f"risk {risk:.2f} reaches {self.policy.step_up_risk:g} but every "
                        "available factor was presented",
                    )
                ]
            return [
                Finding(
                    "risk.step_up",
                    "require",
                    f"risk {risk:.2f} reaches {self.policy.step_up_risk:g}: one more factor",
                    needs=tuple(extra),
                )
            ]
        return []

    def _conclude(self, ctx: Context, findings: list[Finding], risk: float) -> Decision:
        def decision(outcome: str, reasons: list[str], required: list[Requirement]) -> Decision:
            return Decision(
                outcome,  # type: ignore[arg-type]
                ctx.request,
                risk,
                reasons,
                required=required,
                findings=findings,
                person_id=ctx.person.id if ctx.person else None,
                role=ctx.role,
                door_id=ctx.door.id,
                room_id=ctx.target_room,
                direction=ctx.direction,
                threat_level=ctx.state.threat_level,
            )

        denials = [f.reason for f in findings if f.effect == "deny"]
        notes = [f.reason for f in findings if f.effect == "note"]
        if denials:
            return decision("deny", denials + notes, [])
        presented = ctx.request.factors
        missing: list[Requirement] = []
        why: list[str] = []
        for f in findings:
            if f.effect != "require":
                continue
            lacking = [n for n in f.needs if n not in presented and n not in missing]
            if lacking:
                missing.extend(lacking)
                why.append(f"{f.reason}: missing {' + '.join(lacking)}")
        if missing:
            return decision("step_up", why + notes, missing)
        name = ctx.person.name if ctx.person else "?"
        verb = "leave" if ctx.direction == "out" else "enter"
        granted = f"{name} may {verb} {ctx.room_name(ctx.target_room)} via {ctx.door.name}"
        context = [f.reason for f in findings if f.effect == "risk" and f.reason]
        return decision("grant", [granted, *notes, *context], [])

    def _full_verification(self, ctx: Context) -> bool:
        if ctx.direction == "out" or ctx.target_level < self.policy.reverify.min_security_level:
            return False
        needed = set(self.policy.required_factors(ctx.target_level))
        return needed <= ctx.request.factors
