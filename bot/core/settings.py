"""Configuration from the environment (and `.env`), with messages that name the variable."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PermissionMode = Literal["team", "org-member", "open"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

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
    "DEXTER_REDIS_PREFIX": "a key prefix such as dexter: (letters, digits and :_.- only)",
    "PORT": "a TCP port number such as 3000",
    "HOST": "an address to listen on such as 0.0.0.0",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "DEXTER_ADMINS": "comma-separated Slack user ids, e.g. U123,U456",
    "DEXTER_PERMISSION_MODE": "one of team, org-member, open",
    "DEXTER_RELEASE_POLL_SECONDS": "seconds between polls for new releases and deploys "
    "(e.g. 60; 0 turns release notifications off)",
    "SLACK_CLIENT_ID": "the Client ID from your Slack app's Basic Information page "
    "(multi-workspace install; leave unset for one workspace)",
    "SLACK_CLIENT_SECRET": "the Client Secret from your Slack app's Basic Information page",
    "DEXTER_SECRET_KEY": "a long random value, e.g. the output of `openssl rand -hex 32` "
    "(encrypts tokens at rest; required with SLACK_CLIENT_ID; to rotate, put the new key "
    "first: new,old)",
    "DEXTER_PUBLIC_URL": "the public base URL of the bot, e.g. https://dexter.acme.com",
    "METRICS_PORT": "a TCP port for /metrics, e.g. 9100 (leave unset to serve it on PORT in "
    "HTTP mode)",
    "LOG_FORMAT": "text or json",
    "DEXTER_SENTRY_DSN": "a Sentry DSN for Dexter's own errors (leave unset to turn it off)",
    "DEXTER_DIGEST_GRACE": "how late a missed digest may still go out, e.g. 1h, 30m or 3600",
    "DEXTER_SENTRY_ALLOWED_HOSTS": "comma-separated host names and CIDR ranges of private "
    "Sentry servers workspaces may use, e.g. sentry.corp.example,10.20.0.0/16",
    "DEXTER_WORKER_CONCURRENCY": "how many jobs one worker runs at once, e.g. 50",
    "DEXTER_JOB_ATTEMPTS": "how many times a job is tried before it is given up, e.g. 3",
    "DEXTER_JOB_VISIBILITY": "seconds without a sign of life after which another worker takes "
    "a job over, e.g. 30",
    "DEXTER_JOB_TIMEOUT": "the longest one job may run, e.g. 10m or 600",
    "SENTRY_CLIENT_SECRET": "the Client Secret of Dexter's internal integration in Sentry "
    "(Settings → Developer Settings; leave unset for no webhooks)",
    "DEXTER_BUSY_AFTER": "the expected wait beyond which a new command is told it is queued, "
    "e.g. 30m (Slack's response_url lifetime)",
}


class ConfigError(Exception):
    """The configuration is missing or malformed; `problems` holds one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Every setting Dexter reads; each is a row of the settings table in docs/operations.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Empty only with SLACK_CLIENT_ID/SECRET: then each workspace's token comes from its install.
    slack_bot_token: SecretStr = Field(default=SecretStr(""), alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr = Field(alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    sentry_auth_token: SecretStr = Field(alias="SENTRY_AUTH_TOKEN")
    sentry_org: str = Field(alias="SENTRY_ORG", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    sentry_url: str = Field(default="https://sentry.io", alias="SENTRY_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("./data"), alias="DEXTER_DATA_DIR")
    # Every key Dexter writes starts with it: two deployments (or test runs) can share a Redis.
    redis_prefix: str = Field(
        default="dexter:", alias="DEXTER_REDIS_PREFIX", pattern=r"^[A-Za-z0-9:_.-]{1,64}$"
    )
    port: int = Field(default=3000, alias="PORT", ge=1, le=65535)
    host: str = Field(default="0.0.0.0", alias="HOST")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    admins: str = Field(default="", alias="DEXTER_ADMINS")
    permission_mode: PermissionMode = Field(default="team", alias="DEXTER_PERMISSION_MODE")
    release_poll_seconds: float = Field(default=60.0, alias="DEXTER_RELEASE_POLL_SECONDS", ge=0)
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    secret_key: SecretStr | None = Field(default=None, alias="DEXTER_SECRET_KEY")
    public_url: str | None = Field(default=None, alias="DEXTER_PUBLIC_URL")
    metrics_port: int | None = Field(default=None, alias="METRICS_PORT", ge=1, le=65535)
    log_format: Literal["text", "json"] = Field(default="text", alias="LOG_FORMAT")
    self_dsn: SecretStr | None = Field(default=None, alias="DEXTER_SENTRY_DSN")
    digest_grace: float = Field(default=3600.0, alias="DEXTER_DIGEST_GRACE", ge=0)
    # One user operation's budget for Sentry, and when a read still waiting says so.
    sentry_deadline: float = Field(default=15.0, alias="DEXTER_SENTRY_DEADLINE", gt=0, le=120)
    sentry_slow_note: float = Field(default=3.0, alias="DEXTER_SENTRY_SLOW_NOTE", gt=0)
    sentry_allowed_hosts: str = Field(default="", alias="DEXTER_SENTRY_ALLOWED_HOSTS")
    # The pipeline (bot/pipeline): workers, attempts, crash recovery, backpressure.
    worker_concurrency: int = Field(default=50, alias="DEXTER_WORKER_CONCURRENCY", ge=1, le=1000)
    job_attempts: int = Field(default=3, alias="DEXTER_JOB_ATTEMPTS", ge=1, le=20)
    job_visibility: float = Field(default=30.0, alias="DEXTER_JOB_VISIBILITY", gt=0, le=3600)
    job_timeout: float = Field(default=600.0, alias="DEXTER_JOB_TIMEOUT", gt=0)
    busy_after: float = Field(default=1800.0, alias="DEXTER_BUSY_AFTER", ge=0)
    # Dexter as a Sentry internal integration: its client secret signs what Sentry sends, and
    # the installation's uuid names it in alert-rule actions (discovered when unset).
    sentry_client_secret: SecretStr | None = Field(default=None, alias="SENTRY_CLIENT_SECRET")
    sentry_integration_installation: str | None = Field(
        default=None, alias="SENTRY_INTEGRATION_INSTALLATION", pattern=r"^[0-9a-fA-F-]{32,36}$"
    )

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr) -> SecretStr:
        if v.get_secret_value() and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return v

    @field_validator(
        "slack_client_id",
        "public_url",
        "metrics_port",
        "sentry_integration_installation",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator(
        "slack_client_secret", "secret_key", "self_dsn", "sentry_client_secret", mode="before"
    )
    @classmethod
    def _blank_secret_is_unset(cls, v: object) -> object:
        if isinstance(v, SecretStr):
            v = v.get_secret_value()
        return None if v == "" else v

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, v: SecretStr | None) -> SecretStr | None:
        # several comma-separated keys rotate it: the first encrypts, all decrypt
        if v is not None:
            keys = [k.strip() for k in v.get_secret_value().split(",")]
            if any(len(k) < 16 for k in keys):
                raise ValueError("each comma-separated key must be at least 16 characters")
        return v

    @model_validator(mode="after")
    def _workspace_mode(self) -> Settings:
        # One workspace: SLACK_BOT_TOKEN. Many: client id + secret (+ a key for tokens at rest).
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            raise ValueError(f"{missing} is not set: set it to {HINTS[missing]}.")
        if self.multi_workspace and self.secret_key is None:
            raise ValueError(
                f"DEXTER_SECRET_KEY is not set: set it to {HINTS['DEXTER_SECRET_KEY']}."
            )
        if not self.multi_workspace and not self.slack_bot_token.get_secret_value():
            raise ValueError(
                f"SLACK_BOT_TOKEN is not set: set it to {HINTS['SLACK_BOT_TOKEN']} "
                "(or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install in many workspaces)."
            )
        return self

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value():
            return None
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return v

    @field_validator("sentry_url", "slack_api_url", "public_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
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

    @field_validator("sentry_allowed_hosts")
    @classmethod
    def _allowed_hosts(cls, v: str) -> str:
        parse_allowed_hosts(v)
        return v

    @field_validator("digest_grace", "job_timeout", "busy_after", mode="before")
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

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, v: object) -> object:
        return v.lower() if isinstance(v, str) else v

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.slack_app_token is not None

    @property
    def sentry_webhooks(self) -> bool:
        """`POST /sentry/webhook` is served: a client secret is set, or workspaces bring theirs."""
        return self.sentry_client_secret is not None or self.multi_workspace

    @property
    def multi_workspace(self) -> bool:
        """Install through Slack OAuth in many workspaces (client id and secret are set)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def sentry_base(self) -> str:
        """The Sentry URL without a trailing slash."""
        return self.sentry_url.rstrip("/")

    @property
    def admin_ids(self) -> frozenset[str]:
        """Slack user ids granted admin rights in Dexter."""
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())


def parse_allowed_hosts(raw: str) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """Host names and CIDR ranges from `sentry.corp.example, 10.20.0.0/16` (ValueError)."""
    hosts: set[str] = set()
    nets: list[IPNetwork] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
            continue
        except ValueError:
            pass
        name = item.lower().rstrip(".")
        if not name or any(c in name for c in "/:@ *") or len(name) > 253:
            raise ValueError(f"{item!r} is neither a host name nor a CIDR range")
        hosts.add(name)
    return frozenset(hosts), tuple(nets)


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise ConfigError with one line per problem (never secrets)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            if not err["loc"]:  # a whole-settings rule: its message already names the variable
                problems.append(str(err["msg"]).removeprefix("Value error, "))
                continue
            name = str(err["loc"][0])
            env = _env_name(name)
            hint = HINTS.get(env, "")
            what = "is not set" if err["type"] == "missing" else f"is malformed ({err['msg']})"
            problems.append(f"{env} {what}: set it to {hint}." if hint else f"{env} {what}.")
        if not any("SLACK_BOT_TOKEN" in p for p in problems) and _no_slack_credentials(overrides):
            # The whole-settings rule only runs once every field is valid; say it now too.
            problems.insert(0, f"SLACK_BOT_TOKEN is not set: set it to {HINTS['SLACK_BOT_TOKEN']}.")
        raise ConfigError(problems) from None


class _SlackCredentials(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    client_id: str = Field(default="", alias="SLACK_CLIENT_ID")


def _no_slack_credentials(overrides: dict[str, object]) -> bool:
    creds = _SlackCredentials(
        **{
            k: v
            for k, v in overrides.items()
            if k in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "_env_file")
        }  # type: ignore[arg-type]
    )
    return not creds.bot_token and not creds.client_id


def _env_name(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    if field is not None and field.alias:
        return field.alias
    return field_or_alias.upper()
