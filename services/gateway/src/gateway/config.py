import shared.registry as registry
from limits import parse_many
from pydantic import Field, create_model, field_validator
from shared.auth import SigningKey, parse_key_set, parse_signing_keys
from shared.settings import DEV_KEY_ID, DEV_SIGNING_KEYS, InsecureSettings, ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway's own settings; `Settings` adds one `<name>_url` per fronted service."""

    service_name: str = "gateway"
    http_port: int = registry.service("gateway").http_port
    database_url: str = Field(default=registry.service("gateway").database_url())
    upstream_timeout_seconds: float = 5.0
    compose_timeout_seconds: float = Field(default=2.0, description=(
        "How long a composed query waits for each service; one slower than this is named unavailable "
        "and the answer is marked partial"))
    jwt_signing_keys: str = Field(default=DEV_SIGNING_KEYS, description=(
        "JWKS JSON of the gateway's private ES256 keys (with d). Only the gateway holds it; JWT_KEYS of "
        "every service holds their public halves"))
    jwt_signing_kid: str = Field(default="", description=(
        "kid of the key that signs new tokens; empty = the first key of JWT_SIGNING_KEYS. Rotation: add "
        "the new key's public half to JWT_KEYS everywhere, then switch this; drop the old key once its "
        "tokens expired (JWT_TTL_SECONDS)"))
    refresh_ttl_seconds: int = Field(default=30 * 24 * 3600, description="Lifetime of a refresh token")
    # The edge (entrypoints/edge.py). Rates are `limits` strings ("20/second", "600/minute;20/second": each
    # must hold) and are counted per gateway instance. A busy 4S store's app never meets them in normal work.
    rate_limit_per_user: str = Field(default="20/second", description=(
        "Requests one user may send through this gateway instance (every route behind a token)"))
    rate_limit_per_group: str = Field(default="300/second", description=(
        "Requests all users of one dealer group together may send through this gateway instance"))
    rate_limit_login_per_address: str = Field(default="60/minute", description=(
        "Logins and refreshes from one client address (an IPv6 address counts by its /64)"))
    rate_limit_login_per_username: str = Field(default="10/minute", description=(
        "Logins naming one username, whoever sends them: password guessing"))
    rate_limit_login_slots: int = Field(default=16384, ge=1, description=(
        "Login addresses and usernames are counted in this many slots (a hash of each), so that what "
        "anonymous callers send cannot grow the limiter's memory without bound"))
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1, description=(
        "Largest request body the gateway accepts (413 above it, also for a chunked body without "
        "Content-Length). Check-in photos do not go through the gateway"))

    @field_validator("jwt_signing_keys", mode="before")
    @classmethod
    def _signing_keys(cls, v: str) -> str:
        v = v or DEV_SIGNING_KEYS
        parse_signing_keys(v)
        return v

    @field_validator("rate_limit_per_user", "rate_limit_per_group", "rate_limit_login_per_address",
                     "rate_limit_login_per_username")
    @classmethod
    def _rate(cls, v: str) -> str:
        parse_many(v)  # a typo ("20/fortnight") stops the gateway at start, not at the first request
        return v

    @property
    def signing_key(self) -> SigningKey:
        keys = parse_signing_keys(self.jwt_signing_keys)
        if not self.jwt_signing_kid:
            return keys[0]
        for k in keys:
            if k.kid == self.jwt_signing_kid:
                return k
        raise InsecureSettings(f"JWT_SIGNING_KID {self.jwt_signing_kid!r} is not a key of JWT_SIGNING_KEYS")

    def refuse_development_secret(self) -> None:
        """Besides the check of every service: the gateway must not sign with the public development
        key outside development, and its signing key must be one every service accepts."""
        super().refuse_development_secret()
        key = self.signing_key
        if key.kid == DEV_KEY_ID and not self.dev_mode:
            raise InsecureSettings("gateway: JWT_SIGNING_KEYS signs with the public development key. Set "
                                   "JWT_SIGNING_KEYS (and JWT_KEYS) or set DEV_MODE=1 on a development machine.")
        public = parse_key_set(self.jwt_keys).keys.get(key.kid)
        if public is None or public.public_numbers() != key.private_key.public_key().public_numbers():
            raise InsecureSettings(f"gateway: the signing key {key.kid!r} is not in JWT_KEYS, so no service "
                                   "would accept the tokens it signs. Add its public half to JWT_KEYS.")

    def service_urls(self) -> dict[str, str]:
        """Fronted service -> its base URL."""
        return {s.name: getattr(self, f"{s.name}_url") for s in registry.backends()}


# `reception_url`, `workshop_url`, ...: one field per service in shared.registry, so its env var
# (RECEPTION_URL, ...) overrides the local default http://127.0.0.1:<port>.
Settings = create_model(
    "Settings",
    __base__=GatewaySettings,
    __module__=__name__,
    **{f"{s.name}_url": (str, Field(default=s.url(), description=f"Base URL of {s.name} (env {s.url_env})"))
       for s in registry.backends()},
)
