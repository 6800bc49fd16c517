"""How a CI job's ID token appears in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CiIdTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.integrations.ci_auth.CiOidcAuthentication"
    name = "ciIdToken"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A CI job's OpenID Connect ID token (GitLab id_tokens, "
            "GitHub Actions): the gate and release-creation endpoints only, for "
            "the job's mapped environment (docs/integrations.md).",
        }
