"""Channel configuration: one pydantic model per built-in channel, a union discriminated on `type`.

Secrets never appear in configuration, only the names of environment variables that hold
them (`*_env` fields). The caller resolves them once, from an environ mapping it was given,
with `config.resolve_secrets(environ)`; channels read them with `config.secret(field)`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from warroom.notify.errors import PermanentDeliveryError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_TWILIO_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")

PagerDutySeverity = Literal["critical", "error", "warning", "info"]
OpsgeniePriority = Literal["P1", "P2", "P3", "P4", "P5"]

# Defaults for warroom's default severity scale (SEV1 worst); override per channel.
_PD_SEVERITIES: dict[str, PagerDutySeverity] = {
    "SEV1": "critical",
    "SEV2": "error",
    "SEV3": "warning",
}
_OPSGENIE_PRIORITIES: dict[str, OpsgeniePriority] = {
    "SEV1": "P1",
    "SEV2": "P2",
    "SEV3": "P3",
    "SEV4": "P4",
    "SEV5": "P5",
}


def _http_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} must be an absolute http(s) URL, got {value!r}")
    return value


class _ChannelConfigBase(BaseModel):
    """Fields and secret handling shared by every channel config."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: str
    # Seconds for one send; None means the injected HTTP client's own timeout.
    timeout: float | None = Field(default=None, gt=0, le=300)
    # Template overrides as sources keyed by template name, e.g. {"page.sms.j2": "..."};
    # names without a "<type>/" prefix are taken relative to this channel's type.
    templates: dict[str, str] = Field(default_factory=dict)

    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("*", mode="after")
    @classmethod
    def _env_names_are_names(cls, value: Any, info: ValidationInfo) -> Any:
        if (
            info.field_name
            and info.field_name.endswith("_env")
            and value is not None
            and not _ENV_NAME.match(value)
        ):
            raise ValueError(
                f"{info.field_name} must name an environment variable (letters, digits, _), "
                f"got {value!r}; put the secret itself in the environment, not in the config"
            )
        return value

    def secret_fields(self) -> dict[str, str]:
        """The `*_env` fields that are set, as {field: variable name}."""
        return {
            name: value
            for name in type(self).model_fields
            if name.endswith("_env") and (value := getattr(self, name)) is not None
        }

    def resolve_secrets(self, environ: Mapping[str, str]) -> Self:
        """A copy carrying the secrets named by `*_env` fields, read from `environ`.

        Missing variables are left unresolved rather than raising here, so one bad channel
        does not stop start-up; `missing_secrets()` lists them and `send` fails permanently.
        """
        copy = self.model_copy()
        copy._secrets = {
            field: environ[var] for field, var in self.secret_fields().items() if var in environ
        }
        return copy

    def missing_secrets(self) -> list[str]:
        """Names of the environment variables that `resolve_secrets` did not find."""
        return [var for field, var in self.secret_fields().items() if field not in self._secrets]

    def secret(self, field: str) -> str:
        """The resolved secret of `field` (a `*_env` field name); permanent failure if absent."""
        var = getattr(self, field)
        if field in self._secrets and self._secrets[field]:
            return self._secrets[field]
        raise PermanentDeliveryError(
            f"{self.type} channel: secret {field} is not available "
            f"(environment variable {var} is unset or empty)"
        )

    def optional_secret(self, field: str) -> str | None:
        """Like `secret`, but None when the `*_env` field itself is not configured."""
        return None if getattr(self, field) is None else self.secret(field)


class EmailConfig(_ChannelConfigBase):
    """SMTP submission; `ssl` is implicit TLS (465), `starttls` upgrades a plain connection."""

    type: Literal["email"] = "email"
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    from_: str = Field(alias="from", min_length=3)
    username: str | None = None
    password_env: str | None = None
    starttls: bool = True
    ssl: bool = False
    timeout: float | None = Field(default=10.0, gt=0, le=300)

    @field_validator("from_")
    @classmethod
    def _from_is_address(cls, value: str) -> str:
        if "@" not in value or "\n" in value or "\r" in value:
            raise ValueError(
                f"from must be an email address such as warroom@example.com, got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ssl and self.starttls:
            raise ValueError("choose one of ssl (implicit TLS, port 465) and starttls, not both")
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env must be given together")
        return self


class WebhookConfig(_ChannelConfigBase):
    """JSON POST signed per Standard Webhooks when `secret_env` names a `whsec_...` secret."""

    type: Literal["webhook"] = "webhook"
    url: str
    secret_env: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, "url")


