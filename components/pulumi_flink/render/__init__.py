"""Pure builders: spec to Flink configuration and Kubernetes objects, as plain dicts."""
