"""DEXTER_SECRET_KEY rotation: the first key encrypts, every key decrypts, old values move on."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.core.crypto import SecretBox
from bot.core.settings import ConfigError
from bot.core.store import Store
from bot.deps import Deps
from bot.slack.oauth_store import RedisInstallationStore
from bot.workspaces.sentry_config import WorkspaceSentry, WorkspaceService
from tests.settings_factory import make_settings
from tests.tenants import installation

OLD = "old-secret-key-0123456789abcdef"
NEW = "new-secret-key-fedcba9876543210"
BOT = "xoxb-rotation-bot-token-1"


async def test_old_tokens_stay_readable_after_a_rotation(store: Store) -> None:
    await RedisInstallationStore(store, SecretBox(OLD)).async_save(installation("T1", BOT))
    rotated = RedisInstallationStore(store, SecretBox(f"{NEW},{OLD}"))
    bot = await rotated.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT
    found = await rotated.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == BOT
    # read once with the new key list: re-encrypted, so the old key can be dropped
    only_new = RedisInstallationStore(store, SecretBox(NEW))
    again = await only_new.async_find_bot(enterprise_id=None, team_id="T1")
    assert again is not None and again.bot_token == BOT
    latest = await only_new.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.bot_token == BOT


def test_the_first_key_encrypts_and_any_key_decrypts() -> None:
    old, both, new = SecretBox(OLD), SecretBox(f"{NEW}, {OLD}"), SecretBox(NEW)
    sealed = old.encrypt("s3cret")
    assert both.open(sealed) == ("s3cret", True)  # readable, marked for re-encryption
    resealed = both.encrypt("s3cret")
    assert new.open(resealed) == ("s3cret", False)
    with pytest.raises(ValueError):
        old.decrypt(resealed)


async def test_workspace_settings_survive_a_rotation(deps: Deps) -> None:
    def service(secret: str) -> WorkspaceService:
        settings = deps.settings.model_copy(update={"secret_key": SecretStr(secret)})
        return WorkspaceService(settings, deps.store, deps.sentry, deps.metrics)

    cfg = WorkspaceSentry(url="https://de.sentry.io", org="globex", token=SecretStr("sntrys_x1"))
    await service(OLD).save("T1", cfg)
    got = await service(f"{NEW},{OLD}").get("T1")
    assert got is not None and got.token.get_secret_value() == "sntrys_x1"
    after = await service(NEW).get("T1")  # re-encrypted on the read above
    assert after is not None and after.org == "globex"


def test_every_key_must_be_long() -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(DEXTER_SECRET_KEY=f"{NEW},short")
    assert "DEXTER_SECRET_KEY" in str(info.value) and "short" not in str(info.value)
