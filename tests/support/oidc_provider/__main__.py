"""python -m tests.support.oidc_provider PORT: make a fresh RSA key, the database, the people and the
gateway's client (OIDC_PROVIDER_SEED), then serve the provider with uvicorn on 127.0.0.1:PORT."""

import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main(port: int) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["OIDC_PROVIDER_RSA_KEY"] = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.support.oidc_provider.settings"

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    seed = json.loads(os.environ["OIDC_PROVIDER_SEED"])
    for person in seed["people"]:
        get_user_model().objects.create_user(person["username"], password=person["password"], email=person["email"])
    client = seed["client"]
    Application.objects.create(
        name="Spotify MCP gateway",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )

    import uvicorn
    from django.core.asgi import get_asgi_application

    uvicorn.run(get_asgi_application(), host="127.0.0.1", port=port, lifespan="off", log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]))
