"""Single sign-on (OpenID Connect): who an identity provider's token signs in, if anyone.

Streamlit's ``st.login`` (Authlib underneath) does the OpenID Connect exchange and checks
the token's signature, audience, expiry and nonce. The login page then hands the token's
claims to :func:`sign_in`, which decides who that is here and returns an actor; the page
starts our own login session with it, exactly as after a password (the HttpOnly cookie
from ``app/session_routes.py`` stays the one session).

The configuration is ``.streamlit/secrets.toml`` (format in ``docs/integrations.md``):
``[auth]`` and ``[auth.<provider>]`` are Streamlit's own; ``[sso.<provider>]`` says which
agency the provider signs in for and how to read its tokens.

Rules, in order:

1. The provider must be set up for an agency, and the token's ``iss`` must be that
   provider's issuer.
2. A role comes from a claim only when the agency named that claim (``role_claim``) and
   mapped its values (``[sso.<provider>.roles]``). A value that is not mapped, or values
   that map to two different roles, sign in nobody. ``admin`` cannot be mapped.
3. The user is found by the provider and the token's ``sub`` (linked at the first
   sign-in). A first sign-in links to the user of that agency whose e-mail is the token's
   e-mail, only if the token says the address is verified; where the agency allows it
   (``create_trainees = true``) and nobody has that address, a trainee (or the mapped
   role) is created. Otherwise nobody is signed in.
4. A disabled user, one of another agency, or an admin (admins use their password) is
   refused. A mapped role that differs from the user's updates it (audited) and ends the
   user's other logins.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.passwords import hash_password
from app.core.safe_text import strip_bidi
from app.errors import AccessDenied, SettingsError, UserError
from app.services import audit
from app.services.access import Actor, require
from app.services.accounts import USERNAME_RE, actor_for, end_user_sessions
from app.store.db import read_session, write_session
from app.store.models import Agency, User, UserIdentity, row_id, utcnow

MAPPABLE_ROLES = ("trainee", "trainer", "supervisor")
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
PROVIDER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
FETCH_TIMEOUT_S = 5.0
# A token is handed over once, within minutes of being issued: an old identity cookie
# cannot start a new login after ours ended (idle timeout, logout, the 12-hour limit).
FRESH_SECONDS = 600


class SignInRefused(AccessDenied):
    """The identity provider's token signs in nobody here (the message says why)."""


class StaleSignIn(SignInRefused):
    """The token was already handed over, or is too old: the user signs in again."""


@dataclass(frozen=True)
class Provider:
    """One identity provider as an agency set it up."""

    name: str
    agency: str  # agency slug
    label: str
    issuer: str
    metadata_url: str
    email_claim: str = "email"
    create_trainees: bool = False
    role_claim: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)


def _text(section: Mapping, key: str, where: str, default: str | None = None) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"secrets.toml [{where}]: '{key}' must be set (text).")
    return value.strip()


def _address(value: str, where: str, key: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"secrets.toml [{where}]: '{key}' = '{value}' is not an http:// or https:// address."
        )
    return value


