"""The multi-language component package: FlinkCluster's typed inputs and their conversion."""
