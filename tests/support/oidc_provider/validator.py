"""The claims the test provider tells about its people: their email and whether it is verified,
as its starter described them (OIDC_PROVIDER_SEED)."""

import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator

PEOPLE = {person["username"]: person for person in json.loads(os.environ["OIDC_PROVIDER_SEED"])["people"]}


class ProviderValidator(OAuth2Validator):
    def get_additional_claims(self, request):
        person = PEOPLE[request.user.username]
        return {
            "email": person["email"],
            "email_verified": person["email_verified"],
            "given_name": person.get("given_name", ""),
            "family_name": person.get("family_name", ""),
        }
