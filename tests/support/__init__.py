"""Helpers shared by the tests: render helpers, the Kubernetes checks, the pod runner."""
