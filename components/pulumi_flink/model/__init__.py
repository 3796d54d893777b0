"""Derived facts with no Pulumi: names and labels, versions, quantities, the memory model,
Flink's option names, Kubernetes field rules, and the layout every builder and rule shares."""
