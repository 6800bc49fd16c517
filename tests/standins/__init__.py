"""Loopback stand-ins for the deploy platforms Shipshape gates: GitHub, GitLab, CI
OIDC issuers, Flagger and Argo Rollouts, and a Standard Webhooks receiver.

Each speaks its platform's real paths, headers and payloads on 127.0.0.1; every
module names the published source it is based on. See README.md beside this file.
"""