def providers(secrets_data: Mapping[str, Any]) -> list[Provider]:
    """Every provider in ``[sso.*]``; a mistake raises one plain SettingsError line."""
    sso = secrets_data.get("sso") or {}
    if not sso:
        return []
    if not isinstance(sso, Mapping):
        raise SettingsError("secrets.toml: [sso] must be a table of providers.")
    auth = secrets_data.get("auth") or {}
    if (
        not isinstance(auth, Mapping)
        or not auth.get("redirect_uri")
        or not auth.get("cookie_secret")
    ):
        raise SettingsError(
            "secrets.toml: [auth] needs redirect_uri (ending in /oauth2callback) and "
            "cookie_secret for single sign-on."
        )
    found = []
    for name, section in sso.items():
        where = f"sso.{name}"
        if not PROVIDER_NAME.match(str(name)):
            raise SettingsError(
                f"secrets.toml [{where}]: a provider name has only letters, digits and '-'."
            )
        if not isinstance(section, Mapping):
            raise SettingsError(f"secrets.toml [{where}] must be a table.")
        client = auth.get(name)
        if not isinstance(client, Mapping):
            raise SettingsError(
                f"secrets.toml: [{where}] has no [auth.{name}] with client_id, client_secret "
                "and server_metadata_url."
            )
        for key in ("client_id", "client_secret"):
            _text(client, key, f"auth.{name}")
        metadata_url = _address(
            _text(client, "server_metadata_url", f"auth.{name}"),
            f"auth.{name}",
            "server_metadata_url",
        )
        default_issuer = (
            metadata_url[: -len(DISCOVERY_SUFFIX)]
            if metadata_url.endswith(DISCOVERY_SUFFIX)
            else None
        )
        issuer = _address(_text(section, "issuer", where, default_issuer), where, "issuer")
        role_claim = section.get("role_claim")
        if role_claim is not None and (not isinstance(role_claim, str) or not role_claim):
            raise SettingsError(f"secrets.toml [{where}]: 'role_claim' must be a claim name.")
        roles = section.get("roles") or {}
        if not isinstance(roles, Mapping):
            raise SettingsError(f"secrets.toml [{where}.roles] must map claim values to roles.")
        for value, role in roles.items():
            if role not in MAPPABLE_ROLES:
                raise SettingsError(
                    f"secrets.toml [{where}.roles]: '{value}' maps to '{role}'; a claim may "
                    f"only give {', '.join(MAPPABLE_ROLES)}."
                )
        if roles and not role_claim:
            raise SettingsError(f"secrets.toml [{where}]: roles are mapped but no role_claim.")
        create = section.get("create_trainees", False)
        if not isinstance(create, bool):
            raise SettingsError(f"secrets.toml [{where}]: 'create_trainees' is true or false.")
        agency = _text(section, "agency", where)
        found.append(
            Provider(
                name=str(name),
                agency=agency,
                label=str(section.get("label") or f"{agency} account"),
                issuer=issuer.rstrip("/"),
                metadata_url=metadata_url,
                email_claim=_text(section, "email_claim", where, "email"),
                create_trainees=create,
                role_claim=role_claim,
                roles={str(k): str(v) for k, v in roles.items()},
            )
        )
    return found


def provider_named(secrets_data: Mapping[str, Any], name: str | None) -> Provider:
    for provider in providers(secrets_data):
        if provider.name == name:
            return provider
    raise SignInRefused("This sign-in is not set up for any agency here; nobody was signed in.")


# ------------------------------------------------------------------ checking the setup


