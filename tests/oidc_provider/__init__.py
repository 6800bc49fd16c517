"""A real OpenID provider (django-oauth-toolkit) for the single sign-on tests."""
