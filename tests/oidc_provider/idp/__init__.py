"""The test provider's own app: login page, claims, faults, keys and control surface."""