def _fetch_json(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
        data = json.loads(response.read(256_000))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def check_provider(provider: Provider) -> str:
    """Fetch the provider's discovery document; returns an ok line or raises one line."""
    try:
        metadata = _fetch_json(provider.metadata_url)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SettingsError(
            f"Single sign-on '{provider.name}': cannot read {provider.metadata_url} ({reason})."
        ) from None
    issuer = str(metadata.get("issuer") or "").rstrip("/")
    if issuer != provider.issuer:
        raise SettingsError(
            f"Single sign-on '{provider.name}': the provider says its issuer is "
            f"'{issuer or '(none)'}', not '{provider.issuer}'; check issuer and "
            "server_metadata_url."
        )
    if not metadata.get("authorization_endpoint") or not metadata.get("token_endpoint"):
        raise SettingsError(
            f"Single sign-on '{provider.name}': {provider.metadata_url} is not an OpenID "
            "Connect discovery document."
        )
    return f"Single sign-on '{provider.name}' for {provider.agency}: {issuer} answers."


def check_all(secrets_data: Mapping[str, Any]) -> list[tuple[bool, str]]:
    """(ok, line) for the setup as a whole and for each provider (contacts them)."""
    try:
        found = providers(secrets_data)
    except SettingsError as exc:
        return [(False, str(exc))]
    if not found:
        return [(True, "Single sign-on is not set up; users log in with a password.")]
    lines: list[tuple[bool, str]] = []
    slugs = _agency_slugs()
    for provider in found:
        if provider.agency not in slugs:
            lines.append(
                (False, f"Single sign-on '{provider.name}': no agency '{provider.agency}'.")
            )
            continue
        try:
            lines.append((True, check_provider(provider)))
        except SettingsError as exc:
            lines.append((False, str(exc)))
    return lines


def _agency_slugs() -> set[str]:
    with read_session() as session:
        return set(session.exec(select(Agency.slug)).all())


def agency_lines(secrets_data: Mapping[str, Any], agency_id: int) -> list[tuple[bool, str]]:
    """The setup lines that concern one agency (a broken file concerns everyone)."""
    with read_session() as session:
        agency = session.get(Agency, agency_id)
    slug = agency.slug if agency else ""
    lines = check_all(secrets_data)
    try:
        mine = [p.name for p in providers(secrets_data) if p.agency == slug]
    except SettingsError:
        return lines
    if not mine:
        return [
            (True, "Single sign-on is not set up for your agency; users log in with a password.")
        ]
    return [line for line in lines if any(f"'{name}'" in line[1] for name in mine)]


def admin_check(*, actor: Actor, secrets_data: Mapping[str, Any]) -> list[tuple[bool, str]]:
    """The setup lines for an admin: their agency's providers (contacts them)."""
    require(actor, "manage_users")
    return agency_lines(secrets_data, actor.agency_id)


# ------------------------------------------------------------------ signing in


def mapped_role(provider: Provider, claims: Mapping[str, Any]) -> str | None:
    """The role the token gives, or None when the agency maps no role claim or it is absent.

    Raises SignInRefused for a value the agency did not map, or for two different roles.
    """
    if not provider.role_claim:
        return None
    value = claims.get(provider.role_claim)
    if value is None or value == "" or value == []:
        return None
    values = value if isinstance(value, list) else [value]
    roles = set()
    for item in values:
        role = provider.roles.get(item) if isinstance(item, str) else None
        if role is None:
            raise SignInRefused(
                "Your agency account has a role this academy does not know; nobody was "
                "signed in. Ask your administrator."
            )
        roles.add(role)
    if len(roles) > 1:
        raise SignInRefused(
            "Your agency account has more than one academy role; nobody was signed in. "
            "Ask your administrator."
        )
    return roles.pop()


def _verified_email(provider: Provider, claims: Mapping[str, Any]) -> str | None:
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        return None
    if claims.get("email_verified") is not True:
        return None
    return email.strip().lower()


def _new_username(session: Session, email: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "-", email.split("@", 1)[0].lower()).strip("._-")
    base = (base or "user")[:56]
    if len(base) < 2:
        base = f"{base}-user"
    candidate, n = base, 1
    while session.exec(select(User.id).where(col(User.username) == candidate)).first():
        n += 1
        candidate = f"{base}-{n}"
    if not USERNAME_RE.match(candidate):
        candidate = f"user-{secrets.token_hex(4)}"
    return candidate


def _display_name(claims: Mapping[str, Any], fallback: str) -> str:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return " ".join(strip_bidi(name).split())[:200]
    return fallback


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def sign_in(
    *,
    secrets_data: Mapping[str, Any],
    provider_name: str | None,
    claims: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> Actor:
    """The actor an identity token signs in; raises SignInRefused (one line) otherwise."""
    provider = provider_named(secrets_data, provider_name)
    issuer = str(claims.get("iss") or "").rstrip("/")
    if issuer != provider.issuer:
        raise SignInRefused(
            "The sign-in came from an issuer this agency did not set up; nobody was signed in."
        )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInRefused("The identity provider sent no account id; nobody was signed in.")
    issued = claims.get("iat")
    moment = now or utcnow()
    if (
        not isinstance(issued, int | float)
        or isinstance(issued, bool)
        or not -60 <= moment.timestamp() - issued <= FRESH_SECONDS
    ):
        raise StaleSignIn("That sign-in is no longer valid; please sign in again.")
    role = mapped_role(provider, claims)
    with write_session() as session:
        agency = session.exec(select(Agency).where(col(Agency.slug) == provider.agency)).first()
        if agency is None:
            raise SignInRefused(
                "Single sign-on is set up for an agency that does not exist here; ask your "
                "administrator."
            )
        identity = session.exec(
            select(UserIdentity)
            .where(col(UserIdentity.provider) == provider.name)
            .where(col(UserIdentity.subject) == subject)
        ).first()
        if identity is not None and identity.last_login_at is not None:
            if issued <= _aware(identity.last_login_at).timestamp():
                raise StaleSignIn("That sign-in was already used; please sign in again.")
        user = session.get(User, identity.user_id) if identity else None
        if user is None:
            user = _first_sign_in(session, provider, agency, subject, claims, role)
            identity = session.exec(
                select(UserIdentity)
                .where(col(UserIdentity.user_id) == row_id(user))
                .where(col(UserIdentity.provider) == provider.name)
            ).first()
        if user.agency_id != agency.id:
            raise SignInRefused("This account belongs to another agency; nobody was signed in.")
        if not user.is_active:
            raise SignInRefused("This account is disabled; ask your administrator.")
        if user.role == "admin":
            raise SignInRefused(
                "Administrators log in with their password here; nobody was signed in."
            )
        if role is not None and role != user.role:
            before = user.role
            user.role = role
            session.add(user)
            end_user_sessions(session, row_id(user))
            audit.append(
                session,
                event="role_changed",
                subject=f"user:{user.id}",
                payload={"from": before, "to": role, "by": f"identity provider {provider.name}"},
                agency_id=user.agency_id,
                actor_id=None,
            )
        if identity is not None:
            identity.last_login_at = moment
            session.add(identity)
        session.flush()
        return actor_for(user)


def _first_sign_in(
    session: Session,
    provider: Provider,
    agency: Agency,
    subject: str,
    claims: Mapping[str, Any],
    role: str | None,
) -> User:
    email = _verified_email(provider, claims)
    if email is None:
        raise SignInRefused(
            "Your agency account did not send a verified e-mail address, so it cannot be "
            "matched to a user here; nobody was signed in."
        )
    matches = session.exec(
        select(User)
        .where(col(User.agency_id) == agency.id)
        .where(func.lower(col(User.email)) == email)
    ).all()
    if len(matches) > 1:
        raise SignInRefused(
            "More than one user here has this e-mail address; ask your administrator."
        )
    if matches:
        user = matches[0]
        event, payload = "sso_linked", {"provider": provider.name, "email": email}
    elif provider.create_trainees:
        user = User(
            agency_id=row_id(agency),
            username=_new_username(session, email),
            display_name=_display_name(claims, email),
            role=role or "trainee",
            email=email,
            # No password can match this hash: the user signs in through the agency only.
            password_hash=hash_password(secrets.token_urlsafe(32)),
        )
        session.add(user)
        session.flush()
        event, payload = "sso_user_created", {"provider": provider.name, "role": user.role}
    else:
        raise SignInRefused(
            f"No user of {agency.name} has the e-mail address {email}; ask your "
            "administrator to add you."
        )
    session.add(UserIdentity(user_id=row_id(user), provider=provider.name, subject=subject))
    session.flush()
    audit.append(
        session,
        event=event,
        subject=f"user:{user.id}",
        payload=payload,
        agency_id=user.agency_id,
        actor_id=None,
    )
    return user


def set_email(*, actor: Actor, user_id: int, email: str | None) -> None:
    """An admin records the e-mail a user's first single sign-on is matched against."""
    require(actor, "manage_users")
    value = (email or "").strip().lower() or None
    if value is not None and not EMAIL.match(value):
        raise UserError("That is not an e-mail address.")
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None or user.agency_id != actor.agency_id:
            raise AccessDenied("There is no such user in your agency.")
        user.email = value
        session.add(user)


class UserEmail(TypedDict):
    id: int
    username: str
    name: str  # display name
    email: str  # "" when none is recorded
    linked: bool  # already signed in once with the identity provider


def user_emails(*, actor: Actor) -> list[UserEmail]:
    """The users of the admin's agency with the e-mail their first sign-in is matched to."""
    require(actor, "manage_users")
    with read_session() as session:
        users = session.exec(
            select(User).where(col(User.agency_id) == actor.agency_id).order_by(col(User.username))
        ).all()
        linked = set(
            session.exec(
                select(UserIdentity.user_id)
                .join(User, col(User.id) == col(UserIdentity.user_id))
                .where(col(User.agency_id) == actor.agency_id)
            ).all()
        )
    return [
        UserEmail(
            id=row_id(u),
            username=u.username,
            name=u.display_name,
            email=u.email or "",
            linked=row_id(u) in linked,
        )
        for u in users
    ]
