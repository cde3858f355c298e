"""Configuration from the environment (and `.env`), with messages that name the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PermissionMode = Literal["team", "org-member", "open"]

# What each variable should look like; used to explain a missing or malformed one.
HINTS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the bot token from your Slack app's OAuth page, starting with xoxb-",
    "SLACK_SIGNING_SECRET": "the signing secret from your Slack app's Basic Information page",
    "SLACK_APP_TOKEN": "an app-level token with connections:write, starting with xapp- "
    "(leave unset for HTTP mode)",
    "SLACK_API_URL": "a URL such as https://slack.com/api/",
    "SENTRY_AUTH_TOKEN": "a Sentry auth token (organization token or personal token)",
    "SENTRY_ORG": "your Sentry organization slug, e.g. acme",
    "SENTRY_URL": "https://sentry.io, a region such as https://de.sentry.io, or your own URL",
    "REDIS_URL": "a URL such as redis://localhost:6379/0 (leave unset for the embedded Redis)",
    "DEXTER_DATA_DIR": "a writable directory for the embedded Redis file",
    "PORT": "a TCP port number such as 3000",
    "HOST": "an address to listen on such as 0.0.0.0",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "DEXTER_ADMINS": "comma-separated Slack user ids, e.g. U123,U456",
    "DEXTER_PERMISSION_MODE": "one of team, org-member, open",
    "DEXTER_DIGEST_GRACE": "how late a missed digest may still go out, e.g. 1h, 30m or 3600",
}


class ConfigError(Exception):
    """The configuration is missing or malformed; `problems` holds one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Every setting Dexter reads; each is documented in the README."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr = Field(alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr = Field(alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    sentry_auth_token: SecretStr = Field(alias="SENTRY_AUTH_TOKEN")
    sentry_org: str = Field(alias="SENTRY_ORG", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    sentry_url: str = Field(default="https://sentry.io", alias="SENTRY_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("./data"), alias="DEXTER_DATA_DIR")
    port: int = Field(default=3000, alias="PORT", ge=1, le=65535)
    host: str = Field(default="0.0.0.0", alias="HOST")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    admins: str = Field(default="", alias="DEXTER_ADMINS")
    permission_mode: PermissionMode = Field(default="team", alias="DEXTER_PERMISSION_MODE")
    digest_grace: float = Field(default=3600.0, alias="DEXTER_DIGEST_GRACE", ge=0)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr) -> SecretStr:
        if not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value():
            return None
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return v

    @field_validator("sentry_url", "slack_api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str | None) -> str | None:
        if not v:
            return None
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return v

    @field_validator("digest_grace", mode="before")
    @classmethod
    def _duration(cls, v: object) -> object:
        if isinstance(v, str):
            text = v.strip().lower()
            units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
            if text and text[-1] in units and text[:-1].replace(".", "", 1).isdigit():
                return float(text[:-1]) * units[text[-1]]
        return v

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.slack_app_token is not None

    @property
    def sentry_base(self) -> str:
        """The Sentry URL without a trailing slash."""
        return self.sentry_url.rstrip("/")

    @property
    def admin_ids(self) -> frozenset[str]:
        """Slack user ids granted admin rights in Dexter."""
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise ConfigError with one line per problem (never secrets)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            env = _env_name(name)
            hint = HINTS.get(env, "")
            what = "is not set" if err["type"] == "missing" else f"is malformed ({err['msg']})"
            problems.append(f"{env} {what}: set it to {hint}." if hint else f"{env} {what}.")
        raise ConfigError(problems) from None


def _env_name(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    if field is not None and field.alias:
        return field.alias
    return field_or_alias.upper()
