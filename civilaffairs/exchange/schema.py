"""What drf-spectacular needs to describe the API fully: the OAuth2 client-credentials scheme
of ClientAuthentication, and each CodeField as the enum of its code list (so the schema itself
says which codes may come)."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    target_class = "civilaffairs.exchange.auth.ClientAuthentication"
    name = "departmentClient"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "/api/v1/oauth/token/", "scopes": {"api": "API"}}
            },
        }


class CodeFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "civilaffairs.exchange.serializers.CodeField"

    def map_serializer_field(self, auto_schema, direction):
        from .catalogue import code_lists

        codes = sorted(code_lists()[self.target.code_list].codes())
        return {"type": "string", "enum": codes, "nullable": True}