class SlackConfig(_ChannelConfigBase):
    """`chat.postMessage` with a bot token; no `channel` means a DM to `recipient.chat["slack"]`."""

    type: Literal["slack"] = "slack"
    token_env: str
    base_url: str = "https://slack.com/api/"
    channel: str | None = Field(default=None, min_length=1)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value, "base_url").rstrip("/") + "/"


class TeamsConfig(_ChannelConfigBase):
    """A Teams incoming webhook (Workflows or legacy connector) and the card format it takes."""

    type: Literal["teams"] = "teams"
    url: str
    card: Literal["adaptive", "message_card"] = "adaptive"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, "url")


class PagerDutyConfig(_ChannelConfigBase):
    """Events API v2: trigger per page (dedup_key = incident id), resolve when resolved."""

    type: Literal["pagerduty"] = "pagerduty"
    routing_key_env: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    # warroom severity name -> PagerDuty severity; unlisted severities use `default_severity`.
    severity_map: dict[str, PagerDutySeverity] = Field(default_factory=lambda: dict(_PD_SEVERITIES))
    default_severity: PagerDutySeverity = "info"
    source: str = Field(default="warroom", min_length=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, "url")


class OpsgenieConfig(_ChannelConfigBase):
    """Alert API v2: create with alias = incident id, close by alias when resolved."""

    type: Literal["opsgenie"] = "opsgenie"
    api_key_env: str
    url: str = "https://api.opsgenie.com"
    priority_map: dict[str, OpsgeniePriority] = Field(
        default_factory=lambda: dict(_OPSGENIE_PRIORITIES)
    )
    default_priority: OpsgeniePriority = "P3"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, "url").rstrip("/")


class TwilioConfig(_ChannelConfigBase):
    """Twilio REST API over plain HTTP: an SMS (`Messages.json`) or a voice call (`Calls.json`)."""

    type: Literal["twilio"] = "twilio"
    account_sid: str
    auth_token_env: str
    from_: str = Field(alias="from")
    mode: Literal["sms", "voice"] = "sms"
    base_url: str = "https://api.twilio.com"

    @field_validator("account_sid")
    @classmethod
    def _sid(cls, value: str) -> str:
        if not _TWILIO_SID.match(value):
            raise ValueError(f"account_sid must be 'AC' followed by 32 hex digits, got {value!r}")
        return value

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str) -> str:
        if not _E164.match(value):
            raise ValueError(
                f"from must be an E.164 phone number such as +15005550006, got {value!r}"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value, "base_url").rstrip("/")


class AppriseConfig(_ChannelConfigBase):
    """The long tail via apprise URLs, given inline or (when they embed tokens) in `urls_env`."""

    type: Literal["apprise"] = "apprise"
    urls: list[str] = Field(default_factory=list)
    # An environment variable holding whitespace- or comma-separated apprise URLs.
    urls_env: str | None = None

    @model_validator(mode="after")
    def _some_urls(self) -> Self:
        if not self.urls and self.urls_env is None:
            raise ValueError("give at least one apprise URL in urls, or urls_env")
        for url in self.urls:
            if "://" not in url:
                raise ValueError(f"apprise URL must look like scheme://..., got {url!r}")
        return self

    def all_urls(self) -> list[str]:
        """Inline URLs plus those from `urls_env` (permanent failure if it is unresolved)."""
        extra = re.split(r"[\s,]+", self.secret("urls_env")) if self.urls_env else []
        return [*self.urls, *(u for u in extra if u)]


class ConsoleConfig(_ChannelConfigBase):
    """One line per message on stdout, stderr or a logger: the demo's and tests' channel."""

    type: Literal["console"] = "console"
    target: Literal["stdout", "stderr", "log"] = "stderr"
    logger: str = "warroom.notify.console"


ChannelConfig = Annotated[
    EmailConfig
    | WebhookConfig
    | SlackConfig
    | TeamsConfig
    | PagerDutyConfig
    | OpsgenieConfig
    | TwilioConfig
    | AppriseConfig
    | ConsoleConfig,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[ChannelConfig] = TypeAdapter(ChannelConfig)


def parse_channel_config(data: Mapping[str, Any]) -> ChannelConfig:
    """Validate one channel's configuration mapping (raises pydantic.ValidationError)."""
    return _ADAPTER.validate_python(dict(data))
