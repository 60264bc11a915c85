"""The YAML `escalation_policies:` section."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from warroom.durations import parse_duration
from warroom.escalation.conditions import ConditionError, compile_condition

TargetRef = Annotated[str, Field(pattern=r"^(person|schedule|team):[A-Za-z0-9][A-Za-z0-9_.@:-]*$")]


def _delay(value: object) -> object:
    if value == "response_time":
        return value
    return parse_duration(value)  # type: ignore[arg-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LevelConfig(_Strict):
    """Wait `delay` (after the previous level; or the severity's response time), then page
    `notify` through `via` (channel ids; empty: each person's own notification rules)."""

    delay: Annotated[timedelta | Literal["response_time"], BeforeValidator(_delay)] = timedelta(0)
    notify: list[TargetRef] = Field(min_length=1)
    via: list[str] = []


class ConditionConfig(_Strict):
    """Management / impact escalation: when the CEL expression holds, page once."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    when: str = Field(min_length=1, max_length=2000)
    notify: list[TargetRef] = Field(min_length=1)
    via: list[str] = []

    @field_validator("when")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compile_condition(value)
        except ConditionError as exc:
            raise ValueError(str(exc)) from None
        return value


class EscalationPolicyConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,200}$")
    description: str = ""
    repeat: int = Field(default=0, ge=0, le=20, description="extra passes through all levels")
    repeat_delay: Annotated[timedelta, BeforeValidator(parse_duration)] = timedelta(minutes=5)
    levels: list[LevelConfig] = Field(min_length=1, max_length=20)
    conditions: list[ConditionConfig] = []
