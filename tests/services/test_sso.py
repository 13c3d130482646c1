"""Single sign-on: who an identity provider's token signs in (``app/services/sso.py``).

The token checks themselves (signature, audience, nonce) are Streamlit's and Authlib's;
the browser test (tests/browser/test_sso.py) runs the whole exchange against a real
provider. Here: the rules that decide who, if anyone, the claims sign in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from app.errors import AccessDenied, SettingsError
from app.services import sso
from app.services.accounts import set_active
from app.store.db import read_session, write_session
from app.store.models import User, UserIdentity, utcnow
from tests.conftest import require_or_skip

ISSUER = "https://login.agency-a.example"


def secrets(**sso_overrides) -> dict:
    section = {
        "agency": "agency-a",
        "label": "Agency A account",
        "issuer": ISSUER,
        "role_claim": "academy_role",
        "roles": {"cs-trainee": "trainee", "cs-trainer": "trainer"},
        **sso_overrides,
    }
    return {
        "auth": {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "x" * 32,
            "agencya": {
                "client_id": "academy",
                "client_secret": "secret",
                "server_metadata_url": ISSUER + "/.well-known/openid-configuration",
            },
        },
        "sso": {"agencya": section},
    }


def claims(sub="alice-1", email="alice@agency-a.example", **extra) -> dict:
    return {
        "iss": ISSUER,
        "sub": sub,
        "email": email,
        "email_verified": True,
        "iat": int(utcnow().timestamp()) - 5,
        "name": "Alice Example",
        **extra,
    }


def set_email(username: str, email: str) -> None:
    with write_session() as session:
        user = session.exec(select(User).where(col(User.username) == username)).one()
        user.email = email
        session.add(user)


def identities() -> list[UserIdentity]:
    with read_session() as session:
        return list(session.exec(select(UserIdentity)).all())


# ------------------------------------------------------------------ the setup


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"roles": {"cs-admin": "admin"}}, "may only give"),
        ({"role_claim": None}, "no role_claim"),
        ({"agency": ""}, "'agency' must be set"),
        ({"create_trainees": "yes"}, "true or false"),
        ({"issuer": "login.example"}, "not an http"),
    ],
)
def test_a_setup_mistake_is_one_plain_line(change, words):
    data = secrets(**change)
    if change.get("role_claim", "x") is None:
        del data["sso"]["agencya"]["role_claim"]
    with pytest.raises(SettingsError, match=words) as caught:
        sso.providers(data)
    assert "\n" not in str(caught.value)


def test_a_provider_without_its_auth_section_is_refused():
    data = secrets()
    del data["auth"]["agencya"]
    with pytest.raises(SettingsError, match=r"no \[auth.agencya\]"):
        sso.providers(data)


def test_the_issuer_defaults_to_the_discovery_address():
    data = secrets()
    del data["sso"]["agencya"]["issuer"]
    (provider,) = sso.providers(data)
    assert provider.issuer == ISSUER


@given(st.lists(st.sampled_from(["cs-trainee", "cs-trainer", "cs-admin", "x", ""]), max_size=4))
def test_a_role_only_ever_comes_from_the_mapping(values):
    (provider,) = sso.providers(secrets())
    try:
        role = sso.mapped_role(provider, {"academy_role": values})
    except sso.SignInRefused:
        assert (
            any(v not in provider.roles for v in values)
            or len({provider.roles[v] for v in values}) > 1
        )
        return
    if role is None:
        assert values == []
    else:
        assert {provider.roles[v] for v in values} == {role}


def test_no_role_claim_named_means_no_role_from_any_claim():
    data = secrets()
    del data["sso"]["agencya"]["role_claim"]
    del data["sso"]["agencya"]["roles"]
    (provider,) = sso.providers(data)
    assert sso.mapped_role(provider, {"academy_role": "cs-trainer", "role": "admin"}) is None


# ------------------------------------------------------------------ signing in


def test_first_sign_in_links_by_verified_email_then_by_subject(database, world):
    set_email("trainee-a", "Alice@Agency-A.example")
    actor = sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=claims())
    assert actor.username == "trainee-a" and actor.role == "trainee"
    (identity,) = identities()
    assert (identity.provider, identity.subject) == ("agencya", "alice-1")
    # Later the address may change at the provider: the subject still finds the user.
    later = claims(email="new@agency-a.example", iat=int(utcnow().timestamp()) + 1)
    again = sso.sign_in(
        secrets_data=secrets(),
        provider_name="agencya",
        claims=later,
        now=utcnow() + dt.timedelta(seconds=2),
    )
    assert again.user_id == actor.user_id


def test_a_token_hands_over_once_and_only_while_fresh(database, world):
    set_email("trainee-a", "alice@agency-a.example")
    token = claims()
    sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=token)
    with pytest.raises(sso.StaleSignIn):
        sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=token)
    old = claims(sub="bob", email="bob@x.example", iat=int(utcnow().timestamp()) - 3600)
    with pytest.raises(sso.StaleSignIn):
        sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=old)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"email_verified": False}, "verified e-mail"),
        ({"email": "nobody@agency-a.example"}, "ask your administrator to add you"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"academy_role": "cs-dispatcher"}, "role this academy does not know"),
        ({"academy_role": ["cs-trainee", "cs-trainer"]}, "more than one"),
        ({"sub": ""}, "no account id"),
    ],
)
def test_a_token_that_does_not_fit_signs_in_nobody(database, world, changes, words):
    token = claims(**changes)  # issued now: a token made at collection time could be stale
    set_email("trainee-a", "alice@agency-a.example")
    with write_session() as session:
        before = len(session.exec(select(User)).all())
    with pytest.raises(sso.SignInRefused, match=words):
        sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=token)
    with read_session() as session:
        assert len(session.exec(select(User)).all()) == before
    assert identities() == []


def test_an_unknown_provider_signs_in_nobody(database, world):
    with pytest.raises(sso.SignInRefused, match="not set up"):
        sso.sign_in(secrets_data=secrets(), provider_name="other", claims=claims())


def test_an_email_of_another_agency_is_not_matched(database, world):
    set_email("trainee-b", "alice@agency-a.example")
    with pytest.raises(sso.SignInRefused, match="add you"):
        sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=claims())


def test_the_agency_may_let_a_first_sign_in_create_a_trainee(database, world):
    data = secrets(create_trainees=True)
    actor = sso.sign_in(secrets_data=data, provider_name="agencya", claims=claims())
    assert actor.role == "trainee" and actor.agency_id == world.agencies["a"]
    assert actor.username == "alice" and actor.display_name == "Alice Example"
    with read_session() as session:
        user = session.get(User, actor.user_id)
        assert user.email == "alice@agency-a.example"
    # The new user has no password anybody knows: only the agency signs them in.
    from app.services.accounts import LoginFailed, authenticate

    with pytest.raises(LoginFailed):
        authenticate(username="alice", password="")


def test_a_mapped_role_updates_the_user(database, world):
    set_email("trainee-a", "alice@agency-a.example")
    actor = sso.sign_in(
        secrets_data=secrets(), provider_name="agencya", claims=claims(academy_role="cs-trainer")
    )
    assert actor.role == "trainer"


def test_an_admin_never_signs_in_through_the_provider(database, world):
    set_email("admin-a", "alice@agency-a.example")
    for token in (claims(academy_role="cs-trainee"), claims(sub="alice-2")):
        with pytest.raises(sso.SignInRefused, match="Administrators"):
            sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=token)
    with read_session() as session:
        assert session.get(User, world["admin-a"].user_id).role == "admin"
    assert identities() == []


def test_a_disabled_user_is_refused(database, world):
    set_email("trainee-a", "alice@agency-a.example")
    set_active(actor=world["admin-a"], user_id=world["trainee-a"].user_id, active=False)
    with pytest.raises(sso.SignInRefused, match="disabled"):
        sso.sign_in(secrets_data=secrets(), provider_name="agencya", claims=claims())


def test_only_an_admin_of_the_agency_sets_an_email(database, world):
    with pytest.raises(AccessDenied):
        sso.set_email(
            actor=world["supervisor-a"], user_id=world["trainee-a"].user_id, email="a@b.c"
        )
    with pytest.raises(AccessDenied):
        sso.set_email(actor=world["admin-b"], user_id=world["trainee-a"].user_id, email="a@b.c")
    sso.set_email(actor=world["admin-a"], user_id=world["trainee-a"].user_id, email=" A@B.example ")
    with read_session() as session:
        assert session.get(User, world["trainee-a"].user_id).email == "a@b.example"


# ------------------------------------------------------------------ a real provider


@pytest.fixture
def provider():
    try:
        from oidc_provider_mock import run_server_in_thread
    except ImportError:
        require_or_skip(False, "oidc-provider-mock is not installed (pip install -e '.[test]')")
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def test_the_check_reads_the_real_provider_and_names_a_wrong_issuer(
    sqlite_db, world, provider, tmp_path, capsys
):
    from app.cli import main

    good = secrets(issuer=provider)
    good["auth"]["agencya"]["server_metadata_url"] = provider + "/.well-known/openid-configuration"
    assert sso.check_all(good) == [
        (True, f"Single sign-on 'agencya' for agency-a: {provider} answers.")
    ]
    wrong = secrets(issuer="https://login.elsewhere.example")
    wrong["auth"]["agencya"]["server_metadata_url"] = good["auth"]["agencya"]["server_metadata_url"]
    ((ok, line),) = sso.admin_check(actor=world["admin-a"], secrets_data=wrong)
    assert not ok and "issuer" in line and provider in line

    path = Path(tmp_path / "secrets.toml")
    path.write_text(
        "[auth]\nredirect_uri = 'http://localhost:8501/oauth2callback'\ncookie_secret = 'x'\n"
        "[auth.agencya]\nclient_id = 'a'\nclient_secret = 'b'\n"
        "server_metadata_url = 'http://127.0.0.1:9/.well-known/openid-configuration'\n"
        "[sso.agencya]\nagency = 'agency-a'\n"
    )
    assert main(["sso", "check", "--secrets", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Single sign-on 'agencya': cannot read") and "\n" not in err
